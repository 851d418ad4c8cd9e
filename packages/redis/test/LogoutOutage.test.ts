/**
 * Logout while Redis is unreachable (issue 8 #11). The user clicks "log out" during an outage:
 * the browser must leave logged out (its session cookie cleared in the response) and be sent to
 * the tenant's logout URL, and the store's failure must be reported, not swallowed. What the
 * outage still leaves behind (the server-side entry, readable with a copy of the old cookie) is
 * shown as it is, with the fix the tenant's back-channel logout brings once Redis is back.
 *
 * The server is SIGSTOPped (it keeps its data, like a frozen host or a partition) or SIGKILLed
 * (it restarts empty) mid-test; this file owns its server.
 */
import { Logout, ServerClient, StateStore, StoreError, WebCookies } from "@auth0-effect/core"
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

const APP = "http://127.0.0.1:3000"
const CALLBACK = `${APP}/callback`
const RETURN_TO = `${APP}/`

let redis: RedisServer
let emulator: Emulator

beforeAll(async () => {
  redis = await startRedisServer()
  emulator = await startEmulator({
    clients: [{ clientId: "app", clientSecret: "app-secret-0123456789", redirectUris: [CALLBACK], postLogoutRedirectUris: [RETURN_TO] }]
  })
})

afterAll(async () => {
  redis?.resume()
  await emulator?.stop()
  await redis?.stop()
})

const options = () => ({ ...emulator.sdkOptions({ clientId: "app", redirectUri: CALLBACK }), clientSecret: "app-secret-0123456789" })
const backend = (keyPrefix: string) => RedisSessionBackend.layer({ url: redis.url, keyPrefix, commandTimeoutMs: 300 })

/** The Promise facade over Web `Request`/`Headers`, with the stateful store on Redis. */
const facade = (keyPrefix: string) =>
  new ServerClient.BaseServerClient(
    { ...options(), sessionStore: StateStore.StateStore.stateful.pipe(Layer.provide(backend(keyPrefix))) },
    WebCookies.webCookieAdapter
  )

/** A browser for the facade: sends its cookies, applies each response's `Set-Cookie`. */
const makeBrowser = () => {
  const cookies = new Map<string, string>()
  let lastSetCookie: ReadonlyArray<string> = []
  const call = async <A>(run: (storeOptions: WebCookies.WebStoreOptions) => Promise<A>): Promise<A> => {
    const cookie = Array.from(cookies, ([name, value]) => `${name}=${value}`).join("; ")
    const request = new Request(`${APP}/`, { headers: cookie ? { cookie } : {} })
    const headers = new Headers()
    try {
      return await run({ request, headers })
    } finally {
      lastSetCookie = headers.getSetCookie()
      for (const header of lastSetCookie) {
        const [pair = ""] = header.split(";")
        const eq = pair.indexOf("=")
        if (/max-age=0(;|$)/i.test(header)) cookies.delete(pair.slice(0, eq))
        else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
    }
  }
  return { cookies, call, lastSetCookie: () => lastSetCookie }
}

const loginWith = async (client: ServerClient.BaseServerClient<WebCookies.WebStoreOptions>, user: string) => {
  const browser = makeBrowser()
  const url = await browser.call((o) => client.startInteractiveLogin(undefined, o))
  const callback = await emulator.login(url.toString(), { user })
  await browser.call((o) => client.completeInteractiveLogin(callback, o))
  return browser
}

/** Reconnecting takes up to a second (the client's backoff); retry the read for a few. */
const onceBack = <A>(attempt: () => Promise<A>) =>
  Effect.runPromise(Effect.retry(Effect.tryPromise(attempt), Schedule.spaced("100 millis").pipe(Schedule.upTo("10 seconds"))))

describe("logout while Redis is down (issue 8 #11)", () => {
  it("clears the cookie, returns the tenant logout URL and reports the failure; the old cookie's entry survives until back-channel logout", async () => {
    const { sub } = await emulator.createUser({ email: "ola@example.com" })
    const client = facade("logout-paused:")
    try {
      const browser = await loginWith(client, "ola@example.com")
      const user = await browser.call((o) => client.getUser(o))
      expect(user?.sub).toBe(sub)
      const stored = await browser.call((o) => client.run(Effect.flatMap(StateStore.StateStore, (store) => store.get), o))
      const sid = Option.getOrUndefined(stored)?.internal.sid
      expect(sid).toBeTypeOf("string")
      const sessionCookies = [...browser.cookies.keys()]
      expect(sessionCookies.length).toBeGreaterThan(0)
      // What an attacker (or a backup of the browser profile) keeps: the cookie as it was.
      const stolen = new Map(browser.cookies)

      redis.pause()
      const reported: Array<StoreError> = []
      const url = await browser.call((o) => client.logout({ returnTo: RETURN_TO, onStoreError: (e) => reported.push(e) }, o))

      // The tenant logout URL, so the tenant session ends too (no id_token_hint: the session was unreadable).
      expect(url.origin).toBe(emulator.origin)
      expect(url.searchParams.get("client_id")).toBe("app")
      expect(url.searchParams.get("id_token_hint")).toBeNull()
      expect([url.searchParams.get("post_logout_redirect_uri"), url.searchParams.get("returnTo")]).toContain(RETURN_TO)
      // The response clears every session cookie; the browser holds none.
      for (const name of sessionCookies) {
        expect(browser.lastSetCookie().some((h) => h.startsWith(`${name}=`) && /max-age=0/i.test(h)), name).toBe(true)
      }
      expect(browser.cookies.size).toBe(0)
      // The failure is reported, once, as what it is.
      expect(reported).toHaveLength(1)
      expect(reported[0]).toBeInstanceOf(StoreError)
      expect(reported[0]?.reason).toBe("unavailable")

      redis.resume()
      // The browser that logged out stays logged out.
      expect(await onceBack(() => browser.call((o) => client.getUser(o)))).toBeUndefined()

      // Honestly: the delete never reached Redis, so the entry lives until its TTL, and a copy of
      // the old cookie still reads as the session. The store cannot refuse it: the only record
      // that it was revoked would have gone to the same unreachable Redis.
      const attacker = makeBrowser()
      for (const [name, value] of stolen) attacker.cookies.set(name, value)
      expect((await attacker.call((o) => client.getUser(o)))?.sub).toBe(sub)

      // The tenant's back-channel logout (sent when the user reaches the tenant logout URL)
      // ends it by sid once Redis is back.
      const token = await emulator.makeLogoutToken({ clientId: "app", sid: sid! })
      expect(await client.handleBackchannelLogout(token)).toBe(1)
      expect(await attacker.call((o) => client.getUser(o))).toBeUndefined()
    } finally {
      redis.resume()
      await client.dispose()
    }
  }, 30_000)

  it("with Redis killed (restarting empty), logout still clears the cookie and returns the URL, and the old cookie reads as no session", async () => {
    const { sub } = await emulator.createUser({ email: "pia@example.com" })
    const client = facade("logout-killed:")
    try {
      const browser = await loginWith(client, "pia@example.com")
      expect((await browser.call((o) => client.getUser(o)))?.sub).toBe(sub)
      const stolen = new Map(browser.cookies)

      await redis.kill()
      const reported: Array<StoreError> = []
      const url = await browser.call((o) => client.logout({ returnTo: RETURN_TO, onStoreError: (e) => reported.push(e) }, o))
      expect(url.searchParams.get("client_id")).toBe("app")
      expect(browser.cookies.size).toBe(0)
      expect(reported.map((e) => e.reason)).toEqual(["unavailable"])

      await redis.restart()
      const attacker = makeBrowser()
      for (const [name, value] of stolen) attacker.cookies.set(name, value)
      expect(await onceBack(() => attacker.call((o) => client.getUser(o)))).toBeUndefined()
    } finally {
      // A failure above must not leave the next test without a server.
      if (!(await redis.ping())) await redis.restart()
      await client.dispose()
    }
  }, 30_000)

  it.live("the Effect API returns the failure beside the URL, and logout logs it as a warning without cookie values", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() => emulator.createUser({ email: "quinn@example.com" }))
      const client = facade("logout-effect:")
      yield* Effect.addFinalizer(() => Effect.promise(() => client.dispose()))
      const browser = yield* Effect.promise(() => loginWith(client, "quinn@example.com"))
      const cookieValues = [...browser.cookies.values()]

      const logs: Array<{ level: string; message: string }> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ logLevel, message }) => logs.push({ level: logLevel.label, message: String(message) }))
      )
      const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
        Effect.promise(() => browser.call((o) => client.run(effect.pipe(Effect.provide(capture)), o)))

      redis.pause()
      try {
        const outcome = yield* run(Logout.logoutWithOutcome({ returnTo: RETURN_TO }))
        expect(outcome.url.searchParams.get("client_id")).toBe("app")
        expect(outcome.storeError).toMatchObject({ _tag: "StoreError", reason: "unavailable" })
        expect(logs).toEqual([])

        const url = yield* run(Logout.logout({ returnTo: RETURN_TO }))
        expect(url.searchParams.get("client_id")).toBe("app")
        // No cookie now, so nothing to delete and nothing failed: no warning.
        expect(logs).toEqual([])
      } finally {
        redis.resume()
      }

      // Logged in again; the outage makes `logout` warn.
      const again = yield* Effect.promise(() => loginWith(client, "quinn@example.com"))
      const againValues = [...again.cookies.values()]
      redis.pause()
      try {
        yield* Effect.promise(() =>
          again.call((o) => client.run(Logout.logout({ returnTo: RETURN_TO }).pipe(Effect.provide(capture)), o))
        )
      } finally {
        redis.resume()
      }
      expect(logs.map((l) => l.level)).toEqual(["WARN"])
      expect(logs[0]?.message).toMatch(/session store failed \(unavailable/)
      for (const value of [...cookieValues, ...againValues]) expect(logs[0]?.message).not.toContain(value)
      expect(again.cookies.size).toBe(0)
      yield* Effect.promise(() => onceBack(() => again.call((o) => client.getUser(o))))
    }).pipe(Effect.scoped), 30_000)
})
