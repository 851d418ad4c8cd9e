/**
 * Coordination of refresh-token uses, so that with refresh token rotation a token is never sent
 * twice: a lock per refresh token, and a short-lived ledger of rotated tokens.
 *
 * - **The lock** ({@link Coordinator.withLock}) lets one refresh per refresh token run at a time.
 *   In one process it is a semaphore; over a {@link SessionBackend} (Redis) it is also a lease
 *   (`SET NX PX`, released by compare-and-delete), so every instance sharing the backend takes
 *   turns. Waiting is bounded ({@link waitMs}), and a lease lapses by itself ({@link leaseMs}),
 *   so when its holder dies one waiter takes over.
 * - **The ledger** ({@link Coordinator.rememberRotation}, {@link Coordinator.recallRotation}):
 *   after a refresh that rotated the refresh token, old token (by SHA-256) → its successor and
 *   the token set that refresh produced, for {@link LEDGER_TTL_SECONDS}. A request still carrying
 *   the old token (a late request with the pre-refresh cookie, or another instance) takes the
 *   successor and that result instead of presenting a spent token, which Auth0 would treat as
 *   reuse and answer by revoking the whole token family. In process memory always; in the backend
 *   too when there is one, encrypted with the app's secret ({@link SessionCrypto}).
 *
 * Which coordinator a request uses ({@link RefreshCoordinatorService.forStore}): the backend the
 * session store keeps sessions in when it is stateful (so Redis users coordinate across
 * instances with no extra configuration), else this process's own, unless
 * {@link RefreshCoordinator.layerBackend} named a backend for every store.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { Auth0Config } from "./Auth0Config.js"
import { StoreError } from "./Errors.js"
import { ConnectionTokenSet, TokenSet, UserClaims } from "./Session.js"
import { SessionBackend, type SessionBackendService } from "./SessionBackend.js"
import { SessionCrypto, type SessionCryptoService } from "./SessionCrypto.js"
import type { StateStoreService } from "./StateStore.js"
import { sha256Base64Url } from "./internal/digest.js"

/** How often a failed ledger write is retried in the background, while the entry would live. */
export const LEDGER_RETRY_MS = 250

/** How long a rotated token's successor is remembered: longer than any request that read the old cookie takes. */
export const LEDGER_TTL_SECONDS = 60
/** Added to the HTTP timeout for the lease and the wait: discovery and JWKS reads, clock skew between instances. */
export const MARGIN_MS = 5_000
/** Most entries of the in-process ledger (each a few KB); the oldest go first. */
export const LOCAL_LEDGER_LIMIT = 10_000

/** A lease lives for the HTTP timeout plus a margin: enough for its holder's refresh, short when it died. */
export const leaseMs = (httpTimeoutMs: number): number => httpTimeoutMs + MARGIN_MS
/** A waiter gives up after a lease's lifetime plus a margin, by when a dead holder's lease has lapsed. */
export const waitMs = (httpTimeoutMs: number): number => leaseMs(httpTimeoutMs) + MARGIN_MS

/** Polls for a held lease: 25 ms, doubling to at most 250 ms. */
export const pollDelayMs = (attempt: number): number => Math.min(25 * 2 ** attempt, 250)

/** What a rotating refresh left for requests that still hold the old token. */
export const Rotation = Schema.Struct({
  /** The successor refresh token. */
  refreshToken: Schema.String,
  /** The ID token and user claims the refresh returned, if any (already validated). */
  idToken: Schema.optional(Schema.String),
  user: Schema.optional(UserClaims),
  /** The access token the refresh produced (MRRT), or the Token Vault token (exchange). */
  tokenSet: Schema.optional(TokenSet),
  connectionTokenSet: Schema.optional(ConnectionTokenSet)
})
export type Rotation = typeof Rotation.Type

/** One coordinator: a lock per key and the rotated-token ledger, in-process or over a backend. */
export interface Coordinator {
  /** Whether other instances see this coordinator's locks and ledger. */
  readonly shared: boolean
  /**
   * Runs `effect` while holding the lock `key` (at most one holder per key, here and, when
   * shared, in every instance). Fails with `StoreError` when the lock cannot be had within
   * {@link waitMs} or the backend is down; `effect` then does not run.
   */
  readonly withLock: <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
  /** The successor of `refreshToken` and what its rotation produced, while remembered. */
  readonly recallRotation: (refreshToken: string) => Effect.Effect<Option.Option<Rotation>, StoreError>
  /** Remembers that `refreshToken` was rotated; a backend failure is logged, never raised (the refresh happened). */
  readonly rememberRotation: (refreshToken: string, rotation: Rotation) => Effect.Effect<void>
}

export interface RefreshCoordinatorService {
  /** The coordinator for refreshes of sessions kept by `store`. */
  readonly forStore: (store: StateStoreService) => Coordinator
}

export class RefreshCoordinator extends Context.Tag("@auth0-effect/core/RefreshCoordinator")<
  RefreshCoordinator,
  RefreshCoordinatorService
>() {
  /**
   * In-process locks and ledger; a stateful session store's backend (`StateStore.stateful`
   * over Redis) is used as well, for sessions kept there. The default of `Auth0.layer` and
   * the facade.
   */
  static readonly layer: Layer.Layer<RefreshCoordinator, never, Auth0Config> = Layer.effect(
    RefreshCoordinator,
    Effect.gen(function*() {
      const config = yield* Auth0Config
      const crypto = yield* SessionCrypto
      const local = makeLocal(config.options.httpTimeoutMs)
      const shared = new WeakMap<SessionBackendService, Coordinator>()
      return {
        forStore: (store) => {
          if (store.backend === undefined) return local
          let found = shared.get(store.backend)
          if (found === undefined) {
            found = makeShared(store.backend, crypto, local, config.options.httpTimeoutMs)
            shared.set(store.backend, found)
          }
          return found
        }
      }
    })
  ).pipe(Layer.provide(SessionCrypto.layer))

  /**
   * Every refresh coordinated through the given `SessionBackend`, whatever the session store:
   * for cookie sessions on several instances, give them one Redis here
   * (`Layer.provide(RefreshCoordinator.layerBackend, RedisSessionBackend.layer(...))`).
   */
  static readonly layerBackend: Layer.Layer<RefreshCoordinator, never, Auth0Config | SessionBackend> = Layer.effect(
    RefreshCoordinator,
    Effect.gen(function*() {
      const config = yield* Auth0Config
      const crypto = yield* SessionCrypto
      const backend = yield* SessionBackend
      const coordinator = makeShared(backend, crypto, makeLocal(config.options.httpTimeoutMs), config.options.httpTimeoutMs)
      return { forStore: () => coordinator }
    })
  ).pipe(Layer.provide(SessionCrypto.layer))
}

/** Lock failures are the store's: the coordination store could not give the lock in time. */
const busy = (key: string, waitedMs: number) =>
  new StoreError({
    reason: "unavailable",
    message: `The refresh lock "${key.slice(0, 12)}…" was still held after ${Duration.format(Duration.millis(waitedMs))}`
  })

/** The ledger key for a refresh token's hash (the same hash keys its lock). */
const ledgerKeyOf = (hash: string) => `rt-ledger:${hash}`
const ledgerKey = (refreshToken: string) => Effect.map(sha256Base64Url(refreshToken), ledgerKeyOf)

/** This process's locks (one semaphore per key, dropped when unused) and ledger (bounded, expiring). */
export const makeLocal = (httpTimeoutMs: number): Coordinator => {
  const locks = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()
  const ledger = new Map<string, { readonly rotation: Rotation; readonly expiresAt: number }>()
  const bound = waitMs(httpTimeoutMs)
  return {
    shared: false,
    withLock: (key, effect) =>
      Effect.suspend(() => {
        let entry = locks.get(key)
        if (entry === undefined) {
          entry = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
          locks.set(key, entry)
        }
        const held = entry
        held.users++
        return Effect.acquireUseRelease(
          held.semaphore.take(1).pipe(Effect.timeoutFail({ duration: bound, onTimeout: () => busy(key, bound) })),
          () => effect,
          () => held.semaphore.release(1)
        ).pipe(Effect.ensuring(Effect.sync(() => {
          if (--held.users === 0) locks.delete(key)
        })))
      }),
    recallRotation: (refreshToken) =>
      Effect.gen(function*() {
        const key = yield* ledgerKey(refreshToken)
        const now = yield* Clock.currentTimeMillis
        const found = ledger.get(key)
        return found !== undefined && found.expiresAt > now ? Option.some(found.rotation) : Option.none()
      }),
    rememberRotation: (refreshToken, rotation) =>
      Effect.gen(function*() {
        const key = yield* ledgerKey(refreshToken)
        const now = yield* Clock.currentTimeMillis
        if (ledger.size >= LOCAL_LEDGER_LIMIT) {
          for (const [k, entry] of ledger) if (entry.expiresAt <= now) ledger.delete(k)
          // Still full: Map iteration is insertion order, so the first key is the oldest.
          const oldest = ledger.keys().next()
          if (ledger.size >= LOCAL_LEDGER_LIMIT && oldest.done !== true) ledger.delete(oldest.value)
        }
        if (!ledger.has(key)) ledger.set(key, { rotation, expiresAt: now + LEDGER_TTL_SECONDS * 1000 })
      })
  }
}

const decodeRotation = Schema.decodeUnknownOption(Rotation)

/**
 * Takes the lease `key` from `backend`, polling with {@link pollDelayMs} until `deadline`
 * (Clock millis; `bound` is the whole wait, for the message); resolves with the lease's token.
 */
export const acquireLease = (
  backend: SessionBackendService,
  key: string,
  lease: number,
  deadline: number,
  bound: number
): Effect.Effect<string, StoreError> =>
  Effect.gen(function*() {
    for (let attempt = 0;; attempt++) {
      const token = yield* backend.acquireLease(key, lease)
      if (Option.isSome(token)) return token.value
      const now = yield* Clock.currentTimeMillis
      if (now >= deadline) return yield* busy(key, bound)
      yield* Effect.sleep(Duration.millis(Math.min(pollDelayMs(attempt), deadline - now)))
    }
  })

/**
 * A coordinator over `backend`, shared by every instance using it. In-process contenders first
 * queue on `local`'s lock, so only one of them polls the backend.
 */
export const makeShared = (
  backend: SessionBackendService,
  crypto: SessionCryptoService,
  local: Coordinator,
  httpTimeoutMs: number
): Coordinator => {
  /** Lock keys whose rotation is not in the backend yet: their lease is kept until it lapses. */
  const unpublished = new Set<string>()
  return {
  shared: true,
  withLock: (key, effect) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const bound = waitMs(httpTimeoutMs)
      return yield* local.withLock(
        key,
        Effect.suspend(() =>
          Effect.acquireUseRelease(
            acquireLease(backend, `rt-lock:${key}`, leaseMs(httpTimeoutMs), start + bound, bound),
            () => effect,
            // A lapsed lease may already be someone else's: compare-and-delete leaves it alone.
            // While this rotation is known only here, releasing would let another instance
            // present the spent token: the lease then lapses by itself instead.
            (token) => unpublished.has(key) ? Effect.void : Effect.ignore(backend.releaseLease(`rt-lock:${key}`, token))
          )
        )
      )
    }),
  recallRotation: (refreshToken) =>
    Effect.gen(function*() {
      const known = yield* local.recallRotation(refreshToken)
      if (Option.isSome(known)) return known
      const raw = yield* backend.recall(yield* ledgerKey(refreshToken))
      if (Option.isNone(raw)) return Option.none()
      // Sealed with the app's secret; anything else (another app's entry, tampering) is ignored.
      const payload = yield* crypto.decrypt(raw.value)
      return Option.flatMap(payload, decodeRotation)
    }),
  rememberRotation: (refreshToken, rotation) =>
    Effect.gen(function*() {
      yield* local.rememberRotation(refreshToken, rotation)
      const now = yield* Clock.currentTimeMillis
      const sealed = yield* crypto.encrypt(Schema.encodeSync(Rotation)(rotation), {
        expiresAt: Math.floor(now / 1000) + LEDGER_TTL_SECONDS
      })
      // One hash names both the ledger entry and the lock (see withLock's callers).
      const lockKey = yield* sha256Base64Url(refreshToken)
      const key = ledgerKeyOf(lockKey)
      const written = yield* Effect.either(backend.remember(key, sealed, LEDGER_TTL_SECONDS))
      if (written._tag === "Right") return
      yield* Effect.logWarning(
        `The rotated refresh token could not be remembered in the session backend: ${written.left.message}; retrying in the background`
      )
      // The successor exists only in this process now: if the session write failed too (the
      // backend is down), another instance holding the old cookie would present a spent token
      // once the backend is back. Keep trying while the entry would still live, so it lands
      // within moments of the backend's return (our lease, unreleased, holds others off meanwhile).
      const until = now + LEDGER_TTL_SECONDS * 1000
      unpublished.add(lockKey)
      yield* Effect.forkDaemon(
        Effect.gen(function*() {
          const at = yield* Clock.currentTimeMillis
          const left = Math.floor((until - at) / 1000)
          if (left <= 0) return
          yield* backend.remember(key, sealed, left)
        }).pipe(
          Effect.retry(Schedule.spaced(Duration.millis(LEDGER_RETRY_MS)).pipe(
            Schedule.upTo(Duration.seconds(LEDGER_TTL_SECONDS))
          )),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => unpublished.delete(lockKey)))
        )
      )
    })
  }
}
