import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { StoreError } from "../src/Errors.js"
import type { SessionData } from "../src/Session.js"
import { makeMemoryBackend, SessionBackend, type SessionBackendService } from "../src/SessionBackend.js"
import { SessionCrypto } from "../src/SessionCrypto.js"
import { StateStore } from "../src/StateStore.js"
import * as StatefulStateStore from "../src/StatefulStateStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { type TestConfigOverrides, testConfig } from "./helpers/config.js"
import { incompressible, sessionAt } from "./helpers/sessions.js"

const NAME = "__Host-a0_session"
const HOUR = 3600

/** A memory backend that also records the TTL of each write (`set` or `replace`). */
const recordingBackend = () => {
  const backend = makeMemoryBackend()
  const ttls: Array<number> = []
  const service: SessionBackendService = {
    ...backend,
    set: (id, data, ttl) => Effect.zipRight(Effect.sync(() => ttls.push(ttl)), backend.set(id, data, ttl)),
    replace: (id, data, ttl) => Effect.zipRight(Effect.sync(() => ttls.push(ttl)), backend.replace(id, data, ttl))
  }
  return { service, ttls }
}

/** The stateful store with the backend it writes to, both in context. */
const statefulStore = (backend: SessionBackendService = makeMemoryBackend(), overrides?: TestConfigOverrides) =>
  StateStore.stateful.pipe(
    Layer.provideMerge(Layer.succeed(SessionBackend, backend)),
    Layer.provideMerge(SessionCrypto.layer),
    Layer.provideMerge(testConfig(overrides))
  )

const getSession = Effect.flatMap(StateStore, (store) => store.get)
const setSession = (data: SessionData, options?: { readonly rotate?: boolean }) =>
  Effect.flatMap(StateStore, (store) => store.set(data, options))
const deleteSession = Effect.flatMap(StateStore, (store) => store.delete)
/** A validated logout token naming `claims`, each with a fresh `jti`. */
const logout = (claims: { readonly sid?: string; readonly sub?: string }) =>
  Effect.flatMap(StateStore, (store) =>
    store.deleteByLogoutClaims({ ...claims, iss: "https://tenant.example.com/", jti: crypto.randomUUID(), exp: 4_000_000_000 }))

/** The session id inside the browser's cookie. */
const idIn = (cookie: string | undefined) =>
  Effect.flatMap(SessionCrypto, (crypto) => crypto.decrypt(cookie ?? "")).pipe(Effect.map(Option.getOrThrow))

describe("StatefulStateStore", () => {
  it.effect("the cookie carries only an encrypted random id; the data lives in the backend", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      const data = sessionAt(0, { idToken: incompressible(20_000) })
      yield* browser.request(setSession(data))
      expect([...browser.cookies.keys()]).toEqual([NAME])
      expect(browser.cookies.get(NAME)!.length).toBeLessThan(300)
      const id = yield* idIn(browser.cookies.get(NAME))
      expect(id).toMatch(StatefulStateStore.SESSION_ID_PATTERN)
      const backend = yield* SessionBackend
      expect(yield* backend.get(id as string)).toEqual(Option.some(data))
      expect(yield* browser.request(getSession)).toEqual(Option.some(data))
    }).pipe(Effect.provide(statefulStore())))

  it.effect("session ids are 256 random bits", () =>
    Effect.gen(function*() {
      const ids = new Set<string>()
      for (let i = 0; i < 200; i++) ids.add(yield* StatefulStateStore.makeSessionId)
      expect(ids.size).toBe(200)
      for (const id of ids) expect(Buffer.from(id, "base64url")).toHaveLength(32)
    }))

  it.effect("cookie attributes: HttpOnly, Secure, SameSite=Lax, Path=/, Max-Age = inactivity", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(sessionAt(0)))
      const [header] = browser.lastSetCookies()
      expect(header!.split("; ").slice(1)).toEqual(["Path=/", "Max-Age=86400", "HttpOnly", "Secure", "SameSite=Lax"])
    }).pipe(Effect.provide(statefulStore())))

  describe("rotation (session fixation)", () => {
    it.effect("rotate issues a new id, deletes the old entry; the old cookie no longer works", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        const planted = makeCookieBrowser(browser.cookies)
        const before = yield* idIn(browser.cookies.get(NAME))

        yield* browser.request(setSession(sessionAt(0, { user: { sub: "auth0|user-1", name: "After login" } }), { rotate: true }))
        const after = yield* idIn(browser.cookies.get(NAME))
        expect(after).not.toBe(before)
        const backend = yield* SessionBackend
        expect(yield* backend.get(before as string)).toEqual(Option.none())

        expect(Option.map(yield* browser.request(getSession), (s) => s.user.name)).toEqual(Option.some("After login"))
        expect(yield* planted.request(getSession)).toEqual(Option.none())
        expect(planted.cookies.size).toBe(0)
        // Exactly one session is left for the user.
        expect(yield* logout({ sub: "auth0|user-1" })).toBe(1)
      }).pipe(Effect.provide(statefulStore())))

    it.effect("a save without rotate keeps the id", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        const before = yield* idIn(browser.cookies.get(NAME))
        yield* browser.request(setSession(sessionAt(0, { refreshToken: "rotated-rt" })))
        expect(yield* idIn(browser.cookies.get(NAME))).toBe(before)
        expect(yield* logout({ sub: "auth0|user-1" })).toBe(1)
      }).pipe(Effect.provide(statefulStore())))

    it.effect("a first save without any cookie creates an id even without rotate", () =>
      Effect.gen(function*() {
        const a = makeCookieBrowser()
        const b = makeCookieBrowser()
        yield* a.request(setSession(sessionAt(0)))
        yield* b.request(setSession(sessionAt(0)))
        expect(yield* idIn(a.cookies.get(NAME))).not.toBe(yield* idIn(b.cookies.get(NAME)))
      }).pipe(Effect.provide(statefulStore())))
  })

  describe("cookies without live data read as no session and are cleared", () => {
    it.effect("an id whose data is gone", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        const backend = yield* SessionBackend
        yield* backend.delete((yield* idIn(browser.cookies.get(NAME))) as string)
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.lastSetCookies()[0]).toMatch(/^__Host-a0_session=; .*Max-Age=0/)
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(statefulStore())))

    it.effect("a tampered, foreign or cookie-store-format cookie", () =>
      Effect.gen(function*() {
        const good = makeCookieBrowser()
        yield* good.request(setSession(sessionAt(0)))
        const token = good.cookies.get(NAME)!
        const crypto = yield* SessionCrypto
        const values = [
          token.slice(0, -2) + (token.endsWith("AA") ? "BA" : "AA"),
          "not-a-jwe",
          // Ours, but a whole session rather than an id (a cookie-store cookie).
          yield* crypto.encrypt(sessionAt(0), { expiresAt: HOUR }),
          // Ours, but not a well-formed id.
          yield* crypto.encrypt("../../etc/passwd", { expiresAt: HOUR })
        ]
        for (const value of values) {
          const browser = makeCookieBrowser([[NAME, value]])
          expect(yield* browser.request(getSession)).toEqual(Option.none())
          expect(browser.cookies.size).toBe(0)
        }
      }).pipe(Effect.provide(statefulStore())))
  })

  describe("back-channel logout", () => {
    it.effect("by sid deletes that session only", () =>
      Effect.gen(function*() {
        const laptop = makeCookieBrowser()
        const phone = makeCookieBrowser()
        yield* laptop.request(setSession(sessionAt(0, { internal: { sid: "sid-laptop", createdAt: 0 } })))
        yield* phone.request(setSession(sessionAt(0, { internal: { sid: "sid-phone", createdAt: 0 } })))
        expect(yield* logout({ sid: "sid-laptop" })).toBe(1)
        expect(yield* laptop.request(getSession)).toEqual(Option.none())
        expect(laptop.cookies.size).toBe(0)
        expect(Option.isSome(yield* phone.request(getSession))).toBe(true)
      }).pipe(Effect.provide(statefulStore())))

    it.effect("by sub deletes every session of that user, and only that user", () =>
      Effect.gen(function*() {
        const laptop = makeCookieBrowser()
        const phone = makeCookieBrowser()
        const other = makeCookieBrowser()
        yield* laptop.request(setSession(sessionAt(0, { internal: { sid: "sid-laptop", createdAt: 0 } })))
        yield* phone.request(setSession(sessionAt(0, { internal: { sid: "sid-phone", createdAt: 0 } })))
        yield* other.request(setSession(sessionAt(0, { user: { sub: "auth0|user-2" } })))
        expect(yield* logout({ sub: "auth0|user-1" })).toBe(2)
        expect(yield* laptop.request(getSession)).toEqual(Option.none())
        expect(yield* phone.request(getSession)).toEqual(Option.none())
        expect(Option.map(yield* other.request(getSession), (s) => s.user.sub)).toEqual(Option.some("auth0|user-2"))
        expect(yield* logout({ sub: "auth0|user-1" })).toBe(0)
      }).pipe(Effect.provide(statefulStore())))
  })

  describe("lifetime (TestClock)", () => {
    const lifetime = { session: { inactivityDuration: HOUR, absoluteDuration: 3 * HOUR } }

    it.effect("the backend TTL is the time left; rolling reads extend it, capped by the absolute lifetime", () => {
      const { service, ttls } = recordingBackend()
      return Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        expect(ttls).toEqual([HOUR])
        // Reads at 50 and 100 minutes keep it alive past the first hour: the backend entry was renewed.
        yield* TestClock.setTime(50 * 60_000)
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        yield* TestClock.setTime(100 * 60_000)
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        yield* TestClock.setTime(150 * 60_000)
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        expect(ttls).toEqual([HOUR, HOUR, HOUR, 30 * 60])
        expect(browser.lastSetCookies()[0]).toContain("Max-Age=1800;")
        yield* TestClock.setTime(180 * 60_000)
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(statefulStore(service, lifetime)))
    })

    it.effect("idle for the inactivity period: the entry is gone and the cookie cleared", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        const id = (yield* idIn(browser.cookies.get(NAME))) as string
        yield* TestClock.adjust("1 hour")
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
        const backend = yield* SessionBackend
        expect(yield* backend.get(id)).toEqual(Option.none())
      }).pipe(Effect.provide(statefulStore(undefined, lifetime))))
  })

  it.effect("delete removes the entry: a copy of the cookie no longer works", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(sessionAt(0)))
      const copy = makeCookieBrowser(browser.cookies)
      yield* browser.request(deleteSession)
      expect(browser.cookies.size).toBe(0)
      expect(yield* copy.request(getSession)).toEqual(Option.none())
    }).pipe(Effect.provide(statefulStore())))

  it.effect("switching from the cookie store: the stateful save expires the old chunks", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser([[`${NAME}.0`, "old"], [`${NAME}.1`, "chunks"]])
      yield* browser.request(setSession(sessionAt(0)))
      expect([...browser.cookies.keys()]).toEqual([NAME])
    }).pipe(Effect.provide(statefulStore())))

  it.effect("a late write does not bring back a session ended by back-channel logout meanwhile", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(sessionAt(0), { rotate: true }))
      const read = Option.getOrThrow(yield* browser.request(getSession))
      // Another instance ends the session while this request is still working with `read`.
      expect(yield* logout({ sid: "sid-1" })).toBe(1)
      yield* browser.request(setSession({ ...read, refreshToken: "rotated" }))
      expect(browser.cookies.has(NAME)).toBe(false)
      expect(Option.isNone(yield* browser.request(getSession))).toBe(true)
      // A login (rotate) still creates a session as usual.
      yield* browser.request(setSession(sessionAt(0), { rotate: true }))
      expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
    }).pipe(Effect.provide(statefulStore())))

  it.effect("backend failures surface as StoreError (not as 'no session')", () => {
    const down = new StoreError({ reason: "unavailable", message: "connection refused" })
    const backend: SessionBackendService = {
      get: () => Effect.fail(down),
      set: () => Effect.fail(down),
      replace: () => Effect.fail(down),
      delete: () => Effect.fail(down),
      deleteByLogoutClaims: () => Effect.fail(down),
      acquireLease: () => Effect.fail(down),
      releaseLease: () => Effect.fail(down),
      remember: () => Effect.fail(down),
      recall: () => Effect.fail(down)
    }
    return Effect.gen(function*() {
      const crypto = yield* SessionCrypto
      const id = yield* StatefulStateStore.makeSessionId
      const browser = makeCookieBrowser([[NAME, yield* crypto.encrypt(id, { expiresAt: HOUR })]])
      for (const operation of [getSession, setSession(sessionAt(0)), logout({ sid: "s" })]) {
        const error = yield* Effect.flip(browser.request(operation))
        // Failed inside the store call's span, the error comes back wrapped with it: the same error underneath.
        expect(Cause.originalError(error)).toBe(down)
      }
      // The cookie was not cleared: the session may well still exist.
      expect(browser.cookies.size).toBe(1)
      // Deleting (logout) fails too, but clears the cookie first: the browser is logged out.
      expect(Cause.originalError(yield* Effect.flip(browser.request(deleteSession)))).toBe(down)
      expect(browser.cookies.size).toBe(0)
    }).pipe(Effect.provide(statefulStore(backend)))
  })

  it.effect("StateStore.memory works with only a config", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(sessionAt(0)))
      expect(yield* browser.request(getSession)).toEqual(Option.some(sessionAt(0)))
      expect(yield* logout({ sid: "sid-1" })).toBe(1)
      expect(yield* browser.request(getSession)).toEqual(Option.none())
    }).pipe(Effect.provide(StateStore.memory.pipe(Layer.provide(testConfig())))))
})
