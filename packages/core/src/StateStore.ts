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
  readonly delete: Effect.Effect<void, StoreError, RequestCookies>
  /** Deletes every session matching a validated logout token's `sid`/`sub`; returns how many. */
  readonly deleteByLogoutClaims: (claims: LogoutClaims) => Effect.Effect<number, StoreError | BackchannelLogoutError>
  /**
   * The backend a stateful store keeps sessions in: refreshes of its sessions coordinate through
   * it (`RefreshCoordinator`), across every instance sharing it. Absent for cookie sessions.
   */
  readonly backend?: SessionBackendService | undefined
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
    Effect.suspend(() => CookieStateStore.make)
  ).pipe(Layer.provide(SessionCrypto.layer))

  /**
   * Stateful: the session in the given `SessionBackend` (e.g. `RedisSessionBackend.layer(...)`
   * from @auth0-effect/redis), the cookie holding only an encrypted random id. Supports
   * back-channel logout.
   */
  static readonly stateful: Layer.Layer<StateStore, never, Auth0Config | SessionBackend> = Layer.effect(
    StateStore,
    Effect.suspend(() => StatefulStateStore.make)
  ).pipe(Layer.provide(SessionCrypto.layer))

  /** Stateful over `SessionBackend.memory`: sessions in this process only (one instance, dev, tests). */
  static readonly memory: Layer.Layer<StateStore, never, Auth0Config> = StateStore.stateful.pipe(
    Layer.provide(SessionBackend.memory)
  )
}
