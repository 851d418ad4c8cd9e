/**
 * The `beforeSessionSaved` hook against the emulator: it filters what login, a refresh and any
 * other write keep, in the cookie store and the stateful one; a hook that fails, or that changes
 * whom the session is about, fails the write and leaves the stored session as it was.
 */
import type { Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as AccessToken from "../../src/AccessToken.js"
import * as Auth0 from "../../src/Auth0.js"
import { resolve } from "../../src/Auth0Config.js"
import type { BeforeSessionSaved, Session } from "../../src/Session.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { API, appLayer, emulatorOptions, login, OTHER_API, sdkOptions, withEmulator } from "./harness.js"

const readSession = Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.getOrThrow))
const refreshes = (emulator: Emulator) => emulator.requestCount("/oauth/token", "refresh_token")

/** Keeps a few claims and no token set for OTHER_API; records every call. */
const recordingHook = () => {
  const calls: Array<{ readonly session: Session; readonly idToken: string | undefined }> = []
  const hook: BeforeSessionSaved = (session, idToken) => {
    calls.push({ session, idToken })
    const { sub, email } = session.user
    return {
      ...session,
      user: { sub, ...(email !== undefined ? { email } : {}) },
      tokenSets: session.tokenSets.filter((set) => set.audience !== OTHER_API)
    }
  }
  return { calls, hook }
}

const statefulLayer = (emulator: Emulator, overrides: Record<string, unknown>) =>
  Layer.mergeAll(StateStore.memory, TransactionStore.cookie).pipe(
    Layer.provideMerge(Auth0.layer(sdkOptions(emulator, overrides))),
    Layer.orDie
  )

describe("beforeSessionSaved", () => {
  for (const [store, layerOf] of [["cookie", appLayer], ["stateful (memory)", statefulLayer]] as const) {
    it.scopedLive(`${store} store: login keeps only what the hook returns; a refresh and an update go through it too`, () =>
      Effect.gen(function*() {
        const emulator = yield* withEmulator(emulatorOptions())
        yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" }))
        const { calls, hook } = recordingHook()
        // Built once, so the memory backend lives across requests.
        const layer = yield* Layer.build(layerOf(emulator, { beforeSessionSaved: hook, authorizationParams: { audience: API } }))
        const { browser } = yield* login(emulator, "ada@example.com").pipe(Effect.provide(layer))
        const request = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(browser.request(effect), layer) as Effect.Effect<A, E>

        expect(calls).toHaveLength(1)
        expect(calls[0]!.idToken).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)
        expect(calls[0]!.session.user).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace" })
        expect(calls[0]!.session).not.toHaveProperty("internal")
        const afterLogin = yield* request(readSession)
        expect(Object.keys(afterLogin.user).sort()).toEqual(["email", "sub"])
        expect(afterLogin.internal.createdAt).toBeGreaterThan(0)

        // A refresh for OTHER_API: the token is returned, but the hook keeps no set for it.
        emulator.resetCounts()
        const other = yield* request(AccessToken.getAccessToken({ audience: OTHER_API }))
        expect(other.audience).toBe(OTHER_API)
        const afterRefresh = calls.length
        expect(afterRefresh).toBeGreaterThan(1)
        expect(calls[afterRefresh - 1]!.session.tokenSets.map((set) => set.audience)).toContain(OTHER_API)
        expect((yield* request(readSession)).tokenSets.map((set) => set.audience)).toEqual([API])
        yield* request(AccessToken.getAccessToken({ audience: OTHER_API }))
        expect(refreshes(emulator)).toBe(2)

        // Any other write: dropping the API's token.
        yield* request(AccessToken.invalidateAccessToken({ audience: API }))
        expect(calls.length).toBeGreaterThan(afterRefresh)
        expect((yield* request(readSession)).tokenSets).toEqual([])
      }))
  }

  it.scopedLive("a hook that throws, or changes user.sub, fails the write with StoreError and the session stays", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "grace@example.com" }))
      let mode: "keep" | "throw" | "other-sub" | "not-a-session" = "keep"
      const hook: BeforeSessionSaved = (session) => {
        if (mode === "throw") throw new TypeError("app bug")
        if (mode === "other-sub") return { ...session, user: { ...session.user, sub: "auth0|someone-else" } }
        if (mode === "not-a-session") return { user: session.user } as unknown as Session
        return session
      }
      const layer = appLayer(emulator, { beforeSessionSaved: hook, authorizationParams: { audience: API } })
      const { browser } = yield* login(emulator, "grace@example.com").pipe(Effect.provide(layer))
      const request = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(browser.request(effect), layer) as Effect.Effect<A, E>
      const before = yield* request(readSession)

      for (const failing of ["throw", "other-sub", "not-a-session"] as const) {
        mode = failing
        const error = yield* Effect.flip(request(AccessToken.invalidateAccessToken({ audience: API })))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "corrupt" })
        expect(error.message).toMatch(/^beforeSessionSaved /)
        expect(error.message).not.toContain(before.tokenSets[0]!.accessToken)
        mode = "keep"
        expect(yield* request(readSession)).toEqual(before)
      }
    }))

  it.effect("must be a function: anything else is a ConfigurationError naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({
        domain: "tenant.auth0.com",
        clientId: "c",
        clientSecret: "s",
        secret: "a-secret-of-at-least-thirty-two-characters!",
        beforeSessionSaved: "keep everything"
      }))
      expect(error).toMatchObject({ _tag: "ConfigurationError", field: "beforeSessionSaved" })
      expect(error.message).toContain("must be a function")
    }))
})
