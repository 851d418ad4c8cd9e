/**
 * The cookie store's plain session decode (`internal/sessionDecode`) against the `SessionData`
 * Schema: whatever it accepts, the Schema decodes to the very same value (fields, order, dropped
 * claims); every session a flow stores is accepted; anything else is left to the Schema. And the
 * plain encode: whatever it accepts serializes to the very text the Schema's encode does.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { decodeSession, encodeSession } from "../src/internal/sessionDecode.js"
import { SessionData } from "../src/Session.js"
import { normalize, sessionArb, sessionAt } from "./helpers/sessions.js"

const schemaDecode = Schema.decodeUnknownOption(SessionData)

/** Fields a flow may add beside `sessionArb`'s: DPoP token types, requested scopes, an organization, odd claims. */
const richSession = FastCheck.tuple(
  sessionArb(1_000_000),
  FastCheck.option(FastCheck.record({ id: FastCheck.string(), name: FastCheck.string() }, { requiredKeys: ["id"] }), { nil: undefined }),
  FastCheck.constantFrom(undefined, "DPoP", "Bearer"),
  FastCheck.option(FastCheck.string({ maxLength: 30 }), { nil: undefined }),
  FastCheck.dictionary(
    FastCheck.constantFrom("email_verified", "email", "updated_at", "address", "phone_number_verified", "name"),
    FastCheck.jsonValue({ maxDepth: 1 })
  )
).map(([session, organization, tokenType, requestedScope, claims]) =>
  normalize({
    ...session,
    user: { ...session.user, ...claims, sub: session.user.sub },
    tokenSets: session.tokenSets.map((set) => ({ ...set, ...(tokenType ? { tokenType } : {}), ...(requestedScope ? { requestedScope } : {}) })),
    connectionTokenSets: session.connectionTokenSets.map((set) => ({ ...set, ...(tokenType ? { tokenType } : {}) })),
    ...(organization ? { organization } : {})
  })
)

/** Every path into a JSON value (objects and arrays), the root included. */
const paths = (value: unknown, prefix: ReadonlyArray<string | number> = []): Array<ReadonlyArray<string | number>> => {
  const out = [prefix]
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, Array.isArray(value) ? Number(key) : key]))
  }
  return out
}

const DELETE = Symbol("delete")
/** `value` with the node at `path` replaced (or deleted), or a key added beside it. */
const mutate = (value: unknown, path: ReadonlyArray<string | number>, replacement: unknown, extraKey: string | undefined): unknown => {
  if (path.length === 0) return replacement === DELETE ? undefined : replacement
  const [head, ...rest] = path
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>
  if (rest.length === 0 && replacement === DELETE) delete copy[head!]
  else copy[head!] = mutate(copy[head!], rest, replacement, undefined)
  if (rest.length === 0 && extraKey !== undefined && !Array.isArray(copy)) copy[extraKey] = replacement === DELETE ? 1 : replacement
  return copy
}

const mutated = richSession.chain((session) => {
  const all = paths(session)
  return FastCheck.tuple(
    FastCheck.constantFrom(...all),
    FastCheck.oneof(FastCheck.jsonValue({ maxDepth: 2 }), FastCheck.constant(undefined), FastCheck.constant(DELETE), FastCheck.constant(null)),
    FastCheck.option(FastCheck.constantFrom("extra", "sub", "__proto__", "tokenType", "name"), { nil: undefined })
  ).map(([path, replacement, extraKey]) => mutate(session, path, replacement, extraKey))
})

/** The plain decode agrees with the Schema wherever it answers; `true` when it answered. */
const agrees = (input: unknown): boolean => {
  const fast = decodeSession(input)
  if (fast === undefined) return false
  const schema = schemaDecode(input)
  expect(Option.isSome(schema)).toBe(true)
  const decoded = Option.getOrThrow(schema)
  expect(fast).toStrictEqual(decoded)
  expect(JSON.stringify(fast)).toBe(JSON.stringify(decoded))
  return true
}

describe("the plain session decode", () => {
  it.prop("accepts every session a flow stores, and gives what the Schema gives", [richSession], ([session]) => {
    expect(agrees(session)).toBe(true)
  }, { fastCheck: { numRuns: 400 } })

  it.prop("on any mutated session it answers only what the Schema answers", [mutated], ([input]) => {
    agrees(input)
  }, { fastCheck: { numRuns: 1500 } })

  it("drops wrongly typed standard claims exactly as the Schema does, and keeps unknown fields out", () => {
    const input = {
      ...normalize(sessionAt(100)),
      user: { email_verified: "true", sub: "auth0|1", custom: { a: 1 }, email: 5 },
      extra: "dropped",
      tokenSets: [{ audience: "a", accessToken: "t", scope: "s", expiresAt: 1, junk: true }]
    }
    expect(agrees(input)).toBe(true)
    expect(decodeSession(input)?.user).toEqual({ sub: "auth0|1", custom: { a: 1 } })
    expect(decodeSession(input)).not.toHaveProperty("extra")
  })

  it("leaves to the Schema what it is not sure of", () => {
    const base = normalize(sessionAt(100))
    for (const input of [
      { ...base, idToken: undefined },
      { ...base, user: JSON.parse(`{"sub":"u","__proto__":{"polluted":true}}`) as unknown },
      { ...base, internal: { createdAt: "100" } },
      { ...base, tokenSets: [{ ...base.tokenSets[0], tokenType: "bearer" }] },
      { ...base, organization: { name: "acme" } },
      null,
      [base]
    ]) {
      expect(decodeSession(input)).toBeUndefined()
    }
  })
})

describe("plain session decode against the Schema's own Arbitrary", () => {
  // Generated from SessionData itself: a field added to the Schema shows up here, so the plain
  // decode cannot silently drop it (it would accept and build a value without the new field).
  it("property: whatever the plain decode accepts of the Schema's values, the Schema decodes to the same value", () => {
    const encode = Schema.encodeSync(SessionData)
    let accepted = 0
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(SessionData), (session) => {
        const input: unknown = JSON.parse(JSON.stringify(encode(session)))
        const fast = decodeSession(input)
        if (fast === undefined) return
        accepted++
        expect(Option.some(fast)).toEqual(schemaDecode(input))
      }),
      { numRuns: 300 }
    )
    expect(accepted).toBeGreaterThan(30)
  })
})

describe("the plain session encode", () => {
  const encode = Schema.encodeSync(SessionData)
  it.prop("gives what the Schema's encode gives for every session a flow stores", [richSession], ([input]) => {
    const session = Schema.decodeUnknownSync(SessionData)(input)
    const fast = encodeSession(session)
    expect(fast).toBeDefined()
    // The very text the cookie store seals: same fields, same order.
    expect(JSON.stringify(fast)).toBe(JSON.stringify(encode(session)))
  }, { fastCheck: { numRuns: 300 } })

  it("property: over the Schema's own Arbitrary, whatever it accepts the Schema encodes to the same value", () => {
    let accepted = 0
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(SessionData), (session) => {
        const fast = encodeSession(session)
        if (fast === undefined) return
        accepted++
        expect(JSON.stringify(fast)).toBe(JSON.stringify(encode(session)))
      }),
      { numRuns: 300 }
    )
    expect(accepted).toBeGreaterThan(30)
  })

  it("leaves to the Schema a claim the decode would drop, and anything not plainly a session", () => {
    const base = Schema.decodeUnknownSync(SessionData)(normalize(sessionAt(100)))
    const mistyped = { ...base, user: { ...base.user, email_verified: "true" } } as unknown as SessionData
    expect(encodeSession(mistyped)).toBeUndefined()
    // The Schema keeps it: the write stores what the app gave, the next read drops it.
    expect(encode(mistyped).user).toHaveProperty("email_verified", "true")
    expect(encodeSession({ ...base, internal: { createdAt: "100" } } as unknown as SessionData)).toBeUndefined()
    // An optional field left undefined is what JSON.stringify omits: the same text either way.
    const withUndefined = { ...base, idToken: undefined, organization: undefined }
    expect(JSON.stringify(encodeSession(withUndefined))).toBe(JSON.stringify(encode(withUndefined)))
    expect(JSON.stringify(encodeSession(base))).toBe(JSON.stringify(encode(base)))
  })
})
