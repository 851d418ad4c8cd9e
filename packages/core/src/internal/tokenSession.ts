/**
 * A token response that logs a user in turned into a new session, in one place for every flow
 * that starts one (the code flow, passwordless OTP, Custom Token Exchange): the ID token
 * validated (OIDC Core 3.1.3.7), the access token checked against the audience asked for, then
 * the session built and stored with a fresh id (session fixation).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { Auth0Config } from "../Auth0Config.js"
import * as AccessTokenAudience from "../AccessTokenAudience.js"
import { AuthorizationServer } from "../AuthorizationServer.js"
import { AccessTokenError, InvalidResponseError } from "../Errors.js"
import * as IdToken from "../IdToken.js"
import * as OrganizationRules from "../OrganizationRules.js"
import type { SessionData } from "../Session.js"
import { StateStore } from "../StateStore.js"
import type { TokenResponse } from "../TokenEndpoint.js"
import { userClaims } from "./claims.js"
import * as TokenSets from "../TokenSets.js"

/** The audience key under which a token set without an explicit audience is stored. */
export const DEFAULT_AUDIENCE = "default"

export interface Requested {
  readonly audience: string | undefined
  readonly scope: string
  /** Seconds since the epoch, read before the request (expires_in counts from the answer). */
  readonly now: number
}

export interface RequestedLogin extends Requested {
  /** The nonce sent, when the grant carried one. */
  readonly nonce: string | undefined
  /** `max_age` asked for: `auth_time` must be recent enough. */
  readonly maxAge?: number | undefined
  /** The organization asked for: the ID token must name it. */
  readonly organization?: string | undefined
}

/** `AccessTokenError(audience_mismatch)` when the login's access token is not for the audience asked. */
export const checkAudience = (accessToken: string, audience: string | undefined, issuedBy: string) =>
  audience !== undefined && !AccessTokenAudience.allows(accessToken, audience)
    ? Effect.fail(
      new AccessTokenError({
        reason: "audience_mismatch",
        message: `The access token ${issuedBy} is not for the requested audience "${audience}"`
      })
    )
    : Effect.void

/** The new session of validated login tokens: claims, tokens, the organization, the `sid`. */
export const newSession = (tokens: TokenResponse & { readonly id_token: string }, claims: IdToken.Claims, requested: Requested): SessionData => {
  const organization = OrganizationRules.fromClaims(claims)
  return {
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
    ...(organization !== undefined ? { organization } : {}),
    internal: {
      ...(typeof claims["sid"] === "string" ? { sid: claims["sid"] } : {}),
      createdAt: requested.now
    }
  }
}

/** Validates the tokens and stores them as the (rotated) session; returns the ID token's claims. */
export const storeLoginSession = (tokens: TokenResponse, requested: RequestedLogin) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const server = yield* AuthorizationServer
    const metadata = yield* server.metadata
    const idToken = tokens.id_token
    if (idToken === undefined) {
      return yield* new InvalidResponseError({ status: 200, message: "The token response has no id_token (was openid requested?)" })
    }
    const claims = yield* IdToken.validate(idToken, server.keyFor, {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: requested.nonce,
      now: requested.now,
      toleranceSeconds: config.options.clockToleranceSeconds,
      maxAge: requested.maxAge,
      advertisedAlgorithms: metadata.id_token_signing_alg_values_supported,
      organization: requested.organization
    })
    yield* checkAudience(tokens.access_token, requested.audience, "issued at login")
    yield* (yield* StateStore).set(newSession({ ...tokens, id_token: idToken }, claims, requested), { rotate: true })
    return claims
  })
