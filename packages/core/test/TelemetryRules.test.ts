import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Rules from "../src/TelemetryRules.js"

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("")
const b64url = (min: number, max: number) => FastCheck.array(FastCheck.constantFrom(...B64URL), { minLength: min, maxLength: max }).map((a) => a.join(""))
/** A random credential: 32+ base64url characters with at least one digit (what random bytes give, in practice). */
const token = FastCheck.tuple(b64url(31, 80), FastCheck.integer({ min: 0, max: 9 })).map(([s, d]) => `${s}${d}`)
const jws = FastCheck.tuple(b64url(4, 40), b64url(4, 200), b64url(0, 86)).map(([h, p, s]) => `eyJ${h}.${p}.${s}`)
const jwe = FastCheck.tuple(b64url(4, 40), b64url(4, 22), b64url(4, 200), b64url(4, 22)).map(([h, iv, c, t]) => `eyJ${h}..${iv}.${c}.${t}`)
const prose = FastCheck.stringMatching(/^[a-z ,.:/()"-]{0,60}$/)

describe("TelemetryRules.scrub", () => {
  it.prop("a JWS or JWE anywhere in a text is redacted", [prose, FastCheck.oneof(jws, jwe), prose], ([before, compact, after]) => {
    const out = Rules.scrub(`${before} ${compact} ${after}`)
    expect(out).not.toContain(compact)
    expect(out).toContain(Rules.REDACTED)
  })

  it.prop("a random token anywhere in a text is redacted", [prose, token, prose], ([before, secret, after]) => {
    expect(Rules.scrub(`${before} ${secret} ${after}`)).not.toContain(secret)
  })

  it.prop("known secrets are redacted whatever their shape", [prose, FastCheck.string({ minLength: 4, maxLength: 40 }), prose], ([before, secret, after]) => {
    expect(Rules.scrub(`${before}${secret}${after}`, [secret])).not.toContain(secret)
  })

  it.prop("the value of a secret-named pair is redacted", [
    FastCheck.constantFrom("password", "client_secret", "refresh_token", "code", "code_verifier", "otp", "logout_token", "mfa_token"),
    FastCheck.constantFrom("=", ": ", "\":\""),
    FastCheck.stringMatching(/^[A-Za-z0-9!@$%^*+]{1,20}$/)
  ], ([key, sep, value]) => {
    const out = Rules.scrub(`${key}${sep}${value}`)
    expect(out).toBe(`${key}${sep}${Rules.REDACTED}`)
  })

  it("leaves the ordinary words of a message alone", () => {
    const message = "POST https://tenant.us.auth0.com/oauth/token answered 401: invalid_grant (urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token)"
    expect(Rules.scrub(message)).toBe(message)
    expect(Rules.scrub("The user is not logged in (no session)")).toBe("The user is not logged in (no session)")
    expect(Rules.isTokenShaped("federated-connection-access-token")).toBe(false)
    expect(Rules.isTokenShaped("create_me_connected_accounts_and_more")).toBe(false)
  })

  it("scrubs nested values: arrays, records, errors", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    expect(Rules.scrubUnknown({ a: [jwt, 1], b: new Error(`bad ${jwt}`) })).toEqual({ a: [Rules.REDACTED, 1], b: `Error: bad ${Rules.REDACTED}` })
  })
})

describe("TelemetryRules URLs", () => {
  const url = FastCheck.webUrl({ withQueryParameters: true, withFragments: true })

  it.prop("urlPath never carries a query, a fragment, credentials or the origin", [url], ([u]) => {
    const path = Rules.urlPath(u)
    expect(path.startsWith("/")).toBe(true)
    expect(path).not.toMatch(/[?#]/)
    expect(path).toBe(new URL(u).pathname)
  })

  it.prop("endpointPath never carries a query, and keeps the segment count", [url], ([u]) => {
    const path = Rules.endpointPath(u)
    expect(path).not.toMatch(/[?#]/)
    expect(path.split("/").length).toBe(new URL(u).pathname.split("/").length)
  })

  it("endpointPath names the endpoint, not the account or user", () => {
    expect(Rules.endpointPath("https://t.example/me/v1/connected-accounts/accounts/cac_9f8e7d6c?x=1")).toBe("/me/v1/connected-accounts/accounts/{id}")
    expect(Rules.endpointPath("https://t.example/mfa/authenticators/sms%7Cdev_1")).toBe("/mfa/authenticators/{id}")
    expect(Rules.endpointPath("https://t.example/oauth/token?code=abc")).toBe("/oauth/token")
    expect(Rules.endpointPath("https://t.example/me/v1/connected-accounts/connections")).toBe("/me/v1/connected-accounts/connections")
    expect(Rules.urlPath("not a url")).toBe("(invalid URL)")
  })
})

describe("TelemetryRules.safeAttribute", () => {
  it.prop("our spans keep only the allowed keys", [FastCheck.string({ minLength: 1, maxLength: 30 }), FastCheck.string()], ([key, value]) => {
    const kept = Rules.safeAttribute("auth0.login.callback", key, value)
    if (!Rules.ALLOWED_ATTRIBUTES.has(key)) expect(kept).toBeUndefined()
  })

  it("drops tokens and queries from any span's attributes", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    expect(Rules.safeAttribute("auth0.http", "url.path", "/oauth/token?code=x")).toBe("/oauth/token")
    expect(Rules.safeAttribute("GET /app", "url.full", "https://app.example/cb?code=secret-code")).toBe("/cb")
    expect(Rules.safeAttribute("GET /app", "url.query", "code=secret-code")).toBeUndefined()
    expect(Rules.safeAttribute("GET /app", "app.token", jwt)).toBe(Rules.REDACTED)
    expect(Rules.safeAttribute("auth0.refresh", "auth0.refresh_token", "x")).toBeUndefined()
    expect(Rules.safeAttribute("auth0.http", "auth0.attempt", 2)).toBe(2)
    expect(Rules.safeAttribute("auth0.access_token.get", "auth0.audience", "https://api.example.com")).toBe("https://api.example.com")
  })
})
