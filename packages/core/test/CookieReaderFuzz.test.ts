/**
 * The cookie readers face whatever a client sends. 10,000 random `Cookie` headers (random names
 * and our own names and chunk names, random values, near-valid JWE shapes, mutated, expired and
 * foreign tokens) go to every reader: none may throw, fail or find a session.
 */
import { expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { makeRequestJar, RequestCookies } from "../src/RequestCookies.js"
import * as SessionCrypto from "../src/SessionCrypto.js"
import { StateStore } from "../src/StateStore.js"
import { TransactionStore } from "../src/TransactionStore.js"
import { TEST_SECRET, testConfig } from "./helpers/config.js"
import { checkEffect } from "./helpers/property.js"
import { incompressible, sessionAt } from "./helpers/sessions.js"

const ours = await Effect.runPromise(SessionCrypto.make([TEST_SECRET]))
const foreign = await Effect.runPromise(SessionCrypto.make(["somebody-else-entirely-0123456789abcdefghij"]))

const LATER = 4_000_000_000
const sessionToken = await Effect.runPromise(ours.encrypt(sessionAt(0), { expiresAt: LATER }))
const bigToken = await Effect.runPromise(
  ours.encrypt(sessionAt(0, { idToken: incompressible(7_000) }), { expiresAt: LATER })
)
const idToken = await Effect.runPromise(ours.encrypt("A".repeat(43), { expiresAt: LATER })) // an id with no data
const txToken = await Effect.runPromise(
  ours.encrypt({
    kind: "login",
    state: "s1",
    codeVerifier: "v",
    nonce: "n",
    redirectUri: "https://app.example.com/cb",
    scope: "openid",
    createdAt: -7200 // expired transaction, sealed with a far exp
  }, { expiresAt: LATER })
)
const realTokens = [sessionToken, bigToken, idToken, txToken]
const expiredToken = await Effect.runPromise(ours.encrypt(sessionAt(0), { expiresAt: -1 }))
const strangersToken = await Effect.runPromise(foreign.encrypt(sessionAt(0), { expiresAt: LATER }))

const base64url = (max: number) =>
  FastCheck.string({
    unit: FastCheck.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    maxLength: max
  })

/** A token that is guaranteed not to be one of ours: one of ours with 1..3 characters changed. */
const mutated = FastCheck.tuple(
  FastCheck.constantFrom(...realTokens),
  FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.integer({ min: 0x21, max: 0x7e })), {
    minLength: 1,
    maxLength: 3
  })
).map(([token, edits]) => {
  let out = token
  for (const [position, code] of edits) {
    const i = position % out.length
    out = out.slice(0, i) + String.fromCharCode(code) + out.slice(i + 1)
  }
  return out === token ? token.slice(1) : out
})

const header = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0" // {"alg":"dir","enc":"A256GCM"}
const nearJwe = FastCheck.tuple(
  FastCheck.oneof(FastCheck.constant(header), FastCheck.constant(sessionToken.split(".")[0]!), base64url(60)),
  FastCheck.oneof(FastCheck.constant(""), base64url(10)),
  base64url(20),
  base64url(400),
  base64url(30)
).map((parts) => parts.join("."))

const value = FastCheck.oneof(
  FastCheck.string({ maxLength: 200 }),
  FastCheck.string({ unit: "binary", maxLength: 100 }),
  base64url(300),
  nearJwe,
  mutated,
  // Ours but expired, a stranger's, another tag, nothing at all.
  FastCheck.constantFrom(expiredToken, strangersToken, ""),
  FastCheck.constantFrom(...realTokens).map((t) => t.split(".").slice(0, 4).join(".") + ".AAAAAAAAAAAAAAAAAAAAAA"),
  // Pieces of a big token under chunk names, possibly out of order.
  FastCheck.tuple(FastCheck.nat(bigToken.length), FastCheck.nat(4000)).map(([at, n]) => bigToken.slice(at, at + n))
)

const name = FastCheck.oneof(
  FastCheck.constantFrom(
    "__Host-a0_session",
    "__Host-a0_session.0",
    "__Host-a0_session.1",
    "__Host-a0_session.2",
    "__Host-a0_session.3",
    "__Host-a0_session.9",
    "__Host-a0_session.10",
    "__Host-a0_session.00",
    "__Host-a0_sessionX",
    "__Host-a0_session_",
    "__Host-a0_tx.s1",
    "__Host-a0_tx.",
    "__Host-a0_tx.s1.0"
  ),
  FastCheck.string({ minLength: 1, maxLength: 20 })
)

const cookieHeader = FastCheck.array(
  FastCheck.tuple(name, value, FastCheck.boolean()).map(([n, v, encode]) => `${n}=${encode ? encodeURIComponent(v) : v}`),
  { maxLength: 8 }
).chain((pairs) => FastCheck.constantFrom("; ", ";", " ; ").map((sep) => pairs.join(sep)))

const withJar = <A, E, R>(headerValue: string, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provideService(RequestCookies, makeRequestJar(headerValue)), Effect.exit)

/** The stateful store under its own tag, so both session stores are tested side by side. */
class MemoryStore extends Context.Tag("test/MemoryStateStore")<MemoryStore, StateStore["Type"]>() {}

const stores = Layer.mergeAll(
  StateStore.cookie,
  TransactionStore.cookie,
  Layer.effect(MemoryStore, StateStore).pipe(Layer.provide(StateStore.memory))
).pipe(Layer.provide(testConfig()))

it.effect("10,000 random Cookie headers: no exception, no failure, no session, no transaction", () =>
  Effect.gen(function*() {
    const cookieStore = yield* StateStore
    const statefulStore = yield* MemoryStore
    const transactions = yield* TransactionStore
    // Sanity: the real tokens do work where they belong, so "none" below means something.
    expect(yield* withJar(`__Host-a0_session=${sessionToken}`, cookieStore.get)).toEqual(Exit.succeed(Option.some(sessionAt(0))))

    let checked = 0
    yield* checkEffect([cookieHeader], (h) =>
      Effect.gen(function*() {
        expect(yield* withJar(h, cookieStore.get)).toEqual(Exit.succeed(Option.none()))
        expect(yield* withJar(h, statefulStore.get)).toEqual(Exit.succeed(Option.none()))
        expect(yield* withJar(h, transactions.get("s1"))).toEqual(Exit.succeed(Option.none()))
        checked++
      }), { numRuns: 10_000 })
    expect(checked).toBe(10_000)
  }).pipe(Effect.provide(stores)), 120_000)

it.effect("a stranger's token and an expired token of ours read as none", () =>
  Effect.gen(function*() {
    const cookieStore = yield* StateStore
    for (const token of [strangersToken, expiredToken]) {
      expect(yield* withJar(`__Host-a0_session=${token}`, cookieStore.get)).toEqual(Exit.succeed(Option.none()))
    }
  }).pipe(Effect.provide(stores)))
