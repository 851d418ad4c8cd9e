/**
 * Cookie tossing, played as the attacker: a sibling subdomain (evil.example.com next to
 * app.example.com) cannot read the app's cookies but can plant its own under the same names,
 * with `Domain=example.com` or a narrower `Path`, so the browser sends both copies (RFC 6265
 * §5.4) in an order the attacker picks. The attacker holds real cookies of the app (they log in
 * themselves). Whatever they plant, the victim must never read the attacker's session, and the
 * victim's own cookies must never be expired in a way that leaves only the planted ones.
 *
 * The stores use `cookie.domain` here: the setting where names cannot carry `__Host-` and this
 * check is the defence (with `__Host-` names the browser refuses the planted cookies).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { makeRequestJar, RequestCookies } from "../src/RequestCookies.js"
import type { LoginTransaction, SessionData } from "../src/Session.js"
import { StateStore } from "../src/StateStore.js"
import { TransactionStore } from "../src/TransactionStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { testConfig } from "./helpers/config.js"
import { checkEffect } from "./helpers/property.js"
import { incompressible, normalize, sessionAt } from "./helpers/sessions.js"

const NAME = "__a0_session"
const config = testConfig({ cookie: { domain: "example.com", maxHeaderBytes: 40_960 } })

const victimSession = (idToken: string): SessionData =>
  sessionAt(0, { user: { sub: "auth0|victim" }, idToken })
const attackerSession = (idToken: string): SessionData =>
  sessionAt(0, { user: { sub: "auth0|attacker" }, idToken })

const getSession = Effect.flatMap(StateStore, (store) => store.get)
const setSession = (data: SessionData, options?: { readonly rotate?: boolean }) =>
  Effect.flatMap(StateStore, (store) => store.set(data, options))

type Pairs = ReadonlyArray<readonly [string, string]>

/** One request with exactly this Cookie header (names may repeat); the result and the Set-Cookie lines. */
const send = <A, E, R>(pairs: Pairs, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const jar = makeRequestJar(pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join("; "))
    const result = yield* Effect.provideService(effect, RequestCookies, jar)
    return { result, setCookies: jar.setCookieHeaders() }
  })

/** The cookies a browser holds after `data` was saved in it. */
const cookiesOf = (data: SessionData) =>
  Effect.gen(function*() {
    const browser = makeCookieBrowser()
    yield* browser.request(setSession(data))
    return [...browser.cookies] as Pairs
  })

const sub = (found: Option.Option<SessionData>) => Option.map(found, (data) => data.user.sub)

describe("cookie tossing against the cookie session store", () => {
  const layer = StateStore.cookie.pipe(Layer.provide(config))

  it.effect("a planted duplicate session cookie (the attacker's real one): no session, nothing expired", () =>
    Effect.gen(function*() {
      const victim = yield* cookiesOf(victimSession("v"))
      const attacker = yield* cookiesOf(attackerSession("a"))
      for (const pairs of [[...attacker, ...victim], [...victim, ...attacker]]) {
        const { result, setCookies } = yield* send(pairs, getSession)
        expect(result).toEqual(Option.none())
        expect(setCookies).toEqual([])
      }
      // Once the planted cookie is gone, the victim's session is still there.
      expect(sub((yield* send(victim, getSession)).result)).toEqual(Option.some("auth0|victim"))
    }).pipe(Effect.provide(layer)))

  it.effect("a planted junk chunk (duplicated, past the end, or after a gap) neither reads nor destroys a chunked session", () =>
    Effect.gen(function*() {
      const victim = yield* cookiesOf(victimSession(incompressible(9_500, 1)))
      expect(victim.map(([n]) => n)).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
      const plants: ReadonlyArray<Pairs> = [
        [[`${NAME}.1`, "junk"]],
        [[`${NAME}.3`, "junk"]],
        [[`${NAME}.5`, "junk"]],
        [[`${NAME}.0`, victim[0]![1]]]
      ]
      for (const planted of plants) {
        for (const pairs of [[...planted, ...victim], [...victim, ...planted]]) {
          const { result, setCookies } = yield* send(pairs, getSession)
          expect(result).toEqual(Option.none())
          expect(setCookies).toEqual([])
        }
      }
      expect(sub((yield* send(victim, getSession)).result)).toEqual(Option.some("auth0|victim"))
    }).pipe(Effect.provide(layer)))

  it.effect("the attacker's whole cookie next to the victim's chunks (or the reverse) is never read", () =>
    Effect.gen(function*() {
      const victimChunks = yield* cookiesOf(victimSession(incompressible(9_500, 1)))
      const attackerWhole = yield* cookiesOf(attackerSession("a"))
      const victimWhole = yield* cookiesOf(victimSession("v"))
      const attackerChunks = yield* cookiesOf(attackerSession(incompressible(9_500, 2)))
      for (const pairs of [[...attackerWhole, ...victimChunks], [...victimWhole, ...attackerChunks]]) {
        const { result, setCookies } = yield* send(pairs, getSession)
        expect(result).toEqual(Option.none())
        expect(setCookies).toEqual([])
      }
    }).pipe(Effect.provide(layer)))

  it.effect("property: whatever is planted next to the victim's session, the read is the victim's or none, and the victim's cookies stay", () =>
    Effect.gen(function*() {
      const victims = [yield* cookiesOf(victimSession("v")), yield* cookiesOf(victimSession(incompressible(9_500, 1)))]
      const attackers = [yield* cookiesOf(attackerSession("a")), yield* cookiesOf(attackerSession(incompressible(9_500, 2)))]
      const names = [NAME, ...Array.from({ length: 6 }, (_, i) => `${NAME}.${i}`)]
      const values = [...victims.flat(), ...attackers.flat()].map(([, v]) => v)
      const planted = FastCheck.tuple(
        FastCheck.constantFrom(...names),
        FastCheck.oneof(
          FastCheck.constantFrom(...values),
          FastCheck.string({ maxLength: 40 }),
          FastCheck.tuple(FastCheck.constantFrom(...values), FastCheck.nat(), FastCheck.nat(3000)).map(([v, at, n]) =>
            v.slice(at % v.length, at % v.length + n)
          )
        )
      )
      const attack = FastCheck.record({
        victim: FastCheck.constantFrom(0, 1),
        // Some of the attacker's own cookies, whole, plus single planted ones.
        attacker: FastCheck.subarray([...attackers.flat()]),
        planted: FastCheck.array(planted, { minLength: 1, maxLength: 4 }),
        order: FastCheck.array(FastCheck.nat(), { maxLength: 12 })
      })
      yield* checkEffect([attack], ({ attacker, order, planted: extra, victim }) =>
        Effect.gen(function*() {
          const own = victims[victim]!
          const foreign = [...attacker, ...extra]
          // Interleave the planted cookies among the victim's at attacker-chosen positions.
          const pairs = [...own]
          foreign.forEach((pair, i) => pairs.splice((order[i] ?? i) % (pairs.length + 1), 0, pair))
          const { result, setCookies } = yield* send(pairs, getSession)
          expect(sub(result)).not.toEqual(Option.some("auth0|attacker"))
          if (Option.isNone(result)) {
            const ownNames = new Set(own.map(([n]) => n))
            const expired = setCookies.filter((h) => h.includes("Max-Age=0")).map((h) => h.slice(0, h.indexOf("=")))
            // An expiry reaches our own copy only: it may not touch a name the attacker also sent.
            const plantedNames = new Set(foreign.map(([n]) => n))
            expect(expired.filter((n) => ownNames.has(n) && plantedNames.has(n))).toEqual([])
          }
        }), { numRuns: 2_000 })
    }).pipe(Effect.provide(layer)))
})

describe("cookie tossing against the stateful session store", () => {
  const layer = StateStore.memory.pipe(Layer.provide(config))

  it.effect("a planted duplicate id cookie: no session, and an update never lands in the attacker's session", () =>
    Effect.gen(function*() {
      const victim = yield* cookiesOf(victimSession("v"))
      const attacker = yield* cookiesOf(attackerSession("a"))
      for (const pairs of [[...attacker, ...victim], [...victim, ...attacker]]) {
        const { result, setCookies } = yield* send(pairs, getSession)
        expect(result).toEqual(Option.none())
        expect(setCookies).toEqual([])
        // A save on such a request (the victim's tokens) must not be written under the attacker's id.
        yield* send(pairs, setSession(victimSession("victim-tokens")))
      }
      expect((yield* send(attacker, getSession)).result).toEqual(Option.some(normalize(attackerSession("a"))))
      expect(sub((yield* send(victim, getSession)).result)).toEqual(Option.some("auth0|victim"))
    }).pipe(Effect.provide(layer)))
})

describe("cookie tossing against the transaction stores", () => {
  const login = (state: string): LoginTransaction => ({
    kind: "login",
    state,
    codeVerifier: "v".repeat(43),
    nonce: "n",
    redirectUri: "https://app.example.com/callback",
    scope: "openid",
    createdAt: 0
  })
  const setTx = (state: string) => Effect.flatMap(TransactionStore, (store) => store.set(login(state)))
  const getTx = (state: string) => Effect.flatMap(TransactionStore, (store) => store.get(state))
  const deleteTx = (state: string) => Effect.flatMap(TransactionStore, (store) => store.delete(state))

  it.effect("cookie store: a planted copy of a transaction cookie makes it no transaction, and it is not expired", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx("victimState"))
      const victim = [...browser.cookies] as Pairs
      const attacker = makeCookieBrowser()
      yield* attacker.request(setTx("victimState"))
      const planted = [...attacker.cookies] as Pairs
      for (const pairs of [[...planted, ...victim], [...victim, ...planted]]) {
        const read = yield* send(pairs, getTx("victimState"))
        expect(read.result).toEqual(Option.none())
        expect(read.setCookies).toEqual([])
        expect((yield* send(pairs, deleteTx("victimState"))).setCookies).toEqual([])
      }
      expect(Option.isSome((yield* send(victim, getTx("victimState"))).result)).toBe(true)
    }).pipe(Effect.provide(TransactionStore.cookie.pipe(Layer.provide(config)))))

  it.effect("memory store: a planted copy of the browser key makes the transaction unreadable", () =>
    Effect.gen(function*() {
      const victim = makeCookieBrowser()
      yield* victim.request(setTx("victimState"))
      const attacker = makeCookieBrowser()
      yield* attacker.request(setTx("attackerState"))
      expect([...victim.cookies.keys()]).toEqual(["__a0_txkey"])
      const pairs = [...attacker.cookies, ...victim.cookies] as Pairs
      expect((yield* send(pairs, getTx("victimState"))).result).toEqual(Option.none())
      expect((yield* send(pairs, getTx("attackerState"))).result).toEqual(Option.none())
      expect(Option.isSome((yield* send([...victim.cookies], getTx("victimState"))).result)).toBe(true)
    }).pipe(Effect.provide(TransactionStore.memory.pipe(Layer.provide(config)))))

  it.effect("default names with Secure and no Domain carry __Host-, which browsers refuse to take from a sibling", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(Effect.flatMap(StateStore, (store) => store.set(victimSession("v"))))
      yield* browser.request(setTx("s1"))
      expect([...browser.cookies.keys()]).toEqual(["__Host-a0_session", `__Host-a0_tx.s1`])
      for (const header of browser.lastSetCookies()) {
        expect(header).toContain("; Path=/;")
        expect(header).toContain("; Secure")
        expect(header).not.toContain("Domain=")
      }
    }).pipe(Effect.provide(Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(Layer.provide(testConfig())))))
})
