/**
 * Refresh token revocation (RFC 7009) at the tenant's `revocation_endpoint` (Auth0:
 * `/oauth/revoke`), with the client authentication the token endpoint uses.
 *
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { InvalidArgumentError, MissingRequiredArgumentError, MissingSessionError } from "./Errors.js"
import * as Http from "./internal/http.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as Telemetry from "./Telemetry.js"

export interface RevokeRefreshTokenOptions {
  /** The refresh token to revoke; default the session's. */
  readonly token?: string | undefined
}

/**
 * Where to revoke: discovery's `revocation_endpoint` (checked like every tenant URL: https on a
 * trusted origin), or Auth0's `/oauth/revoke` on the tenant's origin when the document has none.
 */
const revocationEndpoint = Effect.gen(function*() {
  const config = yield* Auth0Config
  const metadata = yield* (yield* AuthorizationServer).metadata
  return metadata.revocation_endpoint ?? `${config.origin}/oauth/revoke`
})

/**
 * Revokes one refresh token (RFC 7009 §2.1: `token` and `token_type_hint=refresh_token`, client
 * authenticated as at the token endpoint). Success is any 2xx (Auth0 answers an empty 200, also
 * for a token it does not know, RFC 7009 §2.2); an OAuth error answer is a `TokenEndpointError`.
 * Sent once, never retried; the token never appears in an error.
 */
export const revoke = Telemetry.fn(Telemetry.SpanNames.revoke)(function*(token: string) {
  const config = yield* Auth0Config
  const url = yield* revocationEndpoint
  const { form, headers } = yield* TokenEndpoint.authenticate(config, { token, token_type_hint: "refresh_token" })
  const request = HttpClientRequest.post(url, { headers, acceptJson: true }).pipe(HttpClientRequest.bodyUrlParams(form))
  const response = yield* Http.send(request, config.options.httpTimeoutMs)
  if (response.status < 200 || response.status >= 300) {
    return yield* TokenEndpoint.toTokenEndpointError(response, "Token revocation")
  }
}, Telemetry.flow)

/**
 * Revokes a refresh token: `options.token`, or the session's. When the revoked token is the
 * session's, it is removed from the session (which stays logged in with the access tokens it
 * holds, until they expire; a later `getAccessToken` that needs a refresh fails with
 * `missing_refresh_token`). A failed revocation leaves the session as it was.
 */
export const revokeRefreshToken = Telemetry.fn(Telemetry.SpanNames.revokeRefreshToken)(function*(options: RevokeRefreshTokenOptions = {}) {
  if (options.token !== undefined && options.token.length === 0) {
    return yield* new InvalidArgumentError({ argument: "token", message: "token must be a non-empty refresh token" })
  }
  const store = yield* StateStore
  const session = Option.getOrUndefined(yield* store.get)
  const token = options.token ?? session?.refreshToken
  if (token === undefined) {
    if (session === undefined) {
      return yield* new MissingSessionError({ message: "No refresh token to revoke: not logged in, and no token given" })
    }
    return yield* new MissingRequiredArgumentError({
      argument: "token",
      message: "The session has no refresh token to revoke (was offline_access requested?), and no token was given"
    })
  }
  yield* revoke(token)
  if (session !== undefined && session.refreshToken === token) {
    const { refreshToken: _revoked, ...rest } = session
    yield* store.set(rest)
  }
}, Telemetry.flow)
