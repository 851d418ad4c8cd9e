/**
 * Logout: ends the local session and returns where to send the browser so the tenant ends
 * its session too (OIDC RP-Initiated Logout 1.0, or Auth0's /v2/logout), even when the session
 * store is down.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { InvalidArgumentError, type StoreError } from "./Errors.js"
import * as Revocation from "./Revocation.js"
import { StateStore } from "./StateStore.js"
import * as Telemetry from "./Telemetry.js"

/** Why revoking the session's refresh token at logout failed (the logout went ahead). */
export type RevocationFailure = Effect.Effect.Error<ReturnType<typeof Revocation.revoke>>

export interface LogoutOptions {
  /** Absolute http(s) URL the tenant redirects to afterwards; must be allowed in the dashboard. */
  readonly returnTo?: string | undefined
  /**
   * Called by {@link logout} when the session store failed (e.g. Redis down): the cookie was
   * cleared and the logout URL is still returned, but the server-side entry may live on until it
   * expires. Use it to alert or retry; it is logged as a warning either way. Not a place to throw.
   */
  readonly onStoreError?: ((error: StoreError) => void) | undefined
  /**
   * Revoke the session's refresh token at the tenant (`/oauth/revoke`) before ending the session,
   * so a copy of it (a stolen cookie, a backup of the store) is worthless. Default `false`. A
   * failed revocation does not stop the logout: it is logged as a warning and passed to
   * `onRevocationError`.
   */
  readonly revokeRefreshToken?: boolean | undefined
  /** Called by {@link logout} when `revokeRefreshToken` was asked and the revocation failed. Not a place to throw. */
  readonly onRevocationError?: ((error: RevocationFailure) => void) | undefined
}

/** What {@link logoutWithOutcome} did: where to send the browser, and whether the store failed. */
export interface LogoutOutcome {
  /** The tenant's logout URL, returned whether or not the store failed. */
  readonly url: URL
  /**
   * The store's first failure (reading the session for `id_token_hint`, or deleting it), or
   * `undefined`. The session cookie was cleared regardless; with a stateful store the entry it
   * named may survive until its TTL, so a copy of the old cookie still reads as that session.
   */
  readonly storeError: StoreError | undefined
  /**
   * With `revokeRefreshToken`, the revocation's failure (the tenant refused or was unreachable),
   * or `undefined` (revoked, nothing to revoke, or not asked). The session ended regardless.
   */
  readonly revocationError?: RevocationFailure | undefined
}

const checkReturnTo = (returnTo: string | undefined) =>
  Effect.suspend(() => {
    if (returnTo === undefined) return Effect.void
    let url: URL
    try {
      url = new URL(returnTo)
    } catch {
      return Effect.fail(new InvalidArgumentError({ argument: "returnTo", message: "returnTo must be an absolute URL" }))
    }
    return url.protocol === "https:" || url.protocol === "http:"
      ? Effect.void
      : Effect.fail(new InvalidArgumentError({ argument: "returnTo", message: "returnTo must be an http(s) URL" }))
  })

/**
 * Ends the local session and builds the tenant's logout URL: the discovery document's
 * end_session_endpoint with id_token_hint, client_id and post_logout_redirect_uri, or
 * `/v2/logout` with client_id and returnTo when the tenant has none (or discovery is down).
 *
 * A store failure does not stop the logout (OWASP Session Management: the session must end on
 * logout): the cookie is cleared (`StateStore.delete` clears it before calling the backend) and
 * the URL is built, so the browser leaves logged out and the tenant session ends too; the
 * failure is returned in {@link LogoutOutcome.storeError}. Without the session, the URL has no
 * `id_token_hint`.
 */
export const logoutWithOutcome = Telemetry.fn(Telemetry.SpanNames.logoutOutcome)(function*(options: LogoutOptions = {}) {
  const config = yield* Auth0Config
  yield* checkReturnTo(options.returnTo)
  const store = yield* StateStore
  const read = yield* Effect.either(store.get)
  const session = Either.isRight(read) ? Option.getOrUndefined(read.right) : undefined
  // Before the session ends: revoked first, so a failure cannot leave a live token nobody holds.
  const revoked = options.revokeRefreshToken === true && session?.refreshToken !== undefined
    ? yield* Effect.either(Revocation.revoke(session.refreshToken))
    : undefined
  const revocationError = revoked !== undefined && Either.isLeft(revoked) ? revoked.left : undefined
  const deleted = yield* Effect.either(store.delete)
  const storeError = Either.isLeft(read) ? read.left : Either.isLeft(deleted) ? deleted.left : undefined
  const outcome = (url: URL): LogoutOutcome => ({ url, storeError, ...(revocationError ? { revocationError } : {}) })
  const metadata = yield* Effect.option((yield* AuthorizationServer).metadata)
  const endSession = Option.flatMap(metadata, (m) => Option.fromNullable(m.end_session_endpoint))
  if (Option.isSome(endSession)) {
    const url = new URL(endSession.value)
    url.searchParams.set("client_id", config.clientId)
    if (session?.idToken) url.searchParams.set("id_token_hint", session.idToken)
    if (options.returnTo) url.searchParams.set("post_logout_redirect_uri", options.returnTo)
    return outcome(url)
  }
  const url = new URL(`${config.origin}/v2/logout`)
  url.searchParams.set("client_id", config.clientId)
  if (options.returnTo) url.searchParams.set("returnTo", options.returnTo)
  return outcome(url)
}, Telemetry.flow)

/**
 * {@link logoutWithOutcome}, resolving with the URL only. A store failure is logged as a warning
 * (its reason and message; never the cookie or the session id) and passed to
 * `options.onStoreError`, so it is seen without failing the logout.
 */
export const logout = Telemetry.fn(Telemetry.SpanNames.logout)(function*(options: LogoutOptions = {}) {
  const { storeError, revocationError, url } = yield* logoutWithOutcome(options)
  if (revocationError !== undefined) {
    yield* Effect.logWarning(
      `Logout: revoking the refresh token failed (${revocationError._tag}: ${revocationError.message}); the session ` +
        "was ended anyway, but the refresh token may stay valid at the tenant until it expires"
    )
    const report = options.onRevocationError
    if (report !== undefined) {
      yield* Effect.try(() => report(revocationError)).pipe(
        Effect.catchAll(() => Effect.logError("Logout: onRevocationError threw; the logout went ahead"))
      )
    }
  }
  if (storeError !== undefined) {
    yield* Effect.logWarning(
      `Logout: the session store failed (${storeError.reason}: ${storeError.message}); the session cookie was ` +
        "cleared and the tenant logout URL returned, but the server-side session may live until it expires"
    )
    const report = options.onStoreError
    if (report !== undefined) {
      yield* Effect.try(() => report(storeError)).pipe(
        Effect.catchAll(() => Effect.logError("Logout: onStoreError threw; the logout went ahead"))
      )
    }
  }
  return url
}, Telemetry.flow)
