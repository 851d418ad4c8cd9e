/**
 * Auth0's Custom Token Exchange (RFC 8693): trade a token the app already trusts (a legacy
 * system's token, an upstream IdP's token) for Auth0 tokens. The tenant's Action validates the
 * subject token and picks the user. {@link customTokenExchange} returns the tokens and leaves the
 * session alone; {@link loginWithCustomTokenExchange} stores them as the session, like a login.
 *
 * @see https://auth0.com/docs/authenticate/custom-token-exchange
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { InvalidArgumentError, InvalidResponseError, MissingRequiredArgumentError } from "./Errors.js"
import * as IdToken from "./IdToken.js"
import { checkAudience, newSession } from "./internal/tokenSession.js"
import * as Scopes from "./Scopes.js"
import type { UserClaims } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as Rules from "./TokenExchangeRules.js"
import { configuredScope, userClaims } from "./internal/claims.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

export interface CustomTokenExchangeOptions {
  /** The token to exchange; the tenant's Custom Token Exchange Action validates it. */
  readonly subjectToken: string
  /** Its type: a URI in your own namespace naming the exchange profile (`urn:acme:legacy-token`). */
  readonly subjectTokenType: string
  /** The API the access token is for. Default: the configured `audience`. */
  readonly audience?: string | undefined
  readonly scope?: string | undefined
  /** Who acts on the subject's behalf (RFC 8693 §2.1 delegation), with its type URI. */
  readonly actorToken?: string | undefined
  readonly actorTokenType?: string | undefined
  /** An organization id (`org_...`) or name to exchange into. */
  readonly organization?: string | undefined
}

export interface TokenExchangeResult {
  readonly accessToken: string
  /** Present when `openid` was asked for; validated. */
  readonly idToken: string | undefined
  readonly refreshToken: string | undefined
  readonly scope: string | undefined
  readonly tokenType: string | undefined
  readonly issuedTokenType: string | undefined
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** The ID token's user claims, when there is one. */
  readonly claims: UserClaims | undefined
}

const missing = (argument: string, message: string) => new MissingRequiredArgumentError({ argument, message })
const invalid = (argument: string, message: string) => new InvalidArgumentError({ argument, message })

/** Checks every option before anything is sent. */
const checkOptions = (options: CustomTokenExchangeOptions) =>
  Effect.gen(function*() {
    if (typeof options !== "object" || options === null) return yield* missing("options", "customTokenExchange needs options")
    if (typeof options.subjectToken !== "string" || options.subjectToken === "") {
      return yield* missing("subjectToken", "subjectToken is required")
    }
    if (typeof options.subjectTokenType !== "string" || options.subjectTokenType === "") {
      return yield* missing("subjectTokenType", "subjectTokenType is required (a URI in your namespace, e.g. urn:yourcompany:token-type)")
    }
    const typeProblem = Rules.tokenTypeProblem(options.subjectTokenType)
    if (typeProblem !== undefined) return yield* invalid("subjectTokenType", typeProblem)
    for (const name of ["audience", "scope", "organization", "actorToken", "actorTokenType"] as const) {
      const value = options[name]
      if (value !== undefined && (typeof value !== "string" || value === "")) {
        return yield* invalid(name, `${name} must be a non-empty string`)
      }
    }
    if (options.actorToken !== undefined && options.actorTokenType === undefined) {
      return yield* missing("actorTokenType", "actorTokenType is required with actorToken (RFC 8693 §2.1)")
    }
    if (options.actorTokenType !== undefined) {
      if (options.actorToken === undefined) {
        return yield* missing("actorToken", "actorTokenType was given without actorToken (RFC 8693 §2.1)")
      }
      const problem = Rules.actorTokenTypeProblem(options.actorTokenType)
      if (problem !== undefined) return yield* invalid("actorTokenType", problem)
    }
  })

/** The exchange itself: one token request, the ID token (if any) validated. */
const exchange = (options: CustomTokenExchangeOptions, scope: string | undefined, audience: string | undefined) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const params: Record<string, string> = {
      grant_type: Rules.GRANT_TYPE,
      subject_token: options.subjectToken,
      subject_token_type: options.subjectTokenType
    }
    if (audience) params["audience"] = audience
    if (scope) params["scope"] = scope
    if (options.organization !== undefined) params["organization"] = options.organization
    if (options.actorToken !== undefined) params["actor_token"] = options.actorToken
    if (options.actorTokenType !== undefined) params["actor_token_type"] = options.actorTokenType
    const now = yield* epochSeconds
    const tokens = yield* TokenEndpoint.request(params, "Custom token exchange")
    let claims: IdToken.Claims | undefined
    if (tokens.id_token !== undefined) {
      const server = yield* AuthorizationServer
      const metadata = yield* server.metadata
      claims = yield* IdToken.validate(tokens.id_token, server.keyFor, {
        issuer: config.issuer,
        clientId: config.clientId,
        nonce: undefined,
        now,
        toleranceSeconds: config.options.clockToleranceSeconds,
        advertisedAlgorithms: metadata.id_token_signing_alg_values_supported
      })
    }
    return { tokens, claims, now }
  })

/** Exchanges a token for Auth0 tokens and returns them; the session is not read or written. */
export const customTokenExchange = Telemetry.fn(Telemetry.SpanNames.tokenExchange)(function*(options: CustomTokenExchangeOptions) {
  yield* checkOptions(options)
  const config = yield* Auth0Config
  const { tokens, claims, now } = yield* exchange(options, options.scope, options.audience ?? config.audience)
  const result: TokenExchangeResult = {
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    refreshToken: tokens.refresh_token,
    scope: tokens.scope,
    tokenType: tokens.token_type,
    issuedTokenType: tokens.issued_token_type,
    expiresAt: now + (tokens.expires_in ?? 0),
    claims: claims === undefined ? undefined : userClaims(claims)
  }
  return result
}, Telemetry.flow)

/**
 * Exchanges a token and stores the result as the session, as a login does: `openid` is always
 * asked for, the ID token is required and validated, and the access token must be for the
 * audience asked. An existing session is replaced only when everything succeeded.
 */
export const loginWithCustomTokenExchange = Telemetry.fn(Telemetry.SpanNames.tokenExchangeLogin)(function*(
  options: CustomTokenExchangeOptions
) {
  yield* checkOptions(options)
  const config = yield* Auth0Config
  const audience = options.audience ?? config.audience
  const scope = Scopes.forLogin(options.scope ?? configuredScope(config, audience))
  const { tokens, claims, now } = yield* exchange(options, scope, audience)
  if (tokens.id_token === undefined || claims === undefined) {
    return yield* new InvalidResponseError({ status: 200, message: "The token exchange response has no id_token" })
  }
  yield* checkAudience(tokens.access_token, audience, "from the exchange")
  const session = newSession({ ...tokens, id_token: tokens.id_token }, claims, { audience, scope, now })
  yield* (yield* StateStore).set(session, { rotate: true })
  const user = session.user
  return { user }
}, Telemetry.flow)
