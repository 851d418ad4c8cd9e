/**
 * The stateful session store: session data lives in a {@link SessionBackend} (memory, Redis, ...)
 * under a random 256-bit id, and the cookie `cookie.name` carries only that id, encrypted with
 * {@link SessionCrypto} (so an id cannot be guessed, forged or read from the cookie). Sessions can
 * therefore be as large as the backend allows, and the server can end them without the browser:
 * back-channel logout works.
 *
 * Lifetime is the cookie store's (inactivity, rolling, absolute; see `CookieStateStore`); the
 * backend entry's TTL and the cookie's `Max-Age` are both the time left. `set(data, { rotate: true })`
 * (after a login) moves the session to a fresh id and deletes the old entry, so an id planted
 * before login is never reused (session fixation). Backend failures are `StoreError`s and reach
 * the caller: a backend that is down is not the same as "no session".
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import {
  clearCookies,
  headerBudget,
  isTampered,
  nowSeconds,
  sessionCookieOptions,
  sessionExpiry,
  shouldRenew,
  writeChunked
} from "./CookieStateStore.js"
import { type CookieJar, RequestCookies } from "./RequestCookies.js"
import { BackchannelLogoutError } from "./Errors.js"
import * as BeforeSessionSaved from "./internal/beforeSessionSaved.js"
import { SessionBackend, type SessionBackendService } from "./SessionBackend.js"
import { SessionCrypto } from "./SessionCrypto.js"
import type { StateStoreService } from "./StateStore.js"
import { sha256Base64Url } from "./internal/digest.js"
import { epochSeconds } from "./internal/time.js"

/** A session id: 32 random bytes, base64url without padding (43 characters). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** A fresh session id: 256 bits from the platform CSPRNG. */
export const makeSessionId: Effect.Effect<string> = Effect.sync(() =>
  Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
)

/**
 * The stateful store's service; needs `Auth0Config`, `SessionBackend` and `SessionCrypto`.
 * `StateStore.stateful` and `StateStore.memory` provide the crypto.
 */
export const make: Effect.Effect<StateStoreService, never, Auth0Config | SessionBackend | SessionCrypto> = Effect.gen(
  function*() {
    const config = yield* Auth0Config
    const backend = yield* SessionBackend
    const crypto = yield* SessionCrypto
    const name = config.options.cookie.name
    const lifetime = config.options.session
    const cookie = sessionCookieOptions(config)
    const budget = headerBudget(config)

    /**
     * The id in the request's cookie, with the cookie's expiry, if the cookie is ours and live.
     * None when the name came twice: either copy may be a planted one, and an update written to
     * a planted id would hand this user's tokens to whoever planted it.
     */
    const readId = (jar: CookieJar) => {
      const raw = jar.get(name)
      if (raw === undefined || jar.duplicated(name)) return Effect.succeedNone
      return Effect.map(
        crypto.decryptToken(raw),
        Option.filter((token): token is { readonly payload: string; readonly expiresAt: number; readonly currentKey: boolean } =>
          typeof token.payload === "string" && SESSION_ID_PATTERN.test(token.payload)
        )
      )
    }

    /** Points the cookie at `id` until `expiresAt`; one cookie, stale chunks of a cookie store expired. */
    const writeCookie = (jar: CookieJar, id: string, expiresAt: number, now: number) =>
      Effect.flatMap(
        crypto.encrypt(id, { expiresAt }),
        (token) => writeChunked(jar, name, token, { ...cookie, maxAge: expiresAt - now }, budget, { maxChunks: 1 })
      )

    const get: StateStoreService["get"] = Effect.gen(function*() {
      const jar = yield* RequestCookies
      // Planted cookies are left alone: see CookieStateStore.isTampered.
      if (jar.get(name) === undefined || isTampered(jar, name)) return Option.none()
      const token = yield* readId(jar)
      if (Option.isNone(token)) {
        clearCookies(jar, name, cookie)
        return Option.none()
      }
      const id = token.value.payload
      const found = yield* backend.get(id)
      if (Option.isNone(found)) {
        clearCookies(jar, name, cookie)
        return Option.none()
      }
      const now = yield* nowSeconds
      const expiresAt = sessionExpiry(lifetime, found.value.internal.createdAt, now)
      if (expiresAt <= now) {
        yield* backend.delete(id)
        clearCookies(jar, name, cookie)
        return Option.none()
      }
      // Re-sealed when worth extending, or when an old secret sealed it (rotation).
      if (!token.value.currentKey || shouldRenew(lifetime, expiresAt, token.value.expiresAt)) {
        if (!(yield* backend.replace(id, found.value, expiresAt - now))) {
          clearCookies(jar, name, cookie)
          return Option.none()
        }
        yield* writeCookie(jar, id, expiresAt, now)
      }
      return found
    })

    const set: StateStoreService["set"] = (input, options) =>
      Effect.gen(function*() {
        const data = yield* BeforeSessionSaved.apply(config.options.beforeSessionSaved, input)
        const jar = yield* RequestCookies
        const current = Option.map(yield* readId(jar), (token) => token.payload)
        const now = yield* nowSeconds
        const expiresAt = sessionExpiry(lifetime, data.internal.createdAt, now)
        if (expiresAt <= now) {
          if (Option.isSome(current)) yield* backend.delete(current.value)
          clearCookies(jar, name, cookie)
          return
        }
        if (options?.rotate !== true && Option.isSome(current)) {
          // An update of the current session: if it was ended meanwhile (back-channel logout
          // on another instance), it stays ended.
          if (yield* backend.replace(current.value, data, expiresAt - now)) {
            yield* writeCookie(jar, current.value, expiresAt, now)
          } else {
            clearCookies(jar, name, cookie)
          }
          return
        }
        const id = yield* makeSessionId
        yield* backend.set(id, data, expiresAt - now)
        if (Option.isSome(current)) yield* backend.delete(current.value)
        yield* writeCookie(jar, id, expiresAt, now)
      })

    const remove: StateStoreService["delete"] = Effect.gen(function*() {
      const jar = yield* RequestCookies
      const current = yield* readId(jar)
      // The cookie first: a backend that is down must not keep the browser logged in.
      clearCookies(jar, name, cookie)
      if (Option.isSome(current)) yield* backend.delete(current.value.payload)
    })

    return {
      get,
      set,
      delete: remove,
      deleteByLogoutClaims: makeLogoutByToken(backend, config.options.clockToleranceSeconds),
      backend
    }
  }
)

/**
 * The backend key under which a logout token's identity is remembered: a digest of its `iss` and
 * `jti` (a `jti` is unique per issuer only, Back-Channel Logout §2.4), so the key has a fixed
 * length whatever the token carries, and no issuer/jti pair can collide with another.
 */
export const logoutTokenKey = (iss: string, jti: string): Effect.Effect<string> =>
  Effect.map(sha256Base64Url(JSON.stringify([iss, jti])), (digest) => `logout-jti:${digest}`)

/**
 * Back-channel logout with replay detection (Back-Channel Logout §2.6 step 9 lets the RP refuse
 * a `jti` it has seen; §2.4 makes `jti` REQUIRED). A token seen before is refused, else its
 * sessions are deleted, then its identity is remembered in the backend until `exp` plus the
 * leeway, so a replay to any instance sharing the backend is refused, and after that the token
 * itself has expired.
 *
 * The identity is remembered only once the deletion succeeded. If the deletion fails (backend
 * down), nothing is remembered and the `StoreError` reaches the tenant as a failure, so its retry
 * of the same token still works. If remembering fails after the deletion, the call fails too: the
 * sessions are gone, but a replay would not be refused yet, so the tenant should retry, and that
 * retry deletes again (sessions created meanwhile by the same user included: the user asked to be
 * logged out) and then remembers. Two deliveries of one token at the same instant may both pass
 * the check before either is remembered; both then end the same sessions within one backend
 * round trip, too short for a new login in between.
 */
export const makeLogoutByToken =
  (backend: SessionBackendService, toleranceSeconds: number): StateStoreService["deleteByLogoutClaims"] => (token) =>
    Effect.gen(function*() {
      const key = yield* logoutTokenKey(token.iss, token.jti)
      if (Option.isSome(yield* backend.recall(key))) {
        return yield* new BackchannelLogoutError({ message: "Invalid logout token: it was used before (its jti was seen)" })
      }
      const deleted = yield* backend.deleteByLogoutClaims({ sid: token.sid, sub: token.sub })
      const ttl = Math.max(1, token.exp + toleranceSeconds - (yield* epochSeconds))
      yield* backend.remember(key, "used", ttl)
      return deleted
    })
