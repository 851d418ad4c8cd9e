/**
 * Refresh token rotation on two app instances (two runtimes, each with its own Redis client)
 * sharing one real `redis-server`, against the emulator with rotation on (a rotated refresh
 * token presented again is refused, as Auth0's reuse detection does). Refreshes coordinate
 * through Redis: a lease per refresh token and the sealed rotated-token ledger.
 */
import { AccessToken, Auth0, Login, RequestCookies, StateStore, TransactionStore } from "@auth0-effect/core"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { Redis } from "ioredis"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

const CALLBACK = "http://127.0.0.1:3000/callback"
const API = "https://api.example.com"
const OTHER_API = "https://other.example.com"
let redis: RedisServer
let emulator: Emulator

const sdkOptions = () => ({
  domain: emulator.origin,
  allowInsecureHttp: true,
  clientId: "app",
  clientSecret: "app-secret-0123456789",
  // Every instance has the same secret, so any of them can read the cookie and the ledger.
  secret: "shared-secret-of-all-instances-0123456789",
  redirectUri: CALLBACK,
  cookie: { secure: false }
})

/** An instance whose sessions live in Redis: refreshes coordinate through it with no extra option. */
const statefulInstance = (keyPrefix: string) =>
  ManagedRuntime.make(
    Layer.mergeAll(StateStore.StateStore.stateful, TransactionStore.TransactionStore.cookie).pipe(
      Layer.provide(RedisSessionBackend.layer({ url: redis.url, keyPrefix })),
      Layer.provideMerge(Auth0.layer(sdkOptions()))
    )
  )

/** An instance with cookie sessions that coordinates its refreshes through Redis. */
const cookieInstance = (keyPrefix: string) =>
  ManagedRuntime.make(
    Layer.mergeAll(StateStore.StateStore.cookie, TransactionStore.TransactionStore.cookie).pipe(
      Layer.provideMerge(Auth0.layer(sdkOptions(), { coordination: RedisSessionBackend.layer({ url: redis.url, keyPrefix }) }))
    )
  )

type Instance = ReturnType<typeof statefulInstance> | ReturnType<typeof cookieInstance>

/** A browser: carries cookies between requests to whichever instance serves them. */
const makeBrowser = (initial: Iterable<readonly [string, string]> = []) => {
  const cookies = new Map<string, string>(initial)
  const send = <A, E>(app: Instance, effect: Effect.Effect<A, E, any>) =>
    Effect.gen(function*() {
      const jar = RequestCookies.makeRequestJar(Array.from(cookies, ([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "))
      const exit = yield* Effect.promise(() => app.runPromiseExit(Effect.provideService(effect, RequestCookies.RequestCookies, jar)))
      for (const header of jar.setCookieHeaders()) {
        const [pair = ""] = header.split(";")
        const eq = pair.indexOf("=")
        const name = pair.slice(0, eq)
        if (/Max-Age=0/.test(header)) cookies.delete(name)
        else cookies.set(name, decodeURIComponent(pair.slice(eq + 1)))
      }
      return yield* exit
    })
  return { cookies, send }
}

const login = (app: Instance, browser: ReturnType<typeof makeBrowser>, user: string) =>
  Effect.gen(function*() {
    const url = yield* browser.send(app, Login.startInteractiveLogin({ authorizationParams: { audience: API } }))
    const callback = yield* Effect.promise(() => emulator.login(url.href, { user }))
    yield* browser.send(app, Login.completeInteractiveLogin(callback))
  })

/** Marks every stored access token expired, as if its lifetime had run out. */
const expireAccessTokens = Effect.gen(function*() {
  const store = yield* StateStore.StateStore
  const data = Option.getOrThrow(yield* store.get)
  yield* store.set({ ...data, tokenSets: data.tokenSets.map((set) => ({ ...set, expiresAt: 0 })) })
})
const readSession = Effect.flatMap(StateStore.StateStore, (store) => Effect.map(store.get, Option.getOrThrow))

const refreshes = () => emulator.requestCount("/oauth/token", "refresh_token")

beforeAll(async () => {
  redis = await startRedisServer()
  emulator = await startEmulator({
    apis: [{ audience: API, scopes: ["read:items"] }, { audience: OTHER_API, scopes: ["read:other"] }],
    clients: [{
      clientId: "app",
      clientSecret: "app-secret-0123456789",
      redirectUris: [CALLBACK],
      refreshTokenRotation: true,
      refreshTokenPolicies: [{ audience: API, scopes: ["read:items"] }, { audience: OTHER_API, scopes: ["read:other"] }]
    }]
  })
})

afterAll(async () => {
  await emulator?.stop()
  await redis?.stop()
})

describe("rotation on two instances sharing Redis", () => {
  it.live("50 requests of one browser on an expired token, spread over both: 1 refresh, 0 failures, and both refresh afterwards", () =>
    Effect.gen(function*() {
      const instances = [statefulInstance("rot-a:"), statefulInstance("rot-a:")] as const
      yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(instances.map((i) => i.dispose()))))
      yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com" }))
      const browser = makeBrowser()
      yield* login(instances[0], browser, "ada@example.com")
      yield* browser.send(instances[0], expireAccessTokens)
      emulator.resetCounts()

      const results = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) =>
          browser.send(instances[i % 2]!, AccessToken.getAccessToken({ audience: API })).pipe(Effect.either)),
        { concurrency: "unbounded" }
      )
      expect(results.filter(Either.isLeft)).toEqual([])
      expect(refreshes()).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      const tokens = new Set(results.map((r) => Either.getOrThrow(r).accessToken))
      expect(tokens.size).toBe(1)

      for (const i of [1, 0, 1]) {
        yield* browser.send(instances[i]!, expireAccessTokens)
        const fresh = yield* browser.send(instances[i]!, AccessToken.getAccessToken({ audience: API }))
        expect(tokens.has(fresh.accessToken)).toBe(false)
        tokens.add(fresh.accessToken)
      }
      yield* browser.send(instances[0], AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" }))
      expect(refreshes()).toBe(5)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      expect(emulator.requestCount("/oauth/token")).toBe(5)
    }).pipe(Effect.scoped))

  it.live("cookie sessions with Redis for coordination: a burst and a late pre-refresh cookie over both send 1 refresh; the ledger entry is sealed", () =>
    Effect.gen(function*() {
      const instances = [cookieInstance("rot-b:"), cookieInstance("rot-b:")] as const
      yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(instances.map((i) => i.dispose()))))
      yield* Effect.promise(() => emulator.createUser({ email: "grace@example.com" }))
      const browser = makeBrowser()
      yield* login(instances[0], browser, "grace@example.com")
      yield* browser.send(instances[0], expireAccessTokens)
      const oldCookies = new Map(browser.cookies)
      emulator.resetCounts()

      const burst = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) =>
          makeBrowser(oldCookies).send(instances[i % 2]!, AccessToken.getAccessToken({ audience: API })).pipe(Effect.either)),
        { concurrency: "unbounded" }
      )
      expect(burst.filter(Either.isLeft)).toEqual([])
      const late = makeBrowser(oldCookies)
      yield* late.send(instances[1], AccessToken.getAccessToken({ audience: API }))
      expect(refreshes()).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)

      const session = yield* late.send(instances[1], readSession)
      const client = new Redis(redis.url)
      yield* Effect.addFinalizer(() => Effect.promise(() => client.quit()))
      const keys = yield* Effect.promise(() => client.keys("rot-b:*"))
      const values = yield* Effect.promise(() => Promise.all(keys.map((k) => client.get(k))))
      expect(keys.some((k) => k.includes("rt-ledger:"))).toBe(true)
      // The lease is gone once the refresh ended; no refresh token is stored in clear.
      expect(keys.some((k) => k.includes("rt-lock:"))).toBe(false)
      for (const value of values) expect(value ?? "").not.toContain(session.refreshToken!)

      yield* late.send(instances[0], expireAccessTokens)
      yield* late.send(instances[0], AccessToken.getAccessToken({ audience: API }))
      expect(refreshes()).toBe(2)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
    }).pipe(Effect.scoped))
})
