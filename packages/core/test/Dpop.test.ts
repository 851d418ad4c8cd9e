import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { decodeProtectedHeader, EmbeddedJWK, jwtVerify } from "jose"
import { Auth0Config } from "../src/Auth0Config.js"
import * as Dpop from "../src/Dpop.js"
import * as Rules from "../src/DpopRules.js"
import { testConfig, testOptions } from "./helpers/config.js"

const keys = await Promise.all(Rules.ALGORITHMS.map((alg) => Effect.runPromise(Dpop.generateKey(alg))))
const es256 = keys[0]!

const withKey = (key: Dpop.GeneratedKey, useJwk = true) =>
  testConfig({ dpop: { privateKey: useJwk ? key.privateJwk : key.privatePem, alg: key.alg } })

const host = FastCheck.constantFrom("api.example.com", "API.Example.COM", "127.0.0.1:8443", "tenant.auth0.com:443")
const segment = FastCheck.stringMatching(/^[a-z0-9._~-]{0,12}$/)
const query = FastCheck.stringMatching(/^[a-z0-9=&%]{0,20}$/)

describe("DpopRules", () => {
  it.prop("htu drops query and fragment and keeps scheme, host and path (RFC 9449 §4.2)", [
    host,
    FastCheck.array(segment, { maxLength: 4 }),
    query,
    query
  ], ([h, path, q, f]) => {
    const url = new URL(`https://${h}/${path.join("/")}${q ? `?${q}` : ""}${f ? `#${f}` : ""}`)
    const value = Rules.htu(url)
    expect(value).not.toMatch(/[?#]/)
    expect(value).toBe(`${url.origin}${url.pathname}`)
    expect(Rules.htu(value)).toBe(value)
  })

  it.effect.prop("ath is BASE64URL(SHA-256(token)) (RFC 9449 §4.2)", [FastCheck.string({ minLength: 1, maxLength: 200 })], ([token]) =>
    Effect.gen(function*() {
      expect(yield* Rules.ath(token)).toBe(createHash("sha256").update(token, "utf8").digest("base64url"))
    }))

  it("reads DPoP challenges among others in WWW-Authenticate (RFC 9110 §11.6.1, RFC 9449 §7.1)", () => {
    const header = 'Bearer realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'
    expect(Rules.parseWwwAuthenticate(header).map((c) => c.scheme)).toEqual(["Bearer", "DPoP"])
    expect(Option.getOrThrow(Rules.dpopChallenge(header))).toEqual({
      error: "use_dpop_nonce",
      errorDescription: "Resource server requires nonce in DPoP proof",
      algs: ["ES256", "PS256"]
    })
    expect(Option.isNone(Rules.dpopChallenge('Bearer error="invalid_token"'))).toBe(true)
    expect(Option.getOrThrow(Rules.dpopChallenge("dpop error=invalid_token")).error).toBe("invalid_token")
    expect(Option.getOrThrow(Rules.dpopChallenge('DPoP error_description="a \\"quoted\\" word"')).errorDescription).toBe('a "quoted" word')
  })

  it.prop("parsing never throws on any header", [FastCheck.string({ maxLength: 200 })], ([header]) => {
    Rules.parseWwwAuthenticate(header)
    Rules.dpopChallenge(header)
  })

  it("asks for a nonce only on the RFC's exact signals (§8, §9)", () => {
    expect(Rules.tokenEndpointNonce(400, "use_dpop_nonce", "n1")).toEqual(Option.some("n1"))
    expect(Rules.tokenEndpointNonce(400, "use_dpop_nonce", undefined)).toEqual(Option.none())
    expect(Rules.tokenEndpointNonce(400, "invalid_grant", "n1")).toEqual(Option.none())
    expect(Rules.tokenEndpointNonce(401, "use_dpop_nonce", "n1")).toEqual(Option.none())
    expect(Rules.resourceNonce(401, 'DPoP error="use_dpop_nonce"', "n2")).toEqual(Option.some("n2"))
    expect(Rules.resourceNonce(401, 'Bearer error="use_dpop_nonce"', "n2")).toEqual(Option.none())
    expect(Rules.resourceNonce(403, 'DPoP error="use_dpop_nonce"', "n2")).toEqual(Option.none())
  })

  it("a DPoP token type gives the DPoP scheme; anything else, absent included, Bearer (RFC 9449 §7.1)", () => {
    expect(Rules.authorizationScheme("DPoP")).toBe("DPoP")
    expect(Rules.authorizationScheme("dpop")).toBe("DPoP")
    expect(Rules.authorizationScheme("Bearer")).toBe("Bearer")
    expect(Rules.authorizationScheme(undefined)).toBe("Bearer")
  })
})

describe("Dpop proofs", () => {
  for (const key of keys) {
    for (const form of ["JWK", "PEM"] as const) {
      it.effect(`${key.alg} key as ${form}: a proof verifies with its embedded jwk and carries every claim`, () =>
        Effect.gen(function*() {
          const proof = yield* Dpop.generateProof({ method: "post", url: "https://api.example.com/items?x=1#f", accessToken: "at-1" })
          const { payload, protectedHeader } = yield* Effect.promise(() => jwtVerify(proof, EmbeddedJWK, { typ: "dpop+jwt" }))
          expect(protectedHeader.alg).toBe(key.alg)
          expect(protectedHeader.jwk).toEqual(key.publicJwk)
          expect(JSON.stringify(protectedHeader.jwk)).not.toMatch(/"(d|p|q|dp|dq|qi)"/)
          expect(payload).toMatchObject({ htm: "POST", htu: "https://api.example.com/items", ath: yield* Rules.ath("at-1") })
          expect(typeof payload.iat).toBe("number")
          expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
          expect(payload.nonce).toBeUndefined()
        }).pipe(Effect.provide(withKey(key, form === "JWK"))))
    }
  }

  it.effect("no ath without an access token; the nonce given goes in", () =>
    Effect.gen(function*() {
      const proof = yield* Dpop.generateProof({ method: "GET", url: "https://api.example.com/", nonce: "n-1" })
      const { payload } = yield* Effect.promise(() => jwtVerify(proof, EmbeddedJWK))
      expect(payload["ath"]).toBeUndefined()
      expect(payload["nonce"]).toBe("n-1")
    }).pipe(Effect.provide(withKey(es256))))

  it.effect("500 proofs: 500 distinct jti", () =>
    Effect.gen(function*() {
      const proofs = yield* Effect.all(
        Array.from({ length: 500 }, () => Dpop.generateProof({ method: "GET", url: "https://api.example.com/" }))
      )
      const jtis = new Set(proofs.map((p) => JSON.parse(Buffer.from(p.split(".")[1]!, "base64url").toString()).jti))
      expect(jtis.size).toBe(500)
      expect(decodeProtectedHeader(proofs[0]!).typ).toBe("dpop+jwt")
    }).pipe(Effect.provide(withKey(es256))))

  it.effect("bad arguments are typed errors, before any signing", () =>
    Effect.gen(function*() {
      const method = yield* Effect.flip(Dpop.generateProof({ method: "GET /", url: "https://api.example.com/" }))
      expect(method).toMatchObject({ _tag: "InvalidArgumentError", argument: "method" })
      const url = yield* Effect.flip(Dpop.generateProof({ method: "GET", url: "/relative" }))
      expect(url).toMatchObject({ _tag: "InvalidArgumentError", argument: "url" })
    }).pipe(Effect.provide(withKey(es256))))

  it.effect("without the dpop option a proof is a ConfigurationError naming dpop", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Dpop.generateProof({ method: "GET", url: "https://api.example.com/" }))
      expect(error).toMatchObject({ _tag: "ConfigurationError", field: "dpop" })
      expect((yield* Auth0Config).dpop).toBeUndefined()
    }).pipe(Effect.provide(testConfig())))
})

describe("dpop option", () => {
  const build = (dpop: unknown) => Effect.flip(Effect.provide(Auth0Config, Auth0Config.fromInput({ ...testOptions, dpop } as never)))

  it.effect("a key of the wrong type, a public key or garbage is a ConfigurationError naming dpop.privateKey", () =>
    Effect.gen(function*() {
      for (const dpop of [
        { privateKey: keys[2]!.privateJwk },
        { privateKey: es256.publicJwk },
        { privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" },
        { privateKey: es256.privatePem, alg: "EdDSA" }
      ]) {
        const error = yield* build(dpop)
        expect(error._tag).toBe("ConfigurationError")
        expect(error.field).toBe("dpop.privateKey")
        expect(error.message).not.toContain(String((es256.privateJwk as { d: string }).d))
      }
      expect((yield* build({ privateKey: es256.privateJwk, alg: "HS256" })).field).toBe("dpop.alg")
    }))

  it.effect("a key whose members do not make a key fails when the layer is built, not at a request", () =>
    Effect.gen(function*() {
      const broken = { ...es256.privateJwk, x: es256.privateJwk.y, y: es256.privateJwk.x }
      const error = yield* build({ privateKey: broken })
      expect(error).toMatchObject({ _tag: "ConfigurationError", field: "dpop.privateKey" })
    }))
})
