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

const sign = (claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; alg?: string; typ?: string } = {}) =>
  new jose.SignJWT(claims).setProtectedHeader({
    alg: options.alg ?? "RS256",
    kid: options.kid ?? "k1",
    ...(options.typ !== undefined ? { typ: options.typ } : {})
  }).sign(options.key ?? keys.privateKey)

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
    { name: "not valid before a time beyond the leeway (nbf, RFC 7519 §4.1.5)", token: () => sign({ ...base, nbf: NOW + 61 }), reason: "not_before" },
    { name: "with an nbf that is not a NumericDate", token: () => sign({ ...base, nbf: "yesterday" }), reason: "not_before" },
    { name: "typed as a logout token (logout+jwt)", token: () => sign(base, { typ: "logout+jwt" }), reason: "typ" },
    { name: "typed as a JWT access token (at+jwt)", token: () => sign(base, { typ: "at+jwt" }), reason: "typ" },
    { name: "typed as an access token in full (application/at+jwt)", token: () => sign(base, { typ: "application/at+jwt" }), reason: "typ" },
    { name: "typed as a DPoP proof (dpop+jwt)", token: () => sign(base, { typ: "dpop+jwt" }), reason: "typ" },
    { name: "typed as something else", token: () => sign(base, { typ: "JOSE" }), reason: "typ" },
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

  it.effect("accepts nbf within the leeway (the same as iat's) and nbf in the past", () =>
    Effect.gen(function*() {
      for (const nbf of [NOW + 60, NOW, NOW - 3600]) {
        const token = yield* Effect.promise(() => sign({ ...base, nbf }))
        expect((yield* validate(token)).sub, String(nbf)).toBe("auth0|user")
      }
    }))

  it.effect("accepts typ JWT in any case, with or without application/, and no typ", () =>
    Effect.gen(function*() {
      for (const typ of ["JWT", "jwt", "Jwt", "application/jwt", "APPLICATION/JWT", undefined]) {
        const token = yield* Effect.promise(() => sign(base, typ === undefined ? {} : { typ }))
        expect((yield* validate(token)).sub, String(typ)).toBe("auth0|user")
      }
    }))

  it.effect("a refreshed ID token has no nonce to check", () =>
    Effect.gen(function*() {
      const token = yield* Effect.promise(() => sign({ ...base, nonce: undefined }))
      expect((yield* validate(token, { nonce: undefined })).sub).toBe("auth0|user")
    }))
})
