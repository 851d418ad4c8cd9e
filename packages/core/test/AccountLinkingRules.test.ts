import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Rules from "../src/AccountLinkingRules.js"

const base = {
  clientId: "app",
  redirectUri: "https://app.example.com/callback",
  state: "st",
  nonce: "no",
  codeChallenge: "ch",
  idToken: "id.token.sig",
  connection: "google-oauth2"
}

describe("AccountLinkingRules", () => {
  it.prop(
    "authorizeParams: no extra parameter overrides one the SDK owns",
    [FastCheck.dictionary(FastCheck.constantFrom(...Rules.RESERVED, "redirect_uri", "audience", "prompt"), FastCheck.string()), FastCheck.constantFrom<Rules.Action>("link", "unlink")],
    ([extra, action]) => {
      const params = Rules.authorizeParams({ ...base, action, extra })
      expect(params["scope"]).toBe(Rules.SCOPES[action])
      expect(params["state"]).toBe("st")
      expect(params["nonce"]).toBe("no")
      expect(params["id_token_hint"]).toBe("id.token.sig")
      expect(params["requested_connection"]).toBe("google-oauth2")
      expect(params["redirect_uri"]).toBe(base.redirectUri)
      expect(params["code_challenge_method"]).toBe("S256")
      expect(params["audience"]).toBe(extra["audience"] ?? Rules.AUDIENCE)
      if (action === "unlink" || extra["requested_connection_scope"] !== undefined) {
        expect(params["requested_connection_scope"]).toBeUndefined()
      }
    }
  )

  it("authorizeParams: the connection scope goes with a link only, the organization with both", () => {
    const link = Rules.authorizeParams({ ...base, action: "link", connectionScope: "calendar", organization: "org_1", extra: {} })
    expect(link["requested_connection_scope"]).toBe("calendar")
    expect(link["organization"]).toBe("org_1")
    const unlink = Rules.authorizeParams({ ...base, action: "unlink", connectionScope: "calendar", organization: "org_1", extra: {} })
    expect(unlink["requested_connection_scope"]).toBeUndefined()
    expect(unlink["organization"]).toBe("org_1")
  })

  it.prop("reservedParameter finds any SDK-owned key among others", [FastCheck.constantFrom(...Rules.RESERVED)], ([key]) => {
    expect(Rules.reservedParameter({ prompt: "login", [key]: "x" })).toBe(key)
    expect(Rules.reservedParameter({ prompt: "login", audience: "a" })).toBeUndefined()
  })

  it.prop("connectionProblem: trimmed names of 1..128 characters pass; others are refused", [FastCheck.string({ maxLength: 200 })], ([s]) => {
    const ok = s.length > 0 && s.length <= 128 && s.trim() === s
    expect(Rules.connectionProblem(s) === undefined).toBe(ok)
  })

  it.prop("subjectProblem: only the session's own sub passes", [FastCheck.string(), FastCheck.string()], ([a, b]) => {
    expect(Rules.subjectProblem(a, a)).toBeUndefined()
    expect(Rules.subjectProblem(a, b) === undefined).toBe(a === b)
  })
})
