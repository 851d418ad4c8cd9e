/**
 * Refresh token rotation across requests and instances, against the emulator with rotation on
 * (a rotated refresh token is refused when presented again, as Auth0's reuse detection does):
 *
 * - two instances sharing one session backend: a browser's burst on an expired access token,
 *   spread over both, sends one refresh, and the session keeps refreshing afterwards on both;
 * - one instance with cookie sessions: a late request carrying the pre-refresh cookie sends no
 *   refresh (the rotated-token ledger hands it the successor) and converges to the new cookie;
 * - cookie sessions on two instances sharing a backend for coordination only.
 */
import type { Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as AccessToken from "../../src/AccessToken.js"
import * as Auth0 from "../../src/Auth0.js"
import * as TokenVault from "../../src/TokenVault.js"
import { makeMemoryBackend, SessionBackend } from "../../src/SessionBackend.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, emulatorOptions, login, OTHER_API, sdkOptions, withEmulator } from "./harness.js"

const withRotation = () => {
  const options = emulatorOptions()
  return withEmulator({ ...options, clients: options.clients!.map((c) => ({ ...c, refreshTokenRotation: true })) })
}

const refreshes = (emulator: Emulator) => emulator.requestCount("/oauth/token", "refresh_token")

/** One app instance (its own runtime: coalescer, in-process locks and ledger) over a session store. */
const instance = (
  emulator: Emulator,
  sessionStore: Layer.Layer<StateStore, never, Auth0.Services>,
  options: Auth0.LayerOptions = {}
) =>
  Layer.build(
    Layer.mergeAll(sessionStore, TransactionStore.cookie).pipe(
      Layer.provideMerge(Auth0.layer(sdkOptions(emulator), options)),
      Layer.orDie
    )
  )

/** Marks every stored access token expired, as if its lifetime had run out. */
const expireAccessTokens = Effect.gen(function*() {
  const store = yield* StateStore
  const data = Option.getOrThrow(yield* store.get)
  yield* store.set({ ...data, tokenSets: data.tokenSets.map((set) => ({ ...set, expiresAt: 0 })) })
})

const readSession = Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.getOrThrow))

describe("refresh token rotation", () => {
  it.live("two instances, one backend: 50 requests of one browser on an expired token send 1 refresh, none fails, and both refresh afterwards", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* withRotation()
      yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com" }))
      const backend = makeMemoryBackend()
      const stateful = StateStore.stateful.pipe(Layer.provide(Layer.succeed(SessionBackend, backend)))
      const instances = [yield* instance(emulator, stateful), yield* instance(emulator, stateful)] as const
      const on = (i: number) => <A, E>(effect: Effect.Effect<A, E, any>) =>
        Effect.provide(effect, instances[i % 2]!) as Effect.Effect<A, E>

      const { browser } = yield* on(0)(login(emulator, "ada@example.com", { authorizationParams: { audience: API } }))
      yield* on(0)(browser.request(expireAccessTokens))
      emulator.resetCounts()

      const results = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) =>
          on(i)(browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))).pipe(Effect.either)),
        { concurrency: "unbounded" }
      )
      expect(results.filter(Either.isLeft)).toEqual([])
      expect(refreshes(emulator)).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      const tokens = new Set(results.map((r) => Either.getOrThrow(r).accessToken))
      expect(tokens.size).toBe(1)

      // The session is alive on both instances: each refreshes it again with the current token.
      for (const i of [1, 0, 1]) {
        yield* on(i)(browser.request(expireAccessTokens))
        const fresh = yield* on(i)(browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" })))
        expect(tokens.has(fresh.accessToken)).toBe(false)
        tokens.add(fresh.accessToken)
      }
      // And another API, from the other instance than the one that last rotated.
      yield* on(0)(browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" })))
      expect(refreshes(emulator)).toBe(5)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      expect(emulator.requestCount("/oauth/token")).toBe(5)
    })))

  it.live("one instance, cookie sessions: a request with the pre-refresh cookie after the refresh sends nothing and converges", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* withRotation()
      yield* Effect.promise(() => emulator.createUser({ email: "grace@example.com" }))
      const app = yield* instance(emulator, StateStore.cookie)
      const run = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(effect, app) as Effect.Effect<A, E>

      const { browser } = yield* run(login(emulator, "grace@example.com", { authorizationParams: { audience: API } }))
      yield* run(browser.request(expireAccessTokens))
      const before = yield* run(browser.request(readSession))
      const oldCookies = new Map(browser.cookies)
      emulator.resetCounts()

      // Request A refreshes (rotation) and sets the new cookie.
      const a = yield* run(browser.request(AccessToken.getAccessToken({ audience: API })))
      const afterA = yield* run(browser.request(readSession))
      expect(afterA.refreshToken).not.toBe(before.refreshToken)
      expect(refreshes(emulator)).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)

      // Request B was on the wire with the old cookie and arrives after A finished.
      const late = makeCookieBrowser(oldCookies)
      const b = yield* run(late.request(AccessToken.getAccessToken({ audience: API })))
      expect(b.accessToken).toBe(a.accessToken)
      expect(refreshes(emulator)).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      // B's response carries the successor: that browser converged.
      expect((yield* run(late.request(readSession))).refreshToken).toBe(afterA.refreshToken)

      // The session is live: the next refresh works, from either cookie.
      yield* run(late.request(expireAccessTokens))
      const next = yield* run(late.request(AccessToken.getAccessToken({ audience: API })))
      expect(next.accessToken).not.toBe(a.accessToken)
      expect(refreshes(emulator)).toBe(2)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      yield* run(browser.request(expireAccessTokens))
      expect((yield* run(browser.request(AccessToken.getAccessToken({ audience: API })))).accessToken).toBe(next.accessToken)
      yield* run(browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" })))
      expect(refreshes(emulator)).toBe(3)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      expect(emulator.requestCount("/oauth/token")).toBe(3)
    })))

  it.live("a Token Vault exchange with the pre-refresh cookie uses the successor, never the spent token", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* withRotation()
      yield* Effect.promise(() => emulator.createUser({ email: "joan@example.com" }))
      yield* Effect.promise(() => emulator.addConnectedAccount("joan@example.com", { connection: "google-oauth2" }))
      const app = yield* instance(emulator, StateStore.cookie)
      const run = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(effect, app) as Effect.Effect<A, E>
      const { browser } = yield* run(login(emulator, "joan@example.com", { authorizationParams: { audience: API } }))
      yield* run(browser.request(expireAccessTokens))
      const oldCookies = new Map(browser.cookies)
      emulator.resetCounts()

      yield* run(browser.request(AccessToken.getAccessToken({ audience: API })))
      const late = makeCookieBrowser(oldCookies)
      const vault = yield* run(late.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })))
      expect(vault.connection).toBe("google-oauth2")
      expect(emulator.requestCount("/oauth/token", TokenVault.GRANT_TYPE)).toBe(1)
      // The late browser now holds the successor, and its session still refreshes.
      expect((yield* run(late.request(readSession))).refreshToken).toBe((yield* run(browser.request(readSession))).refreshToken)
      yield* run(late.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" })))
      expect(refreshes(emulator)).toBe(2)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
    })))

  it.live("cookie sessions on two instances sharing a coordination backend: a late cookie on the other instance sends nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* withRotation()
      yield* Effect.promise(() => emulator.createUser({ email: "alan@example.com" }))
      const memory = makeMemoryBackend()
      const remembered: Array<string> = []
      const backend = {
        ...memory,
        remember: (key: string, value: string, ttl: number) => {
          remembered.push(value)
          return memory.remember(key, value, ttl)
        }
      }
      const coordination = { coordination: Layer.succeed(SessionBackend, backend) }
      const instances = [
        yield* instance(emulator, StateStore.cookie, coordination),
        yield* instance(emulator, StateStore.cookie, coordination)
      ] as const
      const on = (i: number) => <A, E>(effect: Effect.Effect<A, E, any>) =>
        Effect.provide(effect, instances[i]!) as Effect.Effect<A, E>

      const { browser } = yield* on(0)(login(emulator, "alan@example.com", { authorizationParams: { audience: API } }))
      yield* on(0)(browser.request(expireAccessTokens))
      const oldCookies = new Map(browser.cookies)
      emulator.resetCounts()

      // A burst with the same (old) cookie on both instances at once, then a late one.
      const burst = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) =>
          on(i % 2)(makeCookieBrowser(oldCookies).request(AccessToken.getAccessToken({ audience: API }))).pipe(Effect.either)),
        { concurrency: "unbounded" }
      )
      expect(burst.filter(Either.isLeft)).toEqual([])
      const late = makeCookieBrowser(oldCookies)
      yield* on(1)(late.request(AccessToken.getAccessToken({ audience: API })))
      expect(refreshes(emulator)).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      // What the ledger keeps in the backend is sealed: no token in clear.
      const refreshed = yield* on(1)(late.request(readSession))
      expect(remembered).toHaveLength(1)
      expect(remembered[0]).not.toContain(refreshed.refreshToken!)
      expect(remembered[0]!.split(".")).toHaveLength(5) // a compact JWE
      yield* on(1)(late.request(expireAccessTokens))
      yield* on(1)(late.request(AccessToken.getAccessToken({ audience: API })))
      expect(refreshes(emulator)).toBe(2)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
    })))
})
