import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as IdToken from "../src/IdToken.js"
import * as Rules from "../src/OrganizationRules.js"

const orgId = FastCheck.stringMatching(/^org_[A-Za-z0-9]{1,20}$/)
/** Names as Auth0 allows them: lowercase letters, digits, `-`, `_`, not starting with org_. */
const orgName = FastCheck.stringMatching(/^[a-z0-9][a-z0-9_-]{0,30}$/).filter((n) => !n.startsWith("org_"))
/** A random upper/lower casing of `s`. */
const recased = (s: string) =>
  FastCheck.array(FastCheck.boolean(), { minLength: s.length, maxLength: s.length }).map((flips) =>
    [...s].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join("")
  )

describe("OrganizationRules", () => {
  it.prop("an id is proven by an equal org_id, whatever org_name says", [orgId, FastCheck.option(FastCheck.string())], ([id, name]) => {
    expect(Rules.claimProblem({ org_id: id, ...(name === null ? {} : { org_name: name }) }, id)).toBeUndefined()
  })

  it.prop("an id is not proven by another org_id, a missing one, or a name", [orgId, orgId], ([id, other]) => {
    if (id !== other) expect(Rules.claimProblem({ org_id: other }, id)).toMatch(/org_id/)
    expect(Rules.claimProblem({}, id)).toMatch(/missing/)
    expect(Rules.claimProblem({ org_name: id }, id)).toMatch(/missing/)
    expect(Rules.claimProblem({ org_id: 42 }, id)).toMatch(/missing/)
  })

  it.prop("ids compare exactly: another casing of an id is another organization", [orgId], ([id]) => {
    const upper = `org_${id.slice(4).toUpperCase()}`
    if (upper !== id) expect(Rules.claimProblem({ org_id: upper }, id)).toBeDefined()
  })

  it.prop(
    "a name is proven by org_name in any casing of it",
    [orgName.chain((name) => FastCheck.tuple(FastCheck.constant(name), recased(name), recased(name)))],
    ([[name, requested, claimed]]) => {
      expect(Rules.claimProblem({ org_name: claimed }, requested)).toBeUndefined()
      expect(Rules.claimProblem({ org_name: name, org_id: "org_whatever" }, requested)).toBeUndefined()
    }
  )

  it.prop("a name is not proven by another name, a missing org_name, or an org_id alone", [orgName, orgName, orgId], ([name, other, id]) => {
    if (name !== other) expect(Rules.claimProblem({ org_name: other }, name)).toMatch(/org_name/)
    expect(Rules.claimProblem({ org_id: id }, name)).toMatch(/missing/)
  })

  it("names compare after NFC: composed and decomposed accents are one name", () => {
    expect(Rules.claimProblem({ org_name: "caf\u00e9" }, "CAFE\u0301")).toBeUndefined()
  })

  it.prop("parameters: a trimmed non-empty string passes; anything else is refused", [FastCheck.string()], ([s]) => {
    const ok = s.length > 0 && s.trim() === s
    expect(Rules.parameterProblem(s) === undefined).toBe(ok)
  })

  it("parameters: non-strings are refused", () => {
    for (const value of [1, true, null, {}]) expect(Rules.parameterProblem(value)).toBe("must be a string")
  })

  it.prop("refresh: a session without organization accepts any token", [FastCheck.dictionary(FastCheck.string(), FastCheck.jsonValue())], ([claims]) => {
    expect(Rules.refreshProblem(undefined, claims)).toBeUndefined()
  })

  it.prop("refresh: the same org_id passes; another or none is refused", [orgId, orgId], ([id, other]) => {
    expect(Rules.refreshProblem({ id }, { org_id: id })).toBeUndefined()
    if (id !== other) expect(Rules.refreshProblem({ id, name: "acme" }, { org_id: other })).toMatch(other)
    expect(Rules.refreshProblem({ id }, {})).toMatch(/no org_id/)
  })

  it.prop("fromClaims: the org_id and org_name of the token, nothing without org_id", [orgId, orgName], ([id, name]) => {
    expect(Rules.fromClaims({ org_id: id, org_name: name })).toEqual({ id, name })
    expect(Rules.fromClaims({ org_id: id })).toEqual({ id })
    expect(Rules.fromClaims({ org_name: name })).toBeUndefined()
  })

  it.prop(
    "parseInvitation: reads any valid invitation and organization back",
    [FastCheck.string({ minLength: 1 }).filter((s) => s.trim() === s), FastCheck.oneof(orgId, orgName)],
    ([invitation, organization]) => {
      const query = new URLSearchParams({ invitation, organization, organization_name: "acme" })
      expect(Rules.parseInvitation(new URLSearchParams(query.toString()))).toEqual({
        params: { invitation, organization, organizationName: "acme" }
      })
    }
  )

  it("parseInvitation: a missing parameter is missing, a repeated or blank one invalid", () => {
    expect(Rules.parseInvitation(new URLSearchParams("organization=org_1"))).toMatchObject({ argument: "invitation", missing: true })
    expect(Rules.parseInvitation(new URLSearchParams("invitation=a"))).toMatchObject({ argument: "organization", missing: true })
    expect(Rules.parseInvitation(new URLSearchParams("invitation=a&invitation=b&organization=org_1"))).toMatchObject({ argument: "invitation", missing: false })
    expect(Rules.parseInvitation(new URLSearchParams("invitation=a&organization=%20org_1"))).toMatchObject({ argument: "organization", missing: false })
  })

  it("IdToken.checkClaims reports a broken organization proof as reason organization, after the OIDC rules", () => {
    const now = 1_000_000
    const claims = { iss: "https://t/", aud: "app", sub: "u", iat: now, exp: now + 60, org_id: "org_b" }
    const expected = { issuer: "https://t/", clientId: "app", nonce: undefined, now, toleranceSeconds: 0 }
    expect(IdToken.checkClaims(claims, { ...expected, organization: "org_a" })?.reason).toBe("organization")
    expect(IdToken.checkClaims(claims, { ...expected, organization: "org_b" })).toBeUndefined()
    expect(IdToken.checkClaims(claims, expected)).toBeUndefined()
    expect(IdToken.checkClaims({ ...claims, iss: "x" }, { ...expected, organization: "org_a" })?.reason).toBe("issuer")
  })
})
