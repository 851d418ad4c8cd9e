/**
 * The cookie store's packed session (internal/sessionPacking): every session packs and unpacks
 * to exactly itself through JSON, user claims are stored once, older payloads read unchanged.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { userClaims } from "../src/internal/claims.js"
import * as SessionPacking from "../src/internal/sessionPacking.js"
import { SessionData } from "../src/Session.js"
import { StateStore } from "../src/StateStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { TEST_SECRET, testConfig } from "./helpers/config.js"
import * as SessionCrypto from "../src/SessionCrypto.js"
import { normalize, sessionArb, sessionAt } from "./helpers/sessions.js"

const b64 = (text: string) => Buffer.from(text).toString("base64url")
const jwt = (header: unknown, claims: unknown, signature: string) => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}.${signature}`
const through = (value: unknown) => SessionPacking.unpack(JSON.parse(JSON.stringify(SessionPacking.pack(value as never))))
const decode = Schema.decodeUnknownSync(SessionData)
const encode = Schema.encodeSync(SessionData)

// `__proto__` is left out: the session Schema drops it from `user`, so such a user is (rightly)
// stored beside the ID token instead of rebuilt from it; the first property covers that case.
const claimsArb = FastCheck.dictionary(
  FastCheck.stringMatching(/^[a-z_]{1,10}$/).filter((key) => key !== "__proto__"),
  FastCheck.jsonValue({ maxDepth: 2 }).map(normalize),
  { maxKeys: 8 }
)
const signatureArb = FastCheck.stringMatching(/^[A-Za-z0-9_-]{43,342}$/)

/** A session whose ID token carries its user claims (as a login stores it), and JWT access tokens. */
const jwtSessionArb = FastCheck.tuple(
  sessionArb(),
  claimsArb,
  FastCheck.string({ minLength: 1, maxLength: 40 }),
  signatureArb,
  FastCheck.array(FastCheck.tuple(claimsArb, signatureArb), { minLength: 1, maxLength: 3 })
).map(([session, extra, sub, signature, tokens]) => {
  const claims = { ...extra, sub, iss: "https://tenant.auth0.com/", aud: "client", iat: 1, exp: 2 }
  const idToken = jwt({ alg: "RS256", typ: "JWT", kid: "k1" }, claims, signature)
  return normalize({
    ...session,
    user: userClaims(claims),
    idToken,
    tokenSets: tokens.map(([c, s], i) => ({
      audience: `https://api-${i}.example.com`,
      accessToken: jwt({ alg: "RS256", typ: "JWT", kid: "k1" }, { ...c, sub }, s),
      scope: "read",
      expiresAt: 3
    }))
  }) as SessionData
})

describe("SessionPacking", () => {
  it.prop("any session packs and unpacks to itself, through JSON", [sessionArb()], ([session]) => {
    const encoded = normalize(encode(session))
    expect(decode(through(encoded))).toEqual(decode(encoded))
  }, { fastCheck: { numRuns: 300 } })

  it.prop("a session with JWTs packs them as text and keeps user claims once, and unpacks to itself", [jwtSessionArb], ([session]) => {
    const encoded = normalize(encode(session))
    const packed = SessionPacking.pack(encoded) as Record<string, unknown>
    expect(packed).not.toHaveProperty("user")
    expect(Array.isArray(packed["idToken"])).toBe(true)
    expect(through(encoded)).toEqual(encoded)
  }, { fastCheck: { numRuns: 300 } })

  it.prop("user claims that differ from the ID token's (filtered by a hook, merged by a refresh) are kept", [jwtSessionArb], ([session]) => {
    const changed = { ...session, user: { ...session.user, extra_claim_from_elsewhere: 1 } }
    const packed = SessionPacking.pack(changed) as Record<string, unknown>
    expect(packed["user"]).toEqual(changed.user)
    expect(through(changed)).toEqual(changed)
  }, { fastCheck: { numRuns: 100 } })

  it("a token that is not canonical base64url of UTF-8 stays a string", () => {
    const signature = "c2ln"
    for (
      const token of [
        "opaque-token",
        "a.b",
        `${b64("{}")}.${Buffer.from([0xff, 0xfe]).toString("base64url")}.${signature}`, // not UTF-8
        `${b64("{}")}.${b64("{}").slice(0, -1)}B.${signature}`, // non-canonical last character
        `${b64("{}")}=.${b64("{}")}.${signature}` // padded
      ]
    ) {
      expect(SessionPacking.packToken(token)).toBe(token)
      expect(SessionPacking.unpackToken(SessionPacking.packToken(token))).toBe(token)
    }
  })

  it.prop("any three-segment token unpacks to exactly itself: random bytes, random base64url text, BOMs", [
    FastCheck.array(
      FastCheck.oneof(
        FastCheck.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
        FastCheck.string({ unit: "binary", maxLength: 20 }).map((text) => b64(`\uFEFF${text}`)),
        FastCheck.string({ unit: "binary", maxLength: 20 }).map(b64),
        FastCheck.stringMatching(/^[A-Za-z0-9_-]{0,12}$/)
      ),
      { minLength: 3, maxLength: 3 }
    )
  ], ([segments]) => {
    const token = segments.join(".")
    const packed = JSON.parse(JSON.stringify(SessionPacking.packToken(token))) as unknown
    expect(SessionPacking.unpackToken(packed)).toBe(token)
  }, { fastCheck: { numRuns: 1000 } })

  it("a UTF-8 BOM at the start of a segment is kept as text, so the token comes back whole", () => {
    const token = `${b64("\uFEFF{\"alg\":\"none\"}")}.${b64("{}")}.c2ln`
    const packed = SessionPacking.packToken(token)
    expect(Array.isArray(packed)).toBe(true)
    expect(SessionPacking.unpackToken(JSON.parse(JSON.stringify(packed)))).toBe(token)
  })

  it.prop("a payload without the packed mark (an older cookie) is read as it is", [sessionArb()], ([session]) => {
    const encoded = normalize(encode(session))
    expect(SessionPacking.unpack(encoded)).toBe(encoded)
  }, { fastCheck: { numRuns: 100 } })

  it.effect("the cookie store writes packed sessions and still reads sessions sealed unpacked", () =>
    Effect.gen(function*() {
      const session = sessionAt(0, {
        user: { sub: "auth0|u1", name: "Ada" },
        idToken: jwt({ alg: "RS256" }, { sub: "auth0|u1", name: "Ada", iss: "https://t/", nonce: "n" }, "c2lnbmF0dXJl")
      })
      const browser = makeCookieBrowser()
      const store = Effect.flatMap(StateStore, (s) => Effect.succeed(s))
      const read = Effect.flatMap(store, (s) => s.get)
      yield* browser.request(Effect.flatMap(store, (s) => s.set(session)))
      expect(Option.getOrThrow(yield* browser.request(read))).toEqual(normalize(session))
      const crypto = yield* SessionCrypto.make([TEST_SECRET])
      const [name, written] = [...browser.cookies][0]!
      const payload = Option.getOrThrow(yield* crypto.decrypt(written)) as Record<string, unknown>
      expect(payload).toMatchObject({ v: SessionPacking.PACKED_VERSION })
      expect(payload).not.toHaveProperty("user")

      // A cookie sealed before packing: the plain encoded session.
      const old = yield* crypto.encrypt(normalize(encode(session)), { expiresAt: 86_400 })
      const oldBrowser = makeCookieBrowser([[name, old]])
      expect(Option.getOrThrow(yield* oldBrowser.request(read))).toEqual(normalize(session))
    }).pipe(Effect.provide(StateStore.cookie), Effect.provide(testConfig())))
})
