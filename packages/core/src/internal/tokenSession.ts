/**
 * A token response that logs a user in (passwordless OTP, and any grant that starts a session
 * without the code flow) turned into a new session, as `completeInteractiveLogin` builds one:
 * the ID token validated (OIDC Core 3.1.3.7), the access token checked against the audience
 * asked for, then the session stored with a fresh id (session fixation).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { Auth0Config } from "../Auth0Config.js"
import * as AccessTokenAudience from "../AccessTokenAudience.js"
import { AuthorizationServer } from "../AuthorizationServer.js"
import { AccessTokenError, InvalidResponseError } from "../Errors.js"
import * as IdToken from "../IdToken.js"
import type { SessionData } from "../Session.js"
import { StateStore } from "../StateStore.js"
import type { TokenResponse } from "../TokenEndpoint.js"
import { userClaims } from "./claims.js"
import * as TokenSets from "../TokenSets.js"

/** The audience key under which a token set without an explicit audience is stored (as Login's). */
const DEFAULT_AUDIENCE = "default"

export interface Requested {
  readonly audience: string | undefined
  readonly scope: string
  /** The nonce sent, when the grant carried one. */
  readonly nonce: string | undefined
  /** Seconds since the epoch, read before the request (expires_in counts from the answer). */
  readonly now: number
}

/** Validates the tokens and stores them as the (rotated) session; returns the ID token's claims. */
export const storeLoginSession = (tokens: TokenResponse, requested: Requested) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const server = yield* AuthorizationServer
    const metadata = yield* server.metadata
    if (tokens.id_token === undefined) {
      return yield* new InvalidResponseError({ status: 200, message: "The token response has no id_token (was openid requested?)" })
    }
    const claims = yield* IdToken.validate(tokens.id_token, server.keyFor, {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: requested.nonce,
      now: requested.now,
      toleranceSeconds: config.options.clockToleranceSeconds,
      advertisedAlgorithms: metadata.id_token_signing_alg_values_supported
    })
    if (requested.audience !== undefined && !AccessTokenAudience.allows(tokens.access_token, requested.audience)) {
      return yield* new AccessTokenError({
        reason: "audience_mismatch",
        message: `The access token issued at login is not for the requested audience "${requested.audience}"`
      })
    }
    const session: SessionData = {
      user: userClaims(claims),
      idToken: tokens.id_token,
      ...(tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : {}),
      tokenSets: [{
        audience: requested.audience ?? DEFAULT_AUDIENCE,
        accessToken: tokens.access_token,
        scope: tokens.scope ?? requested.scope,
        expiresAt: requested.now + (tokens.expires_in ?? 0),
        ...TokenSets.tokenTypeField(tokens.token_type)
      }],
      connectionTokenSets: [],
      internal: {
        ...(typeof claims["sid"] === "string" ? { sid: claims["sid"] } : {}),
        createdAt: requested.now
      }
    }
    yield* (yield* StateStore).set(session, { rotate: true })
    return claims
  })
