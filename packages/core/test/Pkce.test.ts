import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Pkce from "../src/Pkce.js"
import * as Randomness from "../src/Randomness.js"

const base64url = (bytes: ArrayBuffer) => Buffer.from(bytes).toString("base64url")

describe("PKCE (RFC 7636)", () => {
  it.effect("appendix B: the example verifier gives the example challenge", () =>
    Effect.gen(function*() {
      expect(yield* Pkce.challengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
      )
    }))

  it.effect("a fresh verifier is 43..128 unreserved characters (§4.1)", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 200; i++) {
        const verifier = yield* Pkce.makeVerifier
        expect(verifier).toMatch(Pkce.VERIFIER_PATTERN)
        expect(verifier.length).toBeGreaterThanOrEqual(43)
        expect(verifier.length).toBeLessThanOrEqual(128)
      }
    }))

  it.prop(
    "the verifier pattern accepts any 43..128 unreserved string and nothing shorter",
    [FastCheck.stringMatching(/^[A-Za-z0-9\-._~]{0,140}$/)],
    ([s]) => {
      expect(Pkce.VERIFIER_PATTERN.test(s)).toBe(s.length >= 43 && s.length <= 128)
    }
  )

  it.effect.prop(
    "challenge equals BASE64URL(SHA-256(verifier)) (§4.2)",
    [FastCheck.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/)],
    ([verifier]) =>
      Effect.gen(function*() {
        const expected = base64url(
          yield* Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)))
        )
        expect(yield* Pkce.challengeS256(verifier)).toBe(expected)
        expect(expected).not.toContain("=")
      })
  )

  it.effect("make pairs a verifier with its own challenge", () =>
    Effect.gen(function*() {
      const { challenge, verifier } = yield* Pkce.make
      expect(challenge).toBe(yield* Pkce.challengeS256(verifier))
    }))
})

describe("state and nonce", () => {
  it.effect("never repeat across many draws and are URL-safe with 256 bits", () =>
    Effect.gen(function*() {
      const seen = new Set<string>()
      for (let i = 0; i < 5000; i++) {
        const value = i % 2 === 0 ? yield* Randomness.makeState : yield* Randomness.makeNonce
        expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/)
        seen.add(value)
      }
      expect(seen.size).toBe(5000)
    }))
})
