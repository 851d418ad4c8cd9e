/**
 * Compression of cookie plaintexts (SessionCrypto module docs): deflated when smaller, flagged by
 * the authenticated `pzip` header, old tokens still read, anything else refused, inflation capped.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import { CompactEncrypt } from "jose"
import { deflateRawSync, inflateRawSync } from "node:zlib"
import * as Deflate from "../src/internal/deflate.js"
import * as SessionCrypto from "../src/SessionCrypto.js"
import { checkEffect } from "./helpers/property.js"

const SECRET = "compression-secret-0123456789abcdefghijklmnop"
const LATER = 10_000

const derived = await Effect.runPromise(SessionCrypto.deriveKey(SECRET))
const zlibCodec = await Deflate.load()
const codecs = { "node:zlib": zlibCodec, CompressionStream: Deflate.webStreams } as const
const withZlib = SessionCrypto.fromKeys([derived], zlibCodec)
const withStreams = SessionCrypto.fromKeys([derived], Deflate.webStreams)

const header = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as Record<string, unknown>

/** A token sealed with our key and any protected header and plaintext bytes. */
const forge = (plaintext: Uint8Array, extra: Record<string, unknown>) =>
  Effect.promise(() =>
    new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: derived.kid, exp: LATER, ...extra })
      .encrypt(derived.key)
  )

const utf8 = (text: string) => new TextEncoder().encode(text)

const json = FastCheck.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown)
/** Sessions-like payloads large enough to be deflated: repeated claims, tokens, scopes. */
const large = FastCheck.tuple(json, FastCheck.string({ minLength: 1, maxLength: 40 }), FastCheck.integer({ min: 10, max: 400 }))
  .map(([value, word, times]) => ({ value, repeated: Array.from({ length: times }, (_, i) => `${word}-${i % 7}`) }))

describe("SessionCrypto compression", () => {
  it("picks node:zlib on Node", () => {
    expect(zlibCodec).not.toBe(Deflate.webStreams)
  })

  for (const [name, crypto] of [["node:zlib", withZlib], ["CompressionStream", withStreams]] as const) {
    it.effect(`${name}: encrypt then decrypt round-trips any JSON value, small or large`, () =>
      checkEffect([FastCheck.oneof(json, large)], (value) =>
        Effect.gen(function*() {
          const token = yield* crypto.encrypt(value, { expiresAt: LATER })
          expect(yield* crypto.decrypt(token)).toEqual(Option.some(value))
        }), { numRuns: 150 }))
  }

  it.effect("both codecs write one format: either reads what the other wrote", () =>
    checkEffect([large], (value) =>
      Effect.gen(function*() {
        expect(yield* withStreams.decrypt(yield* withZlib.encrypt(value, { expiresAt: LATER }))).toEqual(Option.some(value))
        expect(yield* withZlib.decrypt(yield* withStreams.encrypt(value, { expiresAt: LATER }))).toEqual(Option.some(value))
      }), { numRuns: 40 }))

  it.effect("a payload that deflates smaller is flagged pzip: DEF and shorter; a small one is left as it is", () =>
    Effect.gen(function*() {
      const value = { tokens: Array.from({ length: 50 }, (_, i) => `token-${i % 5}-abcdefghijklmnop`) }
      const compressed = yield* withZlib.encrypt(value, { expiresAt: LATER })
      expect(header(compressed)[SessionCrypto.COMPRESSION_HEADER]).toBe("DEF")
      const plain = yield* forge(utf8(JSON.stringify(value)), {})
      expect(compressed.length).toBeLessThan(plain.length / 3)
      const small = yield* withZlib.encrypt({ id: "a".repeat(43) }, { expiresAt: LATER })
      expect(header(small)).not.toHaveProperty(SessionCrypto.COMPRESSION_HEADER)
    }))

  it.effect("a payload that deflate cannot shrink is sealed uncompressed", () =>
    Effect.gen(function*() {
      // A codec whose output is never smaller: the plaintext must go in as it is.
      const growing = SessionCrypto.fromKeys([derived], { ...zlibCodec, deflate: (input) => Promise.resolve(new Uint8Array(input.length)) })
      const value = { tokens: Array.from({ length: 50 }, (_, i) => `token-${i % 5}`) }
      const token = yield* growing.encrypt(value, { expiresAt: LATER })
      expect(header(token)).not.toHaveProperty(SessionCrypto.COMPRESSION_HEADER)
      expect(yield* withZlib.decrypt(token)).toEqual(Option.some(value))
    }))

  it.effect("old cookies (no pzip, sealed before compression) still read, with either codec", () =>
    checkEffect([FastCheck.oneof(json, large)], (value) =>
      Effect.gen(function*() {
        const old = yield* forge(utf8(JSON.stringify(value)), {})
        expect(yield* withZlib.decrypt(old)).toEqual(Option.some(value))
        expect(yield* withStreams.decrypt(old)).toEqual(Option.some(value))
      }), { numRuns: 100 }))

  for (const [name, codec] of Object.entries(codecs)) {
    const crypto = SessionCrypto.fromKeys([derived], codec)
    it.effect(`${name}: a pzip token whose plaintext is garbage reads as no session`, () =>
      checkEffect([FastCheck.uint8Array({ minLength: 0, maxLength: 2_000 })], (bytes) =>
        Effect.gen(function*() {
          const token = yield* forge(bytes, { [SessionCrypto.COMPRESSION_HEADER]: "DEF" })
          const read = yield* crypto.decrypt(token)
          // Random bytes are almost never a raw DEFLATE stream of JSON; if one is, it must be that JSON.
          if (Option.isSome(read)) {
            expect(read.value).toEqual(JSON.parse(new TextDecoder().decode(new Uint8Array(inflateRawSync(bytes)))))
          }
        }), { numRuns: 200 }))

    it.effect(`${name}: valid DEFLATE of non-JSON, or an unknown pzip value, reads as no session`, () =>
      Effect.gen(function*() {
        const notJson = yield* forge(new Uint8Array(deflateRawSync(utf8("{not json"))), { [SessionCrypto.COMPRESSION_HEADER]: "DEF" })
        expect(yield* crypto.decrypt(notJson)).toEqual(Option.none())
        for (const value of ["GZIP", "def", 1, true, null]) {
          const token = yield* forge(utf8(JSON.stringify({ a: 1 })), { [SessionCrypto.COMPRESSION_HEADER]: value })
          expect(yield* crypto.decrypt(token)).toEqual(Option.none())
        }
      }))

    it.effect(`${name}: a decompression bomb is refused; the same size just under the cap reads`, () =>
      Effect.gen(function*() {
        const bomb = new Uint8Array(deflateRawSync(utf8(`"${"0".repeat(SessionCrypto.MAX_INFLATED_LENGTH * 8)}"`)))
        expect(bomb.length).toBeLessThan(4_096)
        const token = yield* forge(bomb, { [SessionCrypto.COMPRESSION_HEADER]: "DEF" })
        expect(yield* crypto.decrypt(token)).toEqual(Option.none())
        const edge = `"${"0".repeat(SessionCrypto.MAX_INFLATED_LENGTH - 2)}"`
        const fits = yield* forge(new Uint8Array(deflateRawSync(utf8(edge))), { [SessionCrypto.COMPRESSION_HEADER]: "DEF" })
        expect(yield* crypto.decrypt(fits)).toEqual(Option.some(JSON.parse(edge)))
      }))
  }

  it.effect("the pzip flag is authenticated: moving it to a token sealed without it breaks the tag", () =>
    Effect.gen(function*() {
      const value = { tokens: Array.from({ length: 50 }, (_, i) => `token-${i % 5}`) }
      const compressed = yield* withZlib.encrypt(value, { expiresAt: LATER })
      const { [SessionCrypto.COMPRESSION_HEADER]: _flag, ...rest } = header(compressed)
      const stripped = [Buffer.from(JSON.stringify(rest)).toString("base64url"), ...compressed.split(".").slice(1)].join(".")
      expect(yield* withZlib.decrypt(stripped)).toEqual(Option.none())
    }))

  it.effect("RFC 7516 zip stays refused (not ours), even with our key", () =>
    Effect.gen(function*() {
      const token = yield* Effect.promise(() =>
        new CompactEncrypt(utf8(JSON.stringify({ a: "b".repeat(500) })))
          .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: derived.kid, exp: LATER, zip: "DEF" })
          .encrypt(derived.key)
      )
      expect(yield* withZlib.decrypt(token)).toEqual(Option.none())
    }))

  it.effect("a plaintext over the inflation cap is never deflated (it could not be read back)", () =>
    Effect.gen(function*() {
      const token = yield* withZlib.encrypt("z".repeat(SessionCrypto.MAX_INFLATED_LENGTH + 10), { expiresAt: LATER })
      expect(header(token)).not.toHaveProperty(SessionCrypto.COMPRESSION_HEADER)
    }))
})
