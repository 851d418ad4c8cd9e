import { describe, expect, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { CompactEncrypt } from "jose"
import * as SessionCrypto from "../src/SessionCrypto.js"
import { StateStore } from "../src/StateStore.js"
import { TransactionStore } from "../src/TransactionStore.js"
import { testConfig } from "./helpers/config.js"
import { checkEffect } from "./helpers/property.js"

const OLD = "old-secret-0123456789abcdefghijklmnopqrstuvwxyz"
const NEW = "new-secret-0123456789abcdefghijklmnopqrstuvwxyz"
const OTHER = "someone-else-0123456789abcdefghijklmnopqrstuvw"

/** Far in the future relative to TestClock's epoch start. */
const LATER = 10_000

const json = FastCheck.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown)

/** Built once: the properties below exercise calls, not key derivation. */
const shared = await Effect.runPromise(SessionCrypto.make([NEW, OLD]))

const header = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as Record<string, unknown>

describe("SessionCrypto", () => {
  it.effect("encrypt then decrypt round-trips any JSON value", () =>
    checkEffect([json], (value) =>
      Effect.gen(function*() {
        const token = yield* shared.encrypt(value, { expiresAt: LATER })
        expect(yield* shared.decrypt(token)).toEqual(Option.some(value))
      }), { numRuns: 500 }))

  it.effect("writes a compact JWE: dir + A256GCM, kid fingerprint, exp in the protected header", () =>
    Effect.gen(function*() {
      const crypto = yield* SessionCrypto.make([NEW])
      const token = yield* crypto.encrypt({ a: 1 }, { expiresAt: LATER })
      const parts = token.split(".")
      expect(parts).toHaveLength(5)
      expect(parts[1]).toBe("") // no encrypted key with "dir"
      const { kid, key: _ } = yield* SessionCrypto.deriveKey(NEW)
      expect(header(token)).toEqual({ alg: "dir", enc: "A256GCM", kid, exp: LATER })
      expect(kid).toMatch(/^[A-Za-z0-9_-]{8}$/)
      expect(token).not.toContain(NEW)
    }))

  it.effect("distinct secrets have distinct key ids; one secret always the same", () =>
    Effect.gen(function*() {
      const a = yield* SessionCrypto.deriveKey(OLD)
      const b = yield* SessionCrypto.deriveKey(NEW)
      const a2 = yield* SessionCrypto.deriveKey(OLD)
      expect(a.kid).not.toBe(b.kid)
      expect(a.kid).toBe(a2.kid)
    }))

  describe("rotation", () => {
    it.effect("the first secret encrypts, every secret decrypts, an unknown secret reads as none", () =>
      Effect.gen(function*() {
        const before = yield* SessionCrypto.make([OLD])
        const rotated = yield* SessionCrypto.make([NEW, OLD])
        const stranger = yield* SessionCrypto.make([OTHER])
        const oldToken = yield* before.encrypt("made before rotation", { expiresAt: LATER })
        const newToken = yield* rotated.encrypt("made after rotation", { expiresAt: LATER })

        expect(yield* rotated.decrypt(oldToken)).toEqual(Option.some("made before rotation"))
        expect(header(newToken).kid).toBe((yield* SessionCrypto.deriveKey(NEW)).kid)
        expect(yield* rotated.decrypt(newToken)).toEqual(Option.some("made after rotation"))
        // The old secret alone cannot read what the new one wrote, nor can a stranger read either.
        expect(yield* before.decrypt(newToken)).toEqual(Option.none())
        expect(yield* stranger.decrypt(oldToken)).toEqual(Option.none())
        expect(yield* stranger.decrypt(newToken)).toEqual(Option.none())
        // Once the old secret is dropped, its tokens are gone.
        const retired = yield* SessionCrypto.make([NEW])
        expect(yield* retired.decrypt(oldToken)).toEqual(Option.none())
      }))

    it.effect("a token without our kid is still tried against every key", () =>
      Effect.gen(function*() {
        const { key } = yield* SessionCrypto.deriveKey(OLD)
        const crypto = yield* SessionCrypto.make([NEW, OLD])
        for (const extra of [{}, { kid: "unknown" }]) {
          const token = yield* Effect.promise(() =>
            new CompactEncrypt(new TextEncoder().encode("\"hello\""))
              .setProtectedHeader({ alg: "dir", enc: "A256GCM", exp: LATER, ...extra })
              .encrypt(key)
          )
          expect(yield* crypto.decrypt(token)).toEqual(Option.some("hello"))
        }
      }))

    it.effect("a token without exp is refused even with the right key", () =>
      Effect.gen(function*() {
        const { key, kid } = yield* SessionCrypto.deriveKey(NEW)
        const crypto = yield* SessionCrypto.make([NEW])
        const token = yield* Effect.promise(() =>
          new CompactEncrypt(new TextEncoder().encode("1"))
            .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid })
            .encrypt(key)
        )
        expect(yield* crypto.decrypt(token)).toEqual(Option.none())
      }))
  })

  it.effect("expiry is read from Clock: valid until exp, none from exp on", () =>
    Effect.gen(function*() {
      const crypto = yield* SessionCrypto.make([NEW])
      const token = yield* crypto.encrypt({ n: 1 }, { expiresAt: 60 })
      yield* TestClock.adjust("59 seconds")
      expect(yield* crypto.decryptToken(token)).toEqual(Option.some({ payload: { n: 1 }, expiresAt: 60, currentKey: true }))
      yield* TestClock.adjust("1 second")
      expect(yield* crypto.decrypt(token)).toEqual(Option.none())
    }))

  it.effect("any single character changed in a token reads as none", () =>
    Effect.gen(function*() {
      const token = yield* shared.encrypt({ sub: "auth0|123", tokens: ["a", "b"] }, { expiresAt: LATER })
      expect(yield* shared.decrypt(token)).toEqual(Option.some({ sub: "auth0|123", tokens: ["a", "b"] }))
      yield* checkEffect(
        [FastCheck.nat({ max: token.length - 1 }), FastCheck.integer({ min: 0, max: 0xff })],
        (i, code) =>
          Effect.gen(function*() {
            const replacement = String.fromCharCode(code)
            if (replacement === token[i]) return
            const changed = token.slice(0, i) + replacement + token.slice(i + 1)
            expect(yield* shared.decrypt(changed)).toEqual(Option.none())
          }),
        { numRuns: 3000 }
      )
    }))

  it.effect("every last-character variant of every segment but the original reads as none", () =>
    Effect.gen(function*() {
      // Base64 decoders ignore a final character's unused bits: each variant decodes to the same bytes.
      const token = yield* shared.encrypt([1, 2, 3], { expiresAt: LATER })
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      const segments = token.split(".")
      for (const [s, segment] of segments.entries()) {
        if (segment === "") continue
        for (const c of alphabet) {
          if (c === segment[segment.length - 1]) continue
          const variant = segments.map((seg, j) => (j === s ? seg.slice(0, -1) + c : seg)).join(".")
          expect(yield* shared.decrypt(variant)).toEqual(Option.none())
        }
      }
    }))

  it.effect("junk never throws and never decrypts", () =>
    checkEffect([FastCheck.string({ maxLength: 400 })], (junk) =>
      Effect.gen(function*() {
        expect(yield* shared.decrypt(junk)).toEqual(Option.none())
      }), { numRuns: 1000 }))

  it.effect("keys are derived once at build, never per call", () =>
    Effect.gen(function*() {
      const crypto = yield* SessionCrypto.make([NEW, OLD])
      const deriveKey = vi.spyOn(globalThis.crypto.subtle, "deriveKey")
      const importKey = vi.spyOn(globalThis.crypto.subtle, "importKey")
      try {
        for (let i = 0; i < 20; i++) {
          const token = yield* crypto.encrypt({ i }, { expiresAt: LATER })
          expect(yield* crypto.decrypt(token)).toEqual(Option.some({ i }))
        }
        expect(deriveKey).not.toHaveBeenCalled()
        expect(importKey).not.toHaveBeenCalled()
      } finally {
        deriveKey.mockRestore()
        importKey.mockRestore()
      }
    }))

  it.effect("session and transaction stores built together derive the keys once", () =>
    Effect.gen(function*() {
      const importKey = vi.spyOn(globalThis.crypto.subtle, "importKey")
      try {
        // Three layers that each provide SessionCrypto.layer internally.
        const stores = Layer.mergeAll(StateStore.cookie, TransactionStore.cookie, StateStore.memory).pipe(
          Layer.provide(testConfig({ secret: [NEW, OLD] }))
        )
        yield* Effect.scoped(Layer.build(stores))
        // One HKDF import per secret, shared by every store.
        expect(importKey).toHaveBeenCalledTimes(2)
      } finally {
        importKey.mockRestore()
      }
    }))
})
