/**
 * Access tokens for the session's APIs: a stored token when it is fresh and covers the request,
 * otherwise one refresh_token grant with `audience` and `scope` (Auth0 Multi-Resource Refresh
 * Token), shared by concurrent callers.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessTokenAudience from "./AccessTokenAudience.js"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { AccessTokenError } from "./Errors.js"
import * as IdToken from "./IdToken.js"
import { userClaims } from "./internal/claims.js"
import { DEFAULT_AUDIENCE } from "./Login.js"
import { RequestCoalescer } from "./RequestCoalescer.js"
import * as Scopes from "./Scopes.js"
import type { SessionData, TokenSet } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as TokenSets from "./TokenSets.js"
import { requireSession } from "./UserSession.js"
import { sha256Base64Url } from "./internal/digest.js"
import { epochSeconds } from "./internal/time.js"

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
}

const toAccessToken = (set: TokenSet): AccessToken => ({
  accessToken: set.accessToken,
  audience: set.audience,
  scope: set.scope,
  expiresAt: set.expiresAt
})

/**
 * An access token for `audience` covering `scope`. Fails with {@link MissingSessionError} when
 * logged out and {@link AccessTokenError} when no token can be had (no refresh token, the
 * refresh was refused, or the server answered with a token for another audience).
 */
export const getAccessToken = Effect.fn("getAccessToken")(function*(options: GetAccessTokenOptions = {}) {
  const config = yield* Auth0Config
  const session = yield* requireSession
  const audience = options.audience ?? config.audience
  // Only the scope map's entry for this audience: the login defaults are not an API's scopes.
  const scope = Scopes.forAudience(config.scopes, audience, options.scope)
  const key = audience ?? DEFAULT_AUDIENCE
  const nowSeconds = yield* epochSeconds
  const stored = TokenSets.select(session.tokenSets, {
    audience: key,
    scope,
    nowSeconds,
    leewaySeconds: config.options.tokenRefreshLeewaySeconds
  })
  if (Option.isSome(stored)) return toAccessToken(stored.value)
  const refreshToken = session.refreshToken
  if (refreshToken === undefined) {
    return yield* new AccessTokenError({
      reason: "missing_refresh_token",
      message: `No usable access token for "${key}" and no refresh token to get one (request offline_access at login)`
    })
  }
  const refreshed = yield* refresh(refreshToken, audience, scope)
  const now = yield* epochSeconds
  const set: TokenSet = {
    audience: key,
    accessToken: refreshed.tokens.access_token,
    scope: refreshed.tokens.scope ?? scope,
    expiresAt: now + (refreshed.tokens.expires_in ?? 0)
  }
  // Re-read: a concurrent flow may have changed the session while we waited.
  const latest = Option.getOrElse(yield* (yield* StateStore).get, () => session)
  const updated: SessionData = {
    ...latest,
    user: refreshed.claims ? { ...latest.user, ...userClaims(refreshed.claims) } : latest.user,
    idToken: refreshed.tokens.id_token ?? latest.idToken,
    refreshToken: refreshed.tokens.refresh_token ?? latest.refreshToken,
    tokenSets: TokenSets.upsert(latest.tokenSets, set, now)
  }
  yield* (yield* StateStore).set(updated)
  return toAccessToken(set)
})

/** One MRRT refresh, shared by every concurrent caller with the same refresh token, audience and scope. */
const refresh = (refreshToken: string, audience: string | undefined, scope: string) =>
  Effect.gen(function*() {
    const coalescer = yield* RequestCoalescer
    const context = yield* Effect.context<Auth0Config | AuthorizationServer | HttpClient.HttpClient>()
    const key = `refresh:${yield* sha256Base64Url(refreshToken)}:${audience ?? ""}:${scope}`
    const run = Effect.gen(function*() {
      const config = yield* Auth0Config
      const params: Record<string, string> = { grant_type: "refresh_token", refresh_token: refreshToken }
      if (audience) params["audience"] = audience
      if (scope) params["scope"] = scope
      const tokens = yield* TokenEndpoint.request(params, "Refresh").pipe(
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
      }
      return { tokens, claims }
    }).pipe(Effect.provide(context))
    return yield* coalescer.run(key, run)
  })
