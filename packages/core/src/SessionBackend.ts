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
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { StoreError } from "./Errors.js"
import type { SessionData } from "./Session.js"
import * as Telemetry from "./Telemetry.js"

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
  /**
   * Takes the lease `key` for `leaseMs` if no one holds it: resolves with a token that proves
   * ownership, or `None` while someone else holds it (Redis: `SET key token NX PX leaseMs`).
   * A lease is never renewed; it lapses by itself when its holder dies.
   */
  readonly acquireLease: (key: string, leaseMs: number) => Effect.Effect<Option.Option<string>, StoreError>
  /**
   * Gives the lease back, only if `token` still holds it (Redis: compare-and-delete in a script),
   * so a holder whose lease lapsed can never free its successor's.
   */
  readonly releaseLease: (key: string, token: string) => Effect.Effect<void, StoreError>
  /**
   * Stores `value` under the short-lived key `key` for `ttlSeconds` unless the key exists;
   * resolves with whether it was stored (Redis: `SET key value NX EX ttl`). For the rotated
   * refresh token ledger and seen logout token `jti`s; keys never collide with session ids.
   */
  readonly remember: (key: string, value: string, ttlSeconds: number) => Effect.Effect<boolean, StoreError>
  /** The value {@link remember}ed under `key`, while it lives. */
  readonly recall: (key: string) => Effect.Effect<Option.Option<string>, StoreError>
}

export class SessionBackend extends Context.Tag("@auth0-effect/core/SessionBackend")<
  SessionBackend,
  SessionBackendService
>() {
  /** Sessions in this process's memory; expiry read from `Clock`. */
  static readonly memory: Layer.Layer<SessionBackend> = Layer.sync(SessionBackend, () => Telemetry.instrumentStore("backend", makeMemoryBackend()))
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
  const leases = new Map<string, { readonly token: string; readonly expiresAt: number }>()
  const remembered = new Map<string, { readonly value: string; readonly expiresAt: number }>()
  /** Drops lapsed entries of a small keyed map, at most once per write, so it stays bounded. */
  const sweep = <V extends { readonly expiresAt: number }>(map: Map<string, V>, now: number) => {
    for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key)
  }
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
      }),
    acquireLease: (key, leaseMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const held = leases.get(key)
        if (held !== undefined && held.expiresAt > now) return Option.none()
        const token = Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
        if (leases.size > 1024) sweep(leases, now)
        leases.set(key, { token, expiresAt: now + leaseMs })
        return Option.some(token)
      }),
    releaseLease: (key, token) =>
      Effect.sync(() => {
        if (leases.get(key)?.token === token) leases.delete(key)
      }),
    remember: (key, value, ttlSeconds) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = remembered.get(key)
        if (found !== undefined && found.expiresAt > now) return false
        if (remembered.size > 1024) sweep(remembered, now)
        remembered.set(key, { value, expiresAt: now + ttlSeconds * 1000 })
        return true
      }),
    recall: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const found = remembered.get(key)
        return found !== undefined && found.expiresAt > now ? Option.some(found.value) : Option.none()
      })
  }
}
