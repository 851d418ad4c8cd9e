import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { MAX_COOKIE_BYTES } from "../src/CookieChunks.js"
import type { SessionData } from "../src/Session.js"
import { StateStore } from "../src/StateStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { type TestConfigOverrides, testConfig } from "./helpers/config.js"
import { checkEffect } from "./helpers/property.js"
import { incompressible, normalize, sessionArb, sessionAt, tokenArb } from "./helpers/sessions.js"
import * as CookieStateStore from "../src/CookieStateStore.js"

const NAME = "__Host-a0_session"
const HOUR = 3600

/** The cookie store; a header budget of 40 KiB unless `overrides` set `cookie`, so big sessions fit. */
const cookieStore = (overrides?: TestConfigOverrides) =>
  StateStore.cookie.pipe(Layer.provide(testConfig({ cookie: { maxHeaderBytes: 40_960 }, ...overrides })))

const getSession = Effect.flatMap(StateStore, (store) => store.get)
const setSession = (data: SessionData, options?: { readonly rotate?: boolean }) =>
  Effect.flatMap(StateStore, (store) => store.set(data, options))
const deleteSession = Effect.flatMap(StateStore, (store) => store.delete)

/** A session big enough to need three cookies. */
const bigSession = (createdAt: number) => sessionAt(createdAt, { idToken: incompressible(9_500) })

const removals = (headers: ReadonlyArray<string>) =>
  headers.filter((h) => h.includes("Max-Age=0")).map((h) => h.slice(0, h.indexOf("=")))

describe("CookieStateStore", () => {
  it.effect("a saved session reads back on the next request", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      const data = sessionAt(0)
      yield* browser.request(setSession(data))
      expect([...browser.cookies.keys()]).toEqual([NAME])
      expect(browser.cookies.get(NAME)).not.toContain("ada@example.com")
      expect(yield* browser.request(getSession)).toEqual(Option.some(data))
    }).pipe(Effect.provide(cookieStore())))

  it.effect("any session round-trips through cookies (chunked when large)", () =>
    checkEffect([sessionArb(0)], (data) =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(data))
        for (const header of browser.lastSetCookies()) {
          expect(new TextEncoder().encode(header).byteLength).toBeLessThanOrEqual(MAX_COOKIE_BYTES)
        }
        expect(yield* browser.request(getSession)).toEqual(Option.some(normalize(data)))
      }), { numRuns: 200 }).pipe(Effect.provide(cookieStore())))

  it.effect("an empty request has no session and sets nothing", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser([["other", "value"]])
      expect(yield* browser.request(getSession)).toEqual(Option.none())
      expect(browser.lastSetCookies()).toEqual([])
    }).pipe(Effect.provide(cookieStore())))

  describe("cookie attributes", () => {
    const setCookieFor = (overrides?: TestConfigOverrides) =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        const [header] = browser.lastSetCookies()
        return header!
      }).pipe(Effect.provide(cookieStore(overrides)))

    it.effect("defaults: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, Max-Age = inactivity", () =>
      Effect.gen(function*() {
        const header = yield* setCookieFor()
        expect(header.startsWith(`${NAME}=`)).toBe(true)
        const attributes = header.split("; ").slice(1)
        expect(attributes).toEqual(["Path=/", "Max-Age=86400", "HttpOnly", "Secure", "SameSite=Lax"])
      }))

    it.effect("Domain, Path, SameSite and name as configured", () =>
      Effect.gen(function*() {
        const header = yield* setCookieFor({
          cookie: { name: "appSession", domain: "example.com", path: "/app", sameSite: "strict" }
        })
        expect(header.startsWith("appSession=")).toBe(true)
        const attributes = header.split("; ").slice(1)
        expect(attributes).toEqual([
          "Path=/app",
          "Domain=example.com",
          "Max-Age=86400",
          "HttpOnly",
          "Secure",
          "SameSite=Strict"
        ])
      }))

    it.effect("Secure is off only when configured off; HttpOnly stays", () =>
      Effect.gen(function*() {
        const header = yield* setCookieFor({ cookie: { secure: false } })
        expect(header).not.toContain("Secure")
        expect(header).toContain("HttpOnly")
      }))

    it.effect("Max-Age is the time left, capped by the absolute lifetime", () =>
      Effect.gen(function*() {
        // Logged in 2h50m ago with a 3h absolute lifetime: 10 minutes are left.
        yield* TestClock.setTime(10 * HOUR * 1000)
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(10 * HOUR - (2 * HOUR + 50 * 60))))
        expect(browser.lastSetCookies()[0]).toContain("Max-Age=600;")
      }).pipe(Effect.provide(cookieStore({ session: { inactivityDuration: HOUR, absoluteDuration: 3 * HOUR } }))))
  })

  describe("bad cookies read as no session and are cleared", () => {
    it.effect("any single byte changed in a (chunked) session cookie", () =>
      Effect.gen(function*() {
        const original = makeCookieBrowser()
        yield* original.request(setSession(bigSession(0)))
        const names = [...original.cookies.keys()]
        expect(names).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
        yield* checkEffect(
          [FastCheck.constantFrom(...names), FastCheck.nat(), FastCheck.integer({ min: 0x20, max: 0x7e })],
          (name, position, code) =>
            Effect.gen(function*() {
              const value = original.cookies.get(name)!
              const i = position % value.length
              const byte = String.fromCharCode(code)
              if (byte === value[i]) return
              const browser = makeCookieBrowser(original.cookies)
              browser.cookies.set(name, value.slice(0, i) + byte + value.slice(i + 1))
              expect(yield* browser.request(getSession)).toEqual(Option.none())
              expect(removals(browser.lastSetCookies()).sort()).toEqual(names)
              expect(browser.cookies.size).toBe(0)
            }),
          { numRuns: 2000 }
        )
      }).pipe(Effect.provide(cookieStore())))

    it.effect("a missing chunk (first, middle or last), or a truncated cookie", () =>
      Effect.gen(function*() {
        const original = makeCookieBrowser()
        yield* original.request(setSession(bigSession(0)))
        for (const missing of [`${NAME}.0`, `${NAME}.2`]) {
          const browser = makeCookieBrowser(original.cookies)
          browser.cookies.delete(missing)
          expect(yield* browser.request(getSession)).toEqual(Option.none())
          expect(browser.cookies.size).toBe(0)
        }
        // A gap (`.0`, `.2`) is what a chunk planted past the end looks like too: no session,
        // and nothing expired (see "cookie tossing" below).
        const gap = makeCookieBrowser(original.cookies)
        gap.cookies.delete(`${NAME}.1`)
        expect(yield* gap.request(getSession)).toEqual(Option.none())
        expect(gap.lastSetCookies()).toEqual([])
        const truncated = makeCookieBrowser(original.cookies)
        truncated.cookies.set(`${NAME}.2`, original.cookies.get(`${NAME}.2`)!.slice(0, -10))
        expect(yield* truncated.request(getSession)).toEqual(Option.none())
        expect(truncated.cookies.size).toBe(0)
      }).pipe(Effect.provide(cookieStore())))

    it.effect("someone else's cookie of the same name", () =>
      Effect.gen(function*() {
        for (const value of ["hello", "", "a.b.c.d.e", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.BBBB.CCCC"]) {
          const browser = makeCookieBrowser([[NAME, value], ["unrelated", "1"]])
          expect(yield* browser.request(getSession)).toEqual(Option.none())
          expect([...browser.cookies.keys()]).toEqual(["unrelated"])
        }
      }).pipe(Effect.provide(cookieStore())))

    it.effect("stray chunks without `.0`", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser([[`${NAME}.1`, "x"], [`${NAME}.2`, "y"]])
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(cookieStore())))

    it.effect("a cookie made with an unknown secret", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0))).pipe(
          Effect.provide(cookieStore({ secret: "a-completely-different-secret-of-enough-length" }))
        )
        expect(browser.cookies.size).toBe(1)
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(cookieStore())))
  })

  it.effect("a rolling read re-seals the cookie only once the extension passes the renew threshold", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(sessionAt(0)))
      // Default inactivity: one day, so the threshold is 864 s.
      expect(CookieStateStore.renewThreshold({ rolling: true, inactivityDuration: 86_400, absoluteDuration: 3 * 86_400 })).toBe(864)
      for (const step of ["1 second", "5 minutes", "8 minutes"] as const) {
        yield* TestClock.adjust(step)
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        expect(browser.lastSetCookies()).toEqual([])
      }
      yield* TestClock.adjust("2 minutes")
      expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
      expect(browser.lastSetCookies()).toHaveLength(1)
    }).pipe(Effect.provide(cookieStore())))

  it.effect("secret rotation: a cookie made with the old secret reads, and is re-sealed with the new one", () =>
    Effect.gen(function*() {
      const OLD = "old-secret-0123456789abcdefghijklmnopqrstuvwxyz"
      const NEW = "new-secret-0123456789abcdefghijklmnopqrstuvwxyz"
      const browser = makeCookieBrowser()
      const data = sessionAt(0)
      yield* browser.request(setSession(data)).pipe(Effect.provide(cookieStore({ secret: OLD })))
      yield* TestClock.adjust("1 minute")
      const rotated = cookieStore({ secret: [NEW, OLD] })
      expect(yield* browser.request(getSession).pipe(Effect.provide(rotated))).toEqual(Option.some(data))
      // Read with an old secret, so re-sealed with NEW: NEW alone now reads it, OLD alone does not.
      expect(browser.lastSetCookies()).toHaveLength(1)
      const copy = makeCookieBrowser(browser.cookies)
      expect(yield* copy.request(getSession).pipe(Effect.provide(cookieStore({ secret: OLD })))).toEqual(Option.none())
      expect(yield* browser.request(getSession).pipe(Effect.provide(cookieStore({ secret: NEW })))).toEqual(
        Option.some(data)
      )
    }))

  describe("lifetime (TestClock)", () => {
    const lifetime = { session: { inactivityDuration: HOUR, absoluteDuration: 3 * HOUR } }

    it.effect("inactivity: idle for the whole inactivity period ends the session", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        yield* TestClock.adjust("59 minutes")
        const replay = makeCookieBrowser(browser.cookies)
        yield* TestClock.adjust("1 minute")
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
        expect(yield* replay.request(getSession)).toEqual(Option.none())
      }).pipe(Effect.provide(cookieStore(lifetime))))

    it.effect("rolling: each read renews the cookie, until the absolute lifetime", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        const data = sessionAt(0)
        yield* browser.request(setSession(data))
        const firstCookie = browser.cookies.get(NAME)!
        for (let minute = 50; minute < 180; minute += 50) {
          yield* TestClock.setTime(minute * 60_000)
          expect(yield* browser.request(getSession)).toEqual(Option.some(data))
          const renewed = browser.lastSetCookies()
          expect(renewed).toHaveLength(1)
          expect(renewed[0]).toContain(`Max-Age=${Math.min(HOUR, 3 * HOUR - minute * 60)};`)
        }
        // The first cookie, replayed after its own hour, is refused although the session lives on.
        const replay = makeCookieBrowser([[NAME, firstCookie]])
        expect(yield* replay.request(getSession)).toEqual(Option.none())
        // At 2h30 the renewal is capped: 30 minutes left. At 3h the session is over, however active.
        yield* TestClock.setTime(179 * 60_000)
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        yield* TestClock.setTime(180 * 60_000)
        expect(yield* browser.request(getSession)).toEqual(Option.none())
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(cookieStore(lifetime))))

    it.effect("a read within the same second does not re-set the cookie", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        yield* TestClock.adjust("500 millis")
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        expect(browser.lastSetCookies()).toEqual([])
      }).pipe(Effect.provide(cookieStore(lifetime))))

    it.effect("not rolling: reads do not extend, saves do", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        yield* TestClock.adjust("30 minutes")
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
        expect(browser.lastSetCookies()).toEqual([])
        yield* TestClock.adjust("30 minutes")
        expect(yield* browser.request(getSession)).toEqual(Option.none())

        yield* browser.request(setSession(sessionAt(3600)))
        yield* TestClock.adjust("50 minutes")
        yield* browser.request(setSession(sessionAt(3600)))
        yield* TestClock.adjust("50 minutes")
        expect(Option.isSome(yield* browser.request(getSession))).toBe(true)
      }).pipe(Effect.provide(cookieStore({ session: { ...lifetime.session, rolling: false } }))))

    it.effect("saving a session past its absolute lifetime clears it", () =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setSession(sessionAt(0)))
        yield* TestClock.setTime(3 * HOUR * 1000)
        yield* browser.request(setSession(sessionAt(0)))
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(cookieStore(lifetime))))
  })

  it.effect("stale chunks are removed when a session shrinks, and the whole cookie when it grows", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setSession(bigSession(0)))
      expect([...browser.cookies.keys()].sort()).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
      yield* browser.request(setSession(sessionAt(0)))
      expect(removals(browser.lastSetCookies()).sort()).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
      expect([...browser.cookies.keys()]).toEqual([NAME])
      expect(yield* browser.request(getSession)).toEqual(Option.some(sessionAt(0)))
      yield* browser.request(setSession(bigSession(0)))
      expect(removals(browser.lastSetCookies())).toEqual([NAME])
      expect([...browser.cookies.keys()].sort()).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
    }).pipe(Effect.provide(cookieStore())))

  it.effect("a session too large for cookies fails with StoreError too_large and sets nothing", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      const error = yield* Effect.flip(browser.request(setSession(sessionAt(0, { idToken: incompressible(60_000) }))))
      expect(error._tag).toBe("StoreError")
      expect(error.reason).toBe("too_large")
      expect(browser.lastSetCookies()).toEqual([])
    }).pipe(Effect.provide(cookieStore())))

  it.effect("sessions with random large tokens either fit or fail too_large, never truncate", () =>
    checkEffect([tokenArb(60_000)], (idToken) =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        const data = sessionAt(0, { idToken })
        const exit = yield* Effect.either(browser.request(setSession(data)))
        if (exit._tag === "Left") {
          expect(exit.left.reason).toBe("too_large")
          expect(idToken.length).toBeGreaterThan(25_000)
        } else {
          expect(yield* browser.request(getSession)).toEqual(Option.some(data))
        }
      }), { numRuns: 40 }).pipe(Effect.provide(cookieStore())))

  it.effect("delete expires every cookie of the session", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser([["unrelated", "1"]])
      yield* browser.request(setSession(bigSession(0)))
      yield* browser.request(deleteSession)
      expect([...browser.cookies.keys()]).toEqual(["unrelated"])
      expect(yield* browser.request(getSession)).toEqual(Option.none())
    }).pipe(Effect.provide(cookieStore())))

  it.effect("back-channel logout is refused: cookies cannot be reached from the server", () =>
    Effect.gen(function*() {
      const store = yield* StateStore
      const error = yield* Effect.flip(store.deleteByLogoutClaims({ sid: "sid-1", iss: "https://tenant.example.com/", jti: "j-1", exp: 2_000_000_000 }))
      expect(error._tag).toBe("BackchannelLogoutError")
      expect(error.message).toContain("stateful")
    }).pipe(Effect.provide(cookieStore())))
})
