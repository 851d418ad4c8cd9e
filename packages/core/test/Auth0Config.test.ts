import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { resolve } from "../src/Auth0Config.js"
import { Auth0Error, ConfigurationError } from "../src/Errors.js"

const valid = {
  domain: "tenant.auth0.com",
  clientId: "client",
  clientSecret: "secret",
  secret: "s".repeat(32)
}

describe("configuration", () => {
  it.effect("a host name implies https; derived values are computed once", () =>
    Effect.gen(function*() {
      const config = yield* resolve(valid)
      expect(config.origin).toBe("https://tenant.auth0.com")
      expect(config.issuer).toBe("https://tenant.auth0.com/")
      expect(config.myAccount).toEqual({ baseUrl: "https://tenant.auth0.com/me/v1", audience: "https://tenant.auth0.com/me/" })
      expect(config.clientAuth).toEqual({ method: "client_secret_post", secret: "secret" })
      expect(config.secrets).toEqual(["s".repeat(32)])
    }))

  it.effect("http is accepted only for loopback hosts and only when allowed explicitly", () =>
    Effect.gen(function*() {
      expect((yield* resolve({ ...valid, domain: "http://127.0.0.1:4000", allowInsecureHttp: true })).origin).toBe("http://127.0.0.1:4000")
      expect((yield* resolve({ ...valid, domain: "http://localhost:4000", allowInsecureHttp: true })).issuer).toBe("http://localhost:4000/")
    }))

  const bad: ReadonlyArray<readonly [string, Record<string, unknown>, string, RegExp]> = [
    ["plain http without the flag", { domain: "http://127.0.0.1:4000" }, "domain", /allowInsecureHttp/],
    ["plain http to a public host", { domain: "http://tenant.auth0.com", allowInsecureHttp: true }, "domain", /loopback/],
    ["a domain with a path", { domain: "https://tenant.auth0.com/x" }, "domain", /without path/],
    ["a domain that is not a host", { domain: "ht tp://x" }, "domain", /not a host name/],
    ["an empty client id", { clientId: "" }, "clientId", /.+/],
    ["a short secret", { secret: "short" }, "secret", /at least 32 characters/],
    ["a short secret among several", { secret: ["s".repeat(32), "short"] }, "secret", /.+/],
    ["no client credential", { clientSecret: undefined }, "clientSecret", /required/],
    ["private_key_jwt without a key", { clientAuthMethod: "private_key_jwt" }, "clientAssertionSigningKey", /required/],
    ["a relative redirect URI", { redirectUri: "/callback" }, "redirectUri", /absolute URL/],
    ["an http redirect URI to a public host", { redirectUri: "http://app.example.com/callback" }, "redirectUri", /https/],
    ["authorization params owned by the SDK", { authorizationParams: { state: "fixed" } }, "authorizationParams.state", /set by the SDK/],
    ["a negative timeout", { httpTimeoutMs: -1 }, "httpTimeoutMs", /.+/],
    ["SameSite=None without Secure", { cookie: { sameSite: "none", secure: false } }, "cookie.sameSite", /requires cookie.secure/],
    ["an http redirect URI to a public host even with allowInsecureHttp", { redirectUri: "http://app.example.com/cb", allowInsecureHttp: true }, "redirectUri", /loopback/]
  ]
  for (const [name, override, field, message] of bad) {
    it.effect(`refuses ${name}, naming "${field}"`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolve({ ...valid, ...override }))
        expect(error).toBeInstanceOf(ConfigurationError)
        expect(error).toBeInstanceOf(Auth0Error)
        expect(error.field).toBe(field)
        expect(error.message).toMatch(message)
        expect(error.message).toContain(field)
      }))
  }

  it.effect("never puts a secret in an error message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({ ...valid, clientSecret: "super-secret-value", secret: "tiny-secret" }))
      expect(error.message).not.toContain("tiny-secret")
      expect(error.message).not.toContain("super-secret-value")
    }))
})
