import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as jose from "jose"
import type { KeyResolver } from "../src/AuthorizationServer.js"
import { DiscoveryError } from "../src/Errors.js"
import * as IdToken from "../src/IdToken.js"

const ISSUER = "https://tenant.example.com/"
const CLIENT = "client-1"
const NOW = 1_800_000_000

const keys = await jose.generateKeyPair("RS256", { extractable: true })
const otherKeys = await jose.generateKeyPair("RS256", { extractable: true })

const resolver: KeyResolver = (header) =>
  header.kid === "k1"
    ? Effect.succeed(keys.publicKey)
    : Effect.fail(new DiscoveryError({ reason: "unknown_key", message: `No key in the JWKS matches kid "${header.kid}"` }))

const base = {
  iss: ISSUER,
  aud: CLIENT,
  sub: "auth0|user",
  nonce: "n-1",
  iat: NOW - 10,
  exp: NOW + 3600,
  auth_time: NOW - 100,
  sid: "sid-1"
}

const sign = (claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; alg?: string } = {}) =>
  new jose.SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "RS256", kid: options.kid ?? "k1" }).sign(
    options.key ?? keys.privateKey
  )

const unsigned = (claims: Record<string, unknown>) =>
  `${jose.base64url.encode(JSON.stringify({ alg: "none", kid: "k1" }))}.${jose.base64url.encode(JSON.stringify(claims))}.`

const expectations: IdToken.Expectations = {
  issuer: ISSUER,
  clientId: CLIENT,
  nonce: "n-1",
  now: NOW,
  toleranceSeconds: 60,
  maxAge: undefined,
  advertisedAlgorithms: ["RS256"]
}

const validate = (token: string, overrides: Partial<IdToken.Expectations> = {}) =>
  IdToken.validate(token, resolver, { ...expectations, ...overrides })

describe("ID token validation (OIDC Core 3.1.3.7)", () => {
  it.effect("accepts a valid token and returns its claims", () =>
    Effect.gen(function*() {
      const claims = yield* validate(yield* Effect.promise(() => sign(base)))
      expect(claims.sub).toBe("auth0|user")
      expect(claims["sid"]).toBe("sid-1")
    }))

  const hs = new TextEncoder().encode("a-client-secret-that-is-long-enough-0123456789")
  const cases: ReadonlyArray<{
    name: string
    token: () => Promise<string>
    overrides?: Partial<IdToken.Expectations>
    reason: IdToken.Expectations extends never ? never : string
  }> = [
    { name: "unsigned (alg none)", token: async () => unsigned(base), reason: "algorithm" },
    { name: "HMAC-signed (HS256)", token: () => new jose.SignJWT(base).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(hs), reason: "algorithm" },
    { name: "signed with a key not in the JWKS", token: () => sign(base, { kid: "unknown" }), reason: "signature" },
    { name: "signed by another key under a known kid", token: () => sign(base, { key: otherKeys.privateKey }), reason: "signature" },
    { name: "an algorithm the provider does not advertise", token: () => sign(base), overrides: { advertisedAlgorithms: ["ES256"] }, reason: "algorithm" },
    { name: "a different issuer", token: () => sign({ ...base, iss: "https://evil.example.com/" }), reason: "issuer" },
    { name: "issuer without the trailing slash", token: () => sign({ ...base, iss: "https://tenant.example.com" }), reason: "issuer" },
    { name: "another audience", token: () => sign({ ...base, aud: "other-client" }), reason: "audience" },
    { name: "several audiences without azp", token: () => sign({ ...base, aud: [CLIENT, "api"] }), reason: "azp" },
    { name: "azp of another client", token: () => sign({ ...base, azp: "other-client" }), reason: "azp" },
    { name: "expired beyond the leeway", token: () => sign({ ...base, exp: NOW - 61 }), reason: "expired" },
    { name: "no exp", token: () => sign({ ...base, exp: undefined }), reason: "expired" },
    { name: "issued in the future", token: () => sign({ ...base, iat: NOW + 120 }), reason: "issued_at" },
    { name: "no iat", token: () => sign({ ...base, iat: undefined }), reason: "issued_at" },
    { name: "a wrong nonce", token: () => sign({ ...base, nonce: "n-2" }), reason: "nonce" },
    { name: "no nonce", token: () => sign({ ...base, nonce: undefined }), reason: "nonce" },
    { name: "auth_time too old for max_age", token: () => sign(base), overrides: { maxAge: 10 }, reason: "auth_time" },
    { name: "no auth_time although max_age was sent", token: () => sign({ ...base, auth_time: undefined }), overrides: { maxAge: 600 }, reason: "auth_time" },
    { name: "no sub", token: () => sign({ ...base, sub: undefined }), reason: "subject" },
    { name: "not a JWT at all", token: async () => "garbage", reason: "malformed" }
  ]

  for (const c of cases) {
    it.effect(`rejects a token ${c.name}`, () =>
      Effect.gen(function*() {
        const token = yield* Effect.promise(c.token)
        const error = yield* Effect.flip(validate(token, c.overrides))
        expect(error._tag).toBe("IdTokenValidationError")
        expect(error).toMatchObject({ reason: c.reason })
      }))
  }

  it.effect("accepts exp and iat within the leeway, several audiences with our azp, and a fresh auth_time", () =>
    Effect.gen(function*() {
      const token = yield* Effect.promise(() =>
        sign({ ...base, exp: NOW - 30, iat: NOW + 30, aud: [CLIENT, "api"], azp: CLIENT })
      )
      expect((yield* validate(token, { maxAge: 600 })).sub).toBe("auth0|user")
    }))

  it.effect("a refreshed ID token has no nonce to check", () =>
    Effect.gen(function*() {
      const token = yield* Effect.promise(() => sign({ ...base, nonce: undefined }))
      expect((yield* validate(token, { nonce: undefined })).sub).toBe("auth0|user")
    }))
})
