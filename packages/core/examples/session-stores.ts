/**
 * Choosing and configuring session stores (docs/session-stores.md). Compiled by
 * `tsc -p tsconfig.test.json`, so these examples cannot drift from the code.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Auth0Config } from "@auth0-effect/core/Auth0Config"
import * as CookieStateStore from "@auth0-effect/core/CookieStateStore"
import { makeRequestJar, RequestCookies } from "@auth0-effect/core/RequestCookies"
import type { SessionData } from "@auth0-effect/core/Session"
import { SessionBackend } from "@auth0-effect/core/SessionBackend"
import { SessionCrypto } from "@auth0-effect/core/SessionCrypto"
import { StateStore } from "@auth0-effect/core/StateStore"
import { TransactionStore } from "@auth0-effect/core/TransactionStore"

// --- Configuration --------------------------------------------------------------------------

/** Cookie and lifetime options, with a rotated secret: the first encrypts, all decrypt. */
export const config = Auth0Config.fromInput({
  domain: "tenant.eu.auth0.com",
  clientId: "my-client-id",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"],
  redirectUri: "https://app.example.com/auth/callback",
  secret: [
    process.env["AUTH0_SECRET"] ?? "", // new: encrypts every cookie from now on
    process.env["AUTH0_SECRET_PREVIOUS"] ?? "" // old: still decrypts cookies issued before the rotation
  ],
  cookie: {
    name: "appSession", // chunks are appSession.0, appSession.1, ...
    sameSite: "lax",
    domain: "example.com", // share the session with sub.example.com
    path: "/"
    // secure: false   // only for http://localhost during development
  },
  session: {
    rolling: true, // every request that reads the session extends it...
    inactivityDuration: 60 * 60 * 24, // ...by a day of inactivity...
    absoluteDuration: 60 * 60 * 24 * 7 // ...but never past a week after login
  }
})

// --- Stores ---------------------------------------------------------------------------------

/** The default: the whole session encrypted in cookies, nothing on the server. */
export const CookieStores = Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(Layer.provide(config))

/** Sessions in this process's memory: one instance, development, tests. */
export const MemoryStores = Layer.mergeAll(StateStore.memory, TransactionStore.cookie).pipe(Layer.provide(config))

/**
 * Sessions in any `SessionBackend`, e.g. `RedisSessionBackend.layer({ url })` from
 * @auth0-effect/redis: shared by every instance, and back-channel logout works.
 */
export const statefulStores = <E>(backend: Layer.Layer<SessionBackend, E>) =>
  Layer.mergeAll(StateStore.stateful, TransactionStore.cookie).pipe(
    Layer.provide(backend),
    Layer.provide(config)
  )

/** With the in-memory backend, as a stand-in for Redis. */
export const StatefulInMemory = statefulStores(SessionBackend.memory)

/** Bring your own keys: the cookie store over a `SessionCrypto` you build (here from explicit secrets). */
export const CookieStoreWithOwnKeys = Layer.effect(StateStore, CookieStateStore.make).pipe(
  Layer.provide(SessionCrypto.fromSecrets(["a-secret-of-at-least-32-characters-long!!"])),
  Layer.provide(config)
)

// --- Using a store in a request -------------------------------------------------------------

/** The logged-in user's `sub`, from a request's `Cookie` header; also returns the `Set-Cookie` headers. */
export const whoAmI = (cookieHeader: string | null) =>
  Effect.gen(function*() {
    const jar = makeRequestJar(cookieHeader)
    const store = yield* StateStore
    // A missing, expired, tampered or foreign cookie is simply `None`; a rolling session is
    // renewed here, so the response must carry the jar's Set-Cookie headers.
    const session = yield* store.get.pipe(Effect.provideService(RequestCookies, jar))
    return {
      sub: Option.map(session, (s) => s.user.sub),
      setCookie: jar.setCookieHeaders()
    }
  })

/** Saving after login: `rotate` gives the session a fresh identity (no session fixation). */
export const saveAfterLogin = (data: SessionData) =>
  Effect.flatMap(StateStore, (store) => store.set(data, { rotate: true }))

/**
 * Back-channel logout, given a logout token that `BackchannelLogout.handleBackchannelLogout`
 * validated: only stateful stores can do it (the cookie store says so with a typed error), and
 * they refuse a token whose `iss` and `jti` they have seen (a replay).
 */
export const endSessionsOf = (token: { readonly iss: string; readonly jti: string; readonly exp: number; readonly sid: string }) =>
  Effect.flatMap(StateStore, (store) => store.deleteByLogoutClaims(token)).pipe(
    Effect.catchTag("BackchannelLogoutError", () => Effect.succeed(0))
  )

/** A session too large for cookies fails with `StoreError` `too_large`: switch to a stateful store. */
export const saveOrExplain = (data: SessionData) =>
  saveAfterLogin(data).pipe(
    Effect.catchTag("StoreError", (error) =>
      error.reason === "too_large"
        ? Effect.logWarning("Session exceeds 10 cookies; use StateStore.stateful")
        : Effect.fail(error))
  )

export const program = whoAmI("appSession=...").pipe(Effect.provide(CookieStores))
