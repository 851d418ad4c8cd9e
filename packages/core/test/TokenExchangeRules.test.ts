import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Rules from "../src/TokenExchangeRules.js"

const label = FastCheck.stringMatching(/^[a-z][a-z0-9]{1,10}$/)

describe("TokenExchangeRules.tokenTypeProblem", () => {
  it.prop("URNs and http(s) URLs in the customer's namespace are accepted", [label, label], ([company, name]) => {
    fcAssume(!["ietf", "auth0", "okta"].includes(company))
    expect(Rules.tokenTypeProblem(`urn:${company}:${name}`)).toBeUndefined()
    expect(Rules.tokenTypeProblem(`https://${company}.example/${name}`)).toBeUndefined()
  })

  it.prop("Auth0's reserved namespaces are refused, in any case and on subdomains", [
    FastCheck.constantFrom("urn:ietf:", "URN:IETF:", "urn:auth0:", "urn:Okta:", "https://auth0.com/", "http://okta.com/", "https://www.AUTH0.com/", "https://x.okta.com/"),
    label
  ], ([prefix, rest]) => {
    expect(Rules.tokenTypeProblem(`${prefix}${rest}`)).toContain("reserved")
  })

  it("look-alike hosts are not reserved; non-URIs and other schemes are refused", () => {
    expect(Rules.tokenTypeProblem("https://notauth0.com/t")).toBeUndefined()
    for (const bad of ["legacy-token", "javascript:alert(1)", "ftp://acme.com/t", " urn:acme:t", "urn:a:b c"]) {
      expect(Rules.tokenTypeProblem(bad)).toBeTypeOf("string")
    }
  })

  it("actor token types may be any URI, standard ones included", () => {
    expect(Rules.actorTokenTypeProblem("urn:ietf:params:oauth:token-type:jwt")).toBeUndefined()
    expect(Rules.actorTokenTypeProblem("not a uri")).toBeTypeOf("string")
  })
})

function fcAssume(condition: boolean) {
  FastCheck.pre(condition)
}
