/**
 * Token Vault: a third-party provider's access token (Google, GitHub, ...) for the logged-in
 * user, exchanged for the session's refresh token at Auth0's token endpoint, cached in the
 * session until it expires, shared by concurrent callers, and coordinated with every other use of
 * the refresh token (a rotating refresh must never race an exchange): see `RefreshCoordinator`.
 *
 * @see https://auth0.com/docs/secure/tokens/token-vault/access-token-exchange-with-token-vault
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import * as Rules from "./ConnectedAccountsRules.js"
import { AccessTokenForConnectionError } from "./Errors.js"
import type { ConnectionTokenSet, SessionData } from "./Session.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as TokenSets from "./TokenSets.js"
import { requireSession } from "./UserSession.js"
import { useRefreshToken } from "./internal/refreshUse.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

/** The token-exchange grant of Token Vault. */
export const GRANT_TYPE = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
/** `subject_token_type`: the subject is the session's refresh token. */
export const SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"
/** `requested_token_type`: a provider access token from the vault. */
export const REQUESTED_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"

export interface GetAccessTokenForConnectionOptions {
  /** The connection whose provider token is wanted, e.g. `google-oauth2`. */
  readonly connection: string
  /** Which of the user's accounts on that connection, when there are several. */
  readonly loginHint?: string | undefined
}

export interface ConnectionAccessToken {
  readonly accessToken: string
  readonly connection: string
  /** Space-separated scopes the provider granted. */
  readonly scope: string
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** `DPoP` when Auth0 bound the token to the DPoP key (RFC 9449 §5), else `Bearer`. */
  readonly tokenType: "DPoP" | "Bearer"
}

const toResult = (set: ConnectionTokenSet): ConnectionAccessToken => ({
  accessToken: set.accessToken,
  connection: set.connection,
  scope: set.scope,
  expiresAt: set.expiresAt,
  tokenType: set.tokenType ?? "Bearer"
})

const sameTarget = (set: ConnectionTokenSet, connection: string, loginHint: string | undefined) =>
  set.connection === connection && set.loginHint === loginHint

/**
 * A provider access token for `connection` from Token Vault. A cached token is returned while it
 * is fresh (with `tokenRefreshLeewaySeconds`); otherwise one exchange, shared by concurrent
 * callers, whose result is cached in the session per connection and login hint. Its lifetime is
 * the response's `expires_in`; without one, the token is returned but not cached.
 *
 * Without a session this fails with {@link MissingSessionError} (as `getAccessToken` does); a
 * session without a refresh token fails with {@link AccessTokenForConnectionError} whose
 * `error` is `missing_refresh_token`, since the exchange needs one.
 *
 * @throws InvalidArgumentError `connection` is empty or too long; no request is made
 * @throws MissingSessionError the user is not logged in
 * @throws AccessTokenForConnectionError no refresh token, or Auth0 refused (its `error` and `errorDescription`,
 *   e.g. `federated_connection_refresh_token_not_found` when the account is not connected)
 * @example
 * const { accessToken } = yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
 */
export const getAccessTokenForConnection = Telemetry.fn(Telemetry.SpanNames.tokenVaultGet)(function*(
  options: GetAccessTokenForConnectionOptions
) {
  const config = yield* Auth0Config
  const connection = yield* Rules.connection(options.connection)
  const loginHint = options.loginHint === "" ? undefined : options.loginHint
  const session = yield* requireSession
  const nowSeconds = yield* epochSeconds
  const leeway = config.options.tokenRefreshLeewaySeconds
  const cachedIn = (sets: ReadonlyArray<ConnectionTokenSet>, now: number) =>
    Option.fromNullable(sets.find((set) => sameTarget(set, connection, loginHint) && TokenSets.isFresh(set, now, leeway)))
  const cached = cachedIn(session.connectionTokenSets, nowSeconds)
  yield* Telemetry.annotate({ [Telemetry.Attributes.connection]: connection })
  yield* Telemetry.cacheLookup("connection", Option.isSome(cached))
  if (Option.isSome(cached)) return toResult(cached.value)

  const refreshToken = session.refreshToken
  if (refreshToken === undefined) {
    return yield* new AccessTokenForConnectionError({
      connection,
      error: "missing_refresh_token",
      errorDescription: undefined,
      message: `No refresh token in the session to exchange for a "${connection}" token (request offline_access at login)`
    })
  }
  yield* (yield* AuthorizationServer).metadata
  const set = yield* useRefreshToken(session, refreshToken, {
    name: `vault:${connection}:${loginHint ?? ""}`,
    fromSession: (current, now) => cachedIn(current.connectionTokenSets, now),
    fromRotation: (rotation, now) =>
      rotation.connectionTokenSet ? cachedIn([rotation.connectionTokenSet], now) : Option.none(),
    toRotation: (connectionTokenSet) => ({ connectionTokenSet }),
    send: (token) =>
      Effect.gen(function*() {
        // Counted from before the request, so the cached expiry never passes the token's real one.
        const now = yield* epochSeconds
        const tokens = yield* exchange(token, connection, loginHint)
        const value: ConnectionTokenSet = {
          connection,
          ...(loginHint !== undefined ? { loginHint } : {}),
          accessToken: tokens.access_token,
          scope: tokens.scope ?? "",
          expiresAt: now + (tokens.expires_in ?? 0),
          ...TokenSets.tokenTypeField(tokens.token_type)
        }
        return { value, refreshToken: tokens.refresh_token }
      }),
    // Without a lifetime the token is returned but not cached.
    store: (current, value, now): SessionData =>
      value.expiresAt <= now ? current : {
        ...current,
        connectionTokenSets: [
          ...current.connectionTokenSets.filter((s) => s.expiresAt > now && !sameTarget(s, connection, loginHint)),
          value
        ]
      }
  })
  return toResult(set)
}, Telemetry.flow)

/** One Token Vault exchange of `refreshToken`. */
const exchange = (refreshToken: string, connection: string, loginHint: string | undefined) =>
  Effect.gen(function*() {
    const params: Record<string, string> = {
      grant_type: GRANT_TYPE,
      subject_token_type: SUBJECT_TOKEN_TYPE,
      subject_token: refreshToken,
      requested_token_type: REQUESTED_TOKEN_TYPE,
      connection
    }
    if (loginHint !== undefined) params["login_hint"] = loginHint
    return yield* TokenEndpoint.request(params, "Token Vault exchange").pipe(
      Effect.catchTag("TokenEndpointError", (e) =>
        Effect.fail(
          new AccessTokenForConnectionError({
            connection,
            error: e.error,
            errorDescription: e.errorDescription,
            message: `Getting an access token for "${connection}" from Token Vault failed: ${e.message}`,
            cause: e
          })
        ))
    )
  })
