/**
 * One use of the session's refresh token (an MRRT refresh or a Token Vault exchange), rotation
 * safe: shared by concurrent callers in this process ({@link RequestCoalescer}), run under the
 * refresh token's lock ({@link RefreshCoordinator}), and never with a token the ledger knows was
 * rotated. Under the lock, in order:
 *
 * 1. re-read the session: if it already holds what the request wants (another instance just
 *    refreshed it), use that and send nothing;
 * 2. look the token up in the ledger: if it was rotated, take its successor and what that
 *    refresh produced (a late request with the pre-refresh cookie), and continue with the
 *    successor when that result is not what this request wants;
 * 3. otherwise send the grant, remember a rotation in the ledger, and write the session, all
 *    before the lock is released, so the next holder sees both.
 *
 * Every caller then writes the outcome into its own request's session (so its response sets the
 * new cookie and the browser converges); a write that changes nothing is skipped.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import { StoreError } from "../Errors.js"
import { RefreshCoordinator, type Rotation } from "../RefreshCoordinator.js"
import { RequestCoalescer } from "../RequestCoalescer.js"
import type { RequestCookies } from "../RequestCookies.js"
import type { SessionData, UserClaims } from "../Session.js"
import { StateStore, type StateStoreService } from "../StateStore.js"
import * as Telemetry from "../Telemetry.js"
import { sha256Base64Url } from "./digest.js"
import { epochSeconds } from "./time.js"

/** Most rotations followed in one use (each hop is a successor another request produced). */
export const MAX_HOPS = 4

/** What one grant returned. */
export interface Grant<Out> {
  readonly value: Out
  /** The new refresh token, when the server rotated it. */
  readonly refreshToken?: string | undefined
  readonly idToken?: string | undefined
  /** The refreshed ID token's user claims (validated). */
  readonly user?: UserClaims | undefined
}

/** How one kind of request uses the refresh token. */
export interface RefreshUse<Out, E, R> {
  /** Names the request in coalescing keys (audience and scope, or connection and hint). */
  readonly name: string
  /** What `session` already holds for this request, if fresh. */
  readonly fromSession: (session: SessionData, nowSeconds: number) => Option.Option<Out>
  /** What a rotation's result gives this request, if fresh and fitting. */
  readonly fromRotation: (rotation: Rotation, nowSeconds: number) => Option.Option<Out>
  /** What of `value` a rotation entry keeps for late requests. */
  readonly toRotation: (value: Out) => Pick<Rotation, "tokenSet" | "connectionTokenSet">
  /** The grant itself, with `refreshToken`, for the session as re-read under the lock. */
  readonly send: (refreshToken: string, session: SessionData) => Effect.Effect<Grant<Out>, E, R>
  /** `session` holding `value`. */
  readonly store: (session: SessionData, value: Out, nowSeconds: number) => SessionData
}

/** The outcome of a use, for every caller to write into its own session. */
interface Used<Out> {
  readonly value: Out
  /** Tokens known spent (rotated away): a session still holding one moves to `refreshToken`. */
  readonly spent: ReadonlyArray<string>
  readonly refreshToken: string
  readonly idToken?: string | undefined
  readonly user?: UserClaims | undefined
}

type Step<Out> =
  | { readonly _tag: "Done"; readonly used: Used<Out> }
  | { readonly _tag: "Rotated"; readonly rotation: Rotation }
  | { readonly _tag: "Moved"; readonly refreshToken: string }

/**
 * Writes `used` into the request's session (the latest read, else `fallback`). The session's
 * refresh token moves only from one known spent (or unchanged): a newer one written meanwhile
 * by another request is never replaced by an older one.
 */
const apply = <Out>(store: StateStoreService, fallback: SessionData, used: Used<Out>, use: RefreshUse<Out, unknown, unknown>) =>
  Effect.gen(function*() {
    const latest = Option.getOrElse(yield* store.get, () => fallback)
    const moves = latest.refreshToken === undefined || latest.refreshToken === used.refreshToken ||
      used.spent.includes(latest.refreshToken)
    const now = yield* epochSeconds
    const updated = use.store(
      moves
        ? {
          ...latest,
          refreshToken: used.refreshToken,
          idToken: used.idToken ?? latest.idToken,
          user: used.user ? { ...latest.user, ...used.user } : latest.user
        }
        : latest,
      used.value,
      now
    )
    if (JSON.stringify(updated) !== JSON.stringify(latest)) yield* store.set(updated)
  })

/**
 * Uses `refreshToken` (the session's) for one request, as described in the module docs; fails
 * with the grant's errors, or `StoreError` when the lock cannot be had or the store fails.
 */
export const useRefreshToken = <Out, E, R>(
  session: SessionData,
  refreshToken: string,
  use: RefreshUse<Out, E, R>
): Effect.Effect<Out, E | StoreError, R | StateStore | RefreshCoordinator | RequestCoalescer | RequestCookies> =>
  Effect.gen(function*() {
    const store = yield* StateStore
    const coordinator = (yield* RefreshCoordinator).forStore(store)
    const coalescer = yield* RequestCoalescer
    const context = yield* Effect.context<R | StateStore | RequestCookies>()

    const done = (used: Used<Out>): Step<Out> => ({ _tag: "Done", used })
    const hop = (token: string, spent: ReadonlyArray<string>) =>
      Effect.flatMap(Effect.zip(sha256Base64Url(token), Clock.currentTimeMillis), ([lockKey, asked]) =>
        coordinator.withLock(
          lockKey,
          Effect.gen(function*() {
            yield* Telemetry.annotate({ [Telemetry.Attributes.lockWaited]: (yield* Clock.currentTimeMillis) - asked })
            const now = yield* epochSeconds
            const current = yield* store.get
            if (Option.isSome(current)) {
              const served = use.fromSession(current.value, now)
              if (Option.isSome(served)) {
                const moved = current.value.refreshToken !== undefined && current.value.refreshToken !== token
                return done({
                  value: served.value,
                  spent: moved ? [...spent, token] : spent,
                  refreshToken: current.value.refreshToken ?? token,
                  ...(moved ? { idToken: current.value.idToken, user: current.value.user } : {})
                })
              }
            }
            const rotation = yield* coordinator.recallRotation(token)
            if (Option.isSome(rotation)) return { _tag: "Rotated", rotation: rotation.value } as Step<Out>
            const stored = Option.getOrElse(current, () => session)
            if (stored.refreshToken !== undefined && stored.refreshToken !== token && !spent.includes(stored.refreshToken)) {
              // The session moved on to a token the ledger cannot tie to ours: use the session's.
              return { _tag: "Moved", refreshToken: stored.refreshToken } as Step<Out>
            }
            yield* Metric.increment(Telemetry.refreshRequests)
            const grant = yield* use.send(token, stored)
            const rotated = grant.refreshToken !== undefined && grant.refreshToken !== token
            if (rotated) {
              yield* coordinator.rememberRotation(token, {
                refreshToken: grant.refreshToken!,
                ...(grant.idToken !== undefined ? { idToken: grant.idToken } : {}),
                ...(grant.user !== undefined ? { user: grant.user } : {}),
                ...use.toRotation(grant.value)
              })
            }
            const used: Used<Out> = {
              value: grant.value,
              spent: rotated ? [...spent, token] : spent,
              refreshToken: rotated ? grant.refreshToken! : token,
              idToken: grant.idToken,
              user: grant.user
            }
            // Written under the lock, so the next holder (any instance) reads it in step 1.
            yield* apply(store, session, used, use)
            return done(used)
          })
        )
      )

    const run = Effect.gen(function*() {
      let token = refreshToken
      let spent: ReadonlyArray<string> = []
      let idToken: string | undefined
      let user: UserClaims | undefined
      for (let i = 0; i < MAX_HOPS; i++) {
        const step: Step<Out> = yield* hop(token, spent)
        switch (step._tag) {
          case "Done":
            return {
              ...step.used,
              idToken: step.used.idToken ?? idToken,
              user: step.used.user ?? user
            } satisfies Used<Out>
          case "Moved":
            token = step.refreshToken
            break
          case "Rotated": {
            spent = [...spent, token]
            token = step.rotation.refreshToken
            idToken = step.rotation.idToken ?? idToken
            user = step.rotation.user ?? user
            const value = use.fromRotation(step.rotation, yield* epochSeconds)
            if (Option.isSome(value)) {
              return { value: value.value, spent, refreshToken: token, idToken, user } satisfies Used<Out>
            }
          }
        }
      }
      return yield* new StoreError({
        reason: "unavailable",
        message: `The refresh token was rotated more than ${MAX_HOPS} times while this request waited`
      })
    }).pipe(Telemetry.span(Telemetry.SpanNames.refresh), Effect.provide(context))

    // Whether this caller's run went ahead, or it shared a concurrent caller's.
    let ran = false
    const traced = Effect.suspend(() => {
      ran = true
      return run
    })
    const key = `${use.name}:${yield* sha256Base64Url(refreshToken)}`
    const used = yield* coalescer.run(key, traced)
    yield* Telemetry.annotate({ [Telemetry.Attributes.refresh]: ran ? "sent" : "coalesced" })
    if (!ran) yield* Metric.increment(Telemetry.coalescedWaits)
    yield* apply(store, session, used, use)
    return used.value
  })
