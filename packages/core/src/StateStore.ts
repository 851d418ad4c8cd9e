/**
 * The session store: where the logged-in session lives between requests. Every method works on
 * the current request's session, found through {@link RequestCookies}.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Auth0Config } from "./Auth0Config.js"
import * as CookieStateStore from "./CookieStateStore.js"
import type { BackchannelLogoutError, StoreError } from "./Errors.js"
import type { RequestCookies } from "./RequestCookies.js"
import { type LogoutClaims, SessionBackend, type SessionBackendService } from "./SessionBackend.js"
import type { SessionData } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"
import * as StatefulStateStore from "./StatefulStateStore.js"
import * as Telemetry from "./Telemetry.js"

export interface StateStoreService {
  /** The current session; a missing, expired, tampered or foreign cookie reads as `None`. */
  readonly get: Effect.Effect<Option.Option<SessionData>, StoreError, RequestCookies>
  /**
   * Saves the session. `rotate: true` (after a login) gives it a new identity, so an id planted
   * before login is never reused (session fixation).
   */
  readonly set: (
    data: SessionData,
    options?: { readonly rotate?: boolean }
  ) => Effect.Effect<void, StoreError, RequestCookies>
  /**
   * Ends the current session: clears the session cookie, and deletes the server-side entry of a
   * stateful store. The cookie is cleared even when the backend fails (the `StoreError` then says
   * the entry may live on until its TTL), so a logout during an outage still logs the browser out.
   */
  readonly delete: Effect.Effect<void, StoreError, RequestCookies>
  /**
   * Ends every session a validated logout token names (by `sid`, `sub`, or both) and returns how
   * many; refuses a token seen before (its `iss` and `jti`) with {@link BackchannelLogoutError},
   * remembering each one until `exp` plus the clock leeway, in the store's backend, so every
   * instance sharing the backend refuses a replay (Back-Channel Logout §2.6 step 9, §2.4 `jti`).
   * Stores without a server side refuse with {@link BackchannelLogoutError}.
   */
  readonly deleteByLogoutClaims: (token: LogoutToken) => Effect.Effect<number, StoreError | BackchannelLogoutError>
  /**
   * The backend a stateful store keeps sessions in: refreshes of its sessions coordinate through
   * it (`RefreshCoordinator`), across every instance sharing it. Absent for cookie sessions.
   */
  readonly backend?: SessionBackendService | undefined
}

/**
 * What a stateful store needs of a validated logout token (Back-Channel Logout §2.4): whom it
 * logs out, and what identifies it. A `jti` is unique per issuer only, so the pair is the identity.
 */
export interface LogoutToken extends LogoutClaims {
  readonly iss: string
  readonly jti: string
  /** Epoch seconds; with the clock leeway, how long a replay must be refused. */
  readonly exp: number
}

export class StateStore extends Context.Tag("@auth0-effect/core/StateStore")<StateStore, StateStoreService>() {
  /**
   * Stateless: the whole session, encrypted, in the session cookie (chunked past 4 KB, at most
   * 10 cookies). Keys are derived from `Auth0Config`'s secrets once, when the layer is built.
   * No back-channel logout. To bring your own `SessionCrypto`, use
   * `Layer.effect(StateStore, CookieStateStore.make)`.
   */
  static readonly cookie: Layer.Layer<StateStore, never, Auth0Config> = Layer.effect(
    StateStore,
    Effect.map(Effect.suspend(() => CookieStateStore.make), (store) => Telemetry.instrumentStore("session", store))
  ).pipe(Layer.provide(SessionCrypto.layer))

  /**
   * Stateful: the session in the given `SessionBackend` (e.g. `RedisSessionBackend.layer(...)`
   * from @auth0-effect/redis), the cookie holding only an encrypted random id. Supports
   * back-channel logout.
   */
  static readonly stateful: Layer.Layer<StateStore, never, Auth0Config | SessionBackend> = Layer.effect(
    StateStore,
    Effect.map(Effect.suspend(() => StatefulStateStore.make), (store) => Telemetry.instrumentStore("session", store))
  ).pipe(Layer.provide(SessionCrypto.layer))

  /** Stateful over `SessionBackend.memory`: sessions in this process only (one instance, dev, tests). */
  static readonly memory: Layer.Layer<StateStore, never, Auth0Config> = StateStore.stateful.pipe(
    Layer.provide(SessionBackend.memory)
  )
}
