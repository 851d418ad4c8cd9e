/**
 * Access tokens for the session's APIs: a stored token when it is fresh and serves the request,
 * otherwise one refresh_token grant with `audience` and `scope` (Auth0 Multi-Resource Refresh
 * Token), shared by concurrent callers and coordinated with every other use of the refresh
 * token (here and, with a shared backend, in other instances): see `RefreshCoordinator`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessTokenAudience from "./AccessTokenAudience.js"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { AccessTokenError } from "./Errors.js"
import * as IdToken from "./IdToken.js"
import * as MfaApi from "./MfaApi.js"
import * as OrganizationRules from "./OrganizationRules.js"
import { userClaims } from "./internal/claims.js"
import { DEFAULT_AUDIENCE } from "./Login.js"
import * as Scopes from "./Scopes.js"
import type { SessionData, TokenSet } from "./Session.js"
import type { Rotation } from "./RefreshCoordinator.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as TokenSets from "./TokenSets.js"
import { requireSession } from "./UserSession.js"
import { type Grant, useRefreshToken } from "./internal/refreshUse.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

export interface GetAccessTokenOptions {
  /** The API; defaults to the configured audience. */
  readonly audience?: string | undefined
  /** Scopes needed, merged with the configured defaults for the audience. */
  readonly scope?: string | undefined
}

export interface AccessToken {
  readonly accessToken: string
  readonly audience: string
  /** The scope the server granted (may be narrower than asked: Auth0 drops scopes outside policy). */
  readonly scope: string
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** `DPoP` for a DPoP-bound token, sent as `Authorization: DPoP` with a proof (RFC 9449 §7.1); else `Bearer`. */
  readonly tokenType: "DPoP" | "Bearer"
}

const toAccessToken = (set: TokenSet): AccessToken => ({
  accessToken: set.accessToken,
  audience: set.audience,
  scope: set.scope,
  expiresAt: set.expiresAt,
  tokenType: set.tokenType ?? "Bearer"
})

/**
 * An access token for `audience` covering `scope`. Fails with {@link MissingSessionError} when
 * logged out and {@link AccessTokenError} when no token can be had (no refresh token, the
 * refresh was refused, the server answered with a token for another audience, or its ID token
 * is about another user), with {@link MfaRequiredError} when the API's policy asks for MFA (the
 * session is unchanged; verify a factor with `Mfa.verify`, then call again), and with
 * `StoreError` when the session store (or the refresh lock) fails. A set the server granted with fewer scopes than asked serves the same request again
 * until it expires (`TokenSets.serves`).
 */
export const getAccessToken = Telemetry.fn(Telemetry.SpanNames.accessTokenGet)(function*(options: GetAccessTokenOptions = {}) {
  const config = yield* Auth0Config
  const session = yield* requireSession
  const audience = options.audience ?? config.audience
  // Only the scope map's entry for this audience: the login defaults are not an API's scopes.
  const scope = Scopes.forAudience(config.scopes, audience, options.scope)
  const key = audience ?? DEFAULT_AUDIENCE
  const leewaySeconds = config.options.tokenRefreshLeewaySeconds
  const pick = (sets: ReadonlyArray<TokenSet>, nowSeconds: number) =>
    TokenSets.select(sets, { audience: key, scope, nowSeconds, leewaySeconds })
  const stored = pick(session.tokenSets, yield* epochSeconds)
  yield* Telemetry.annotate({ [Telemetry.Attributes.audience]: key, [Telemetry.Attributes.scope]: scope })
  yield* Telemetry.cacheLookup("access_token", Option.isSome(stored))
  if (Option.isSome(stored)) return toAccessToken(stored.value)
  const refreshToken = session.refreshToken
  if (refreshToken === undefined) {
    return yield* new AccessTokenError({
      reason: "missing_refresh_token",
      message: `No usable access token for "${key}" and no refresh token to get one (request offline_access at login)`
    })
  }
  // Discovery before the lock, so the lock covers the token request, not a cold discovery.
  yield* (yield* AuthorizationServer).metadata
  const set = yield* useRefreshToken(session, refreshToken, {
    name: `refresh:${key}:${scope}`,
    fromSession: (current, now) => pick(current.tokenSets, now),
    fromRotation: (rotation: Rotation, now) => (rotation.tokenSet ? pick([rotation.tokenSet], now) : Option.none()),
    toRotation: (tokenSet) => ({ tokenSet }),
    send: (token, current) => refresh(token, audience, scope, current),
    store: (current, tokenSet, now) => ({ ...current, tokenSets: TokenSets.upsert(current.tokenSets, tokenSet, now) })
  })
  return toAccessToken(set)
}, Telemetry.flow)

export interface InvalidateAccessTokenOptions {
  /** The API; defaults to the configured audience. */
  readonly audience?: string | undefined
  /** Only this token (the one the API rejected); without it, every stored token for the audience. */
  readonly accessToken?: string | undefined
}

/**
 * Drops stored access tokens for an audience, so that the next `getAccessToken` asks for a fresh
 * one: for after an API answered 401 to a token that had not expired yet (revoked, or the API's
 * clock disagrees). Without a session, or with nothing to drop, it does nothing.
 *
 * @example
 * yield* AccessToken.invalidateAccessToken({ audience: "https://api.example.com", accessToken: rejected })
 */
export const invalidateAccessToken = Telemetry.fn(Telemetry.SpanNames.accessTokenInvalidate)(function*(options: InvalidateAccessTokenOptions = {}) {
  const config = yield* Auth0Config
  const store = yield* StateStore
  const found = yield* store.get
  if (Option.isNone(found)) return
  const key = options.audience ?? config.audience ?? DEFAULT_AUDIENCE
  const kept = found.value.tokenSets.filter((set) =>
    set.audience !== key || (options.accessToken !== undefined && set.accessToken !== options.accessToken)
  )
  if (kept.length === found.value.tokenSets.length) return
  yield* store.set({ ...found.value, tokenSets: kept } satisfies SessionData)
}, Telemetry.flow)

/**
 * Runs `call` with an access token for `options`; when the API rejects it (`isRejected`, e.g. a
 * 401: revoked, or expired early), drops the audience's stored tokens and runs `call` once more
 * with a freshly obtained one. A second rejection is the caller's error.
 *
 * `call` also gets the whole {@link AccessToken} (its `tokenType` says Bearer or DPoP).
 *
 * @example
 * const items = yield* AccessToken.withAccessToken({ audience: API }, fetchItems, (e) => e.status === 401)
 */
export const withAccessToken = <A, E, R>(
  options: GetAccessTokenOptions,
  call: (accessToken: string, token: AccessToken) => Effect.Effect<A, E, R>,
  isRejected: (error: E) => boolean
) =>
  Effect.gen(function*() {
    const first = yield* getAccessToken(options)
    return yield* call(first.accessToken, first).pipe(
      Effect.catchIf(isRejected, () =>
        Effect.gen(function*() {
          yield* invalidateAccessToken({ audience: first.audience })
          const fresh = yield* getAccessToken(options)
          return yield* call(fresh.accessToken, fresh)
        }))
    )
  })

/**
 * One MRRT refresh with `refreshToken` for the session `current`; a refreshed ID token must be
 * about the session's user (OIDC Core §12.2).
 */
const refresh = (refreshToken: string, audience: string | undefined, scope: string, current: SessionData) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const params: Record<string, string> = { grant_type: "refresh_token", refresh_token: refreshToken }
    if (audience) params["audience"] = audience
    if (scope) params["scope"] = scope
    // `expires_in` counts from when the server answered; counting it from before the request
    // keeps the stored expiry at or before the token's real `exp` (never serve a dead token).
    const sentAt = yield* epochSeconds
    const tokens = yield* TokenEndpoint.request(params, "Refresh").pipe(
      // An API whose policy asks for MFA answers mfa_required: a typed MfaRequiredError, session untouched.
      MfaApi.detectMfaRequired({ audience: audience ?? DEFAULT_AUDIENCE, scope }),
      Effect.catchTag("TokenEndpointError", (e) =>
        Effect.fail(
          new AccessTokenError({
            reason: "refresh_failed",
            error: e.error,
            errorDescription: e.errorDescription,
            message: `Refreshing the access token for "${audience ?? DEFAULT_AUDIENCE}" failed: ${e.message}`,
            cause: e
          })
        ))
    )
    if (audience && !AccessTokenAudience.allows(tokens.access_token, audience)) {
      return yield* new AccessTokenError({
        reason: "audience_mismatch",
        message: `The refreshed access token is not for "${audience}" (is the API allowed in the client's refresh token policy?)`
      })
    }
    let claims: IdToken.Claims | undefined
    if (tokens.id_token !== undefined) {
      const server = yield* AuthorizationServer
      const metadata = yield* server.metadata
      claims = yield* IdToken.validate(tokens.id_token, server.keyFor, {
        issuer: config.issuer,
        clientId: config.clientId,
        nonce: undefined,
        now: yield* epochSeconds,
        toleranceSeconds: config.options.clockToleranceSeconds,
        advertisedAlgorithms: metadata.id_token_signing_alg_values_supported
      })
      const mismatch = IdToken.refreshedSubjectMismatch(
        { iss: config.issuer, sub: current.user.sub, auth_time: current.user["auth_time"] },
        claims
      )
      if (mismatch !== undefined) {
        return yield* new AccessTokenError({
          reason: "subject_mismatch",
          message: `The refreshed ID token's ${mismatch} differs from the session's (OIDC Core §12.2); the session is unchanged`
        })
      }
      const organizationProblem = OrganizationRules.refreshProblem(current.organization, claims)
      if (organizationProblem !== undefined) {
        return yield* new AccessTokenError({
          reason: "organization_mismatch",
          message: `Invalid refresh: ${organizationProblem}; the session is unchanged`
        })
      }
    }
    const set = TokenSets.issued({
      audience: audience ?? DEFAULT_AUDIENCE,
      accessToken: tokens.access_token,
      scope: tokens.scope ?? scope,
      expiresAt: sentAt + (tokens.expires_in ?? 0),
      ...TokenSets.tokenTypeField(tokens.token_type)
    }, scope)
    return {
      value: set,
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      user: claims ? userClaims(claims) : undefined
    } satisfies Grant<TokenSet>
  })
