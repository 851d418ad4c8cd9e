/**
 * Where a stateful session store keeps session data, keyed by a random session id. The cookie
 * then carries only the (encrypted) id. Implementations: {@link SessionBackend.memory} here,
 * Redis in `@auth0-effect/redis`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { StoreError } from "./Errors.js"
import type { SessionData } from "./Session.js"

export interface LogoutClaims {
  readonly sid?: string | undefined
  readonly sub?: string | undefined
}

export interface SessionBackendService {
  readonly get: (id: string) => Effect.Effect<Option.Option<SessionData>, StoreError>
  /** Stores `data` under `id`; the entry disappears after `ttlSeconds`. */
  readonly set: (id: string, data: SessionData, ttlSeconds: number) => Effect.Effect<void, StoreError>
  /**
   * Overwrites `id` only if it still exists, and says whether it did: a session ended meanwhile
   * (back-channel logout on another instance) must not be brought back by a late write.
   */
  readonly replace: (id: string, data: SessionData, ttlSeconds: number) => Effect.Effect<boolean, StoreError>
  readonly delete: (id: string) => Effect.Effect<void, StoreError>
  /**
   * Deletes every session matching the logout token's claims: by `sid` when given (and `sub`
   * too, when both are given), else every session of `sub`. Returns how many were deleted.
   */
  readonly deleteByLogoutClaims: (claims: LogoutClaims) => Effect.Effect<number, StoreError>
}

export class SessionBackend extends Context.Tag("@auth0-effect/core/SessionBackend")<
  SessionBackend,
  SessionBackendService
>() {
  /** Sessions in this process's memory; expiry read from `Clock`. */
  static readonly memory: Layer.Layer<SessionBackend> = Layer.sync(SessionBackend, () => makeMemoryBackend())
}

/** Whether a session matches back-channel logout claims (OpenID Back-Channel Logout 1.0 §2.4). */
export const matchesLogoutClaims = (data: SessionData, claims: LogoutClaims): boolean => {
  if (claims.sid === undefined && claims.sub === undefined) return false
  if (claims.sid !== undefined && data.internal.sid !== claims.sid) return false
  if (claims.sub !== undefined && data.user.sub !== claims.sub) return false
  return true
}

export const makeMemoryBackend = (): SessionBackendService => {
  const entries = new Map<string, { readonly data: SessionData; readonly expiresAt: number }>()
  const live = (id: string, now: number) => {
    const entry = entries.get(id)
    if (entry && entry.expiresAt <= now) entries.delete(id)
    return entry !== undefined && entry.expiresAt > now
  }
  return {
    get: (id) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = entries.get(id)
        if (!entry) return Option.none()
        if (entry.expiresAt <= now) {
          entries.delete(id)
          return Option.none()
        }
        return Option.some(entry.data)
      }),
    set: (id, data, ttlSeconds) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        entries.set(id, { data, expiresAt: now + ttlSeconds * 1000 })
      }),
    replace: (id, data, ttlSeconds) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (!live(id, now)) return false
        entries.set(id, { data, expiresAt: now + ttlSeconds * 1000 })
        return true
      }),
    delete: (id) => Effect.sync(() => void entries.delete(id)),
    deleteByLogoutClaims: (claims) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        let deleted = 0
        for (const [id, entry] of entries) {
          // Expired entries are dropped but not counted: they were no longer sessions.
          if (!live(id, now)) continue
          if (matchesLogoutClaims(entry.data, claims)) {
            entries.delete(id)
            deleted++
          }
        }
        return deleted
      })
  }
}
