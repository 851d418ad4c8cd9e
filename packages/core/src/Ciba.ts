/**
 * Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0, poll mode): an app with no
 * browser (an AI agent, a job) asks Auth0 to have a user approve something on their phone, then
 * polls the token endpoint until they did. No cookie session is involved: the tokens are returned.
 *
 * One call does it all ({@link loginBackchannel}); job queues split it in two:
 * {@link initiateBackchannelAuthentication} now, {@link backchannelAuthenticationGrant} (one poll)
 * or {@link awaitBackchannelAuthentication} (until done) later, with the `authReqId`.
 *
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-initiated-backchannel-authentication-flow
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import * as Rules from "./CibaRules.js"
import {
  BackchannelAuthenticationError,
  DiscoveryError,
  IdTokenValidationError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError
} from "./Errors.js"
import * as IdToken from "./IdToken.js"
import * as Scopes from "./Scopes.js"
import type { UserClaims } from "./Session.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import { configuredScope, userClaims } from "./internal/claims.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

export interface LoginBackchannelOptions {
  /** The user to ask: their Auth0 user id (`sub`), sent as Auth0's `iss_sub` login hint. */
  readonly loginHint: { readonly sub: string }
  /** Shown on the user's device and yours, so they know which request they approve (Auth0 requires it). */
  readonly bindingMessage: string
  /** Scopes to ask for; `openid` is always added. Default: the configured login scope. */
  readonly scope?: string | undefined
  /** The API the access token is for. Default: the configured `audience`. */
  readonly audience?: string | undefined
  /** How long the user has to answer, in seconds (the tenant caps it). */
  readonly requestedExpiry?: number | undefined
  /** Rich Authorization Requests (RFC 9396): what exactly the user approves, shown on their device. */
  readonly authorizationDetails?: ReadonlyArray<Rules.AuthorizationDetail> | undefined
}

/** A started backchannel request, as a job queue stores it. */
export interface BackchannelAuthenticationRequest {
  readonly authReqId: string
  /** Seconds the request lives (from the answer). */
  readonly expiresIn: number
  /** Seconds to wait between polls. */
  readonly interval: number
  /** When the request expires, in seconds since the epoch (counted from before the request). */
  readonly expiresAt: number
}

export interface BackchannelTokens {
  readonly accessToken: string
  /** The validated ID token of the user who approved. */
  readonly idToken: string
  readonly refreshToken: string | undefined
  readonly scope: string | undefined
  readonly tokenType: string | undefined
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** The ID token's user claims. */
  readonly claims: UserClaims
  /** What the user approved (RFC 9396), when the request carried `authorizationDetails`. */
  readonly authorizationDetails: ReadonlyArray<Rules.AuthorizationDetail> | undefined
}

export interface BackchannelAuthenticationGrantOptions {
  readonly authReqId: string
  /** The interval in use (default 5); the answer's `interval` is it, +5 after `slow_down`. */
  readonly interval?: number | undefined
}

/** One poll's answer: still waiting (poll again after `interval` seconds), or done. */
export type BackchannelPollResult =
  | { readonly status: "pending"; readonly interval: number }
  | { readonly status: "complete"; readonly tokens: BackchannelTokens }

export interface AwaitBackchannelAuthenticationOptions {
  readonly authReqId: string
  readonly interval: number
  /** Seconds since the epoch; polling stops there with a `BackchannelAuthenticationError` ("expired"). */
  readonly expiresAt: number
}

const StartResponse = Schema.Struct({
  auth_req_id: Schema.NonEmptyString,
  expires_in: Schema.Number.pipe(Schema.positive()),
  interval: Schema.optional(Schema.Unknown)
})

const missing = (argument: string, message: string) => new MissingRequiredArgumentError({ argument, message })
const invalid = (argument: string, message: string) => new InvalidArgumentError({ argument, message })

/** Checks every option before anything is sent. */
const checkOptions = (options: LoginBackchannelOptions) =>
  Effect.gen(function*() {
    if (typeof options !== "object" || options === null) return yield* missing("options", "loginBackchannel needs options")
    const sub = (options.loginHint as { sub?: unknown } | undefined)?.sub
    if (typeof sub !== "string" || sub.trim() === "") {
      return yield* missing("loginHint.sub", "loginHint.sub (the user id to ask) is required")
    }
    if (typeof options.bindingMessage !== "string" || options.bindingMessage === "") {
      return yield* missing("bindingMessage", "bindingMessage is required: it is shown to the user on their device")
    }
    const bindingProblem = Rules.bindingMessageProblem(options.bindingMessage)
    if (bindingProblem !== undefined) return yield* invalid("bindingMessage", bindingProblem)
    if (options.scope !== undefined && typeof options.scope !== "string") return yield* invalid("scope", "scope must be a string")
    if (options.audience !== undefined && (typeof options.audience !== "string" || options.audience === "")) {
      return yield* invalid("audience", "audience must be a non-empty string")
    }
    if (options.requestedExpiry !== undefined) {
      const problem = Rules.requestedExpiryProblem(options.requestedExpiry)
      if (problem !== undefined) return yield* invalid("requestedExpiry", problem)
    }
    if (options.authorizationDetails !== undefined) {
      const problem = Rules.authorizationDetailsProblem(options.authorizationDetails)
      if (problem !== undefined) return yield* invalid("authorizationDetails", problem)
    }
    return sub
  })

/**
 * Starts a backchannel request at the tenant's `backchannel_authentication_endpoint` (from
 * discovery): Auth0 asks the user on their device. Resolves with what a later poll needs.
 */
export const initiateBackchannelAuthentication = Telemetry.fn(Telemetry.SpanNames.cibaStart)(function*(
  options: LoginBackchannelOptions
) {
  const sub = yield* checkOptions(options)
  const config = yield* Auth0Config
  const metadata = yield* (yield* AuthorizationServer).metadata
  const endpoint = metadata.backchannel_authentication_endpoint
  if (endpoint === undefined) {
    return yield* new DiscoveryError({
      reason: "invalid",
      field: "backchannel_authentication_endpoint",
      message: "The tenant's discovery document has no backchannel_authentication_endpoint: enable CIBA for the application"
    })
  }
  const audience = options.audience ?? config.audience
  const params: Record<string, string> = {
    scope: Scopes.forLogin(options.scope ?? configuredScope(config, audience)),
    binding_message: options.bindingMessage,
    login_hint: Rules.loginHint(config.issuer, sub)
  }
  if (audience) params["audience"] = audience
  if (options.requestedExpiry !== undefined) params["requested_expiry"] = String(options.requestedExpiry)
  if (options.authorizationDetails !== undefined) params["authorization_details"] = JSON.stringify(options.authorizationDetails)

  const startedAt = yield* Clock.currentTimeMillis
  const body = yield* TokenEndpoint.postAuthenticated(endpoint, params, "Backchannel authentication request")
  const started = yield* Schema.decodeUnknown(StartResponse)(body).pipe(
    Effect.mapError(() =>
      new InvalidResponseError({ status: 200, message: "The backchannel authentication endpoint answered without auth_req_id and expires_in" })
    )
  )
  const request: BackchannelAuthenticationRequest = {
    authReqId: started.auth_req_id,
    expiresIn: started.expires_in,
    interval: Rules.initialInterval(started.interval),
    expiresAt: Math.floor(Rules.deadline(startedAt, started.expires_in) / 1000)
  }
  return request
}, Telemetry.flow)

/** A poll before its tokens are read: waiting, or the raw success. */
type Step =
  | { readonly status: "pending" | "slow_down" }
  | { readonly status: "complete"; readonly response: TokenEndpoint.TokenResponse; readonly sentAt: number }

/** One poll of the CIBA grant; `access_denied` and `expired_token` end as {@link BackchannelAuthenticationError}. */
const poll = (authReqId: string) =>
  Effect.gen(function*() {
    const sentAt = yield* epochSeconds
    const response = yield* TokenEndpoint.request({ grant_type: Rules.GRANT_TYPE, auth_req_id: authReqId }, "Backchannel authentication poll")
    const step: Step = { status: "complete", response, sentAt }
    return step
  }).pipe(
    Effect.catchTag("TokenEndpointError", (error) =>
      Effect.gen(function*() {
        const outcome = Rules.classify(error)
        if (outcome === "pending" || outcome === "slow_down") {
          const step: Step = { status: outcome }
          return step
        }
        if (outcome === "denied" || outcome === "expired") {
          return yield* new BackchannelAuthenticationError({
            reason: outcome,
            error: error.error,
            errorDescription: error.errorDescription,
            status: error.status,
            message: outcome === "denied"
              ? "The user rejected the backchannel authentication request"
              : "The backchannel authentication request expired before the user answered"
          })
        }
        return yield* error
      }))
  )

/** The token set of a successful poll, its ID token validated (OIDC Core §3.1.3.7; no nonce in CIBA). */
const toTokens = (response: TokenEndpoint.TokenResponse, sentAt: number, expectedSub: string | undefined) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const server = yield* AuthorizationServer
    const metadata = yield* server.metadata
    if (response.id_token === undefined) {
      return yield* new InvalidResponseError({ status: 200, message: "The backchannel token response has no id_token" })
    }
    const claims = yield* IdToken.validate(response.id_token, server.keyFor, {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: undefined,
      now: sentAt,
      toleranceSeconds: config.options.clockToleranceSeconds,
      advertisedAlgorithms: metadata.id_token_signing_alg_values_supported
    })
    // The user who approved must be the one we asked (CIBA Core §7.1 login_hint).
    if (expectedSub !== undefined && claims.sub !== expectedSub) {
      return yield* new IdTokenValidationError({
        reason: "subject",
        message: "Invalid ID token: sub is not the user the backchannel request was for"
      })
    }
    const tokens: BackchannelTokens = {
      accessToken: response.access_token,
      idToken: response.id_token,
      refreshToken: response.refresh_token,
      scope: response.scope,
      tokenType: response.token_type,
      expiresAt: sentAt + (response.expires_in ?? 0),
      claims: userClaims(claims),
      authorizationDetails: Rules.readAuthorizationDetails(response.authorization_details)
    }
    return tokens
  })

/**
 * Polls once (for job queues): `pending` with the interval to wait (grown by 5 s after
 * `slow_down`), or `complete` with the tokens. A rejected or expired request fails with
 * {@link BackchannelAuthenticationError}.
 */
export const backchannelAuthenticationGrant = Telemetry.fn(Telemetry.SpanNames.cibaPoll)(function*(
  options: BackchannelAuthenticationGrantOptions
) {
  if (typeof options?.authReqId !== "string" || options.authReqId === "") {
    return yield* missing("authReqId", "authReqId (from initiateBackchannelAuthentication) is required")
  }
  const interval = Rules.initialInterval(options.interval)
  const step = yield* poll(options.authReqId)
  if (step.status !== "complete") {
    const result: BackchannelPollResult = { status: "pending", interval: Rules.nextInterval(interval, step.status) }
    return result
  }
  const result: BackchannelPollResult = { status: "complete", tokens: yield* toTokens(step.response, step.sentAt, undefined) }
  return result
}, Telemetry.flow)

/**
 * The polling schedule (CIBA Core §7.3, §11): the next poll after the current interval (which
 * `slow_down` grows), while the answer is pending and the next poll is before the deadline.
 */
export const pollSchedule = (interval: Ref.Ref<number>, deadlineMillis: number) =>
  Schedule.identity<Step>().pipe(
    Schedule.whileInput((step: Step) => step.status !== "complete"),
    Schedule.addDelayEffect(() => Effect.map(Ref.get(interval), Duration.seconds)),
    Schedule.checkEffect(() =>
      Effect.zipWith(Clock.currentTimeMillis, Ref.get(interval), (now, seconds) => Rules.mayPollAgain(now, seconds, deadlineMillis))
    )
  )

const untilDone = (authReqId: string, initialInterval: number, deadlineMillis: number, expectedSub: string | undefined) =>
  Effect.gen(function*() {
    const interval = yield* Ref.make(Rules.initialInterval(initialInterval))
    const once = Effect.tap(poll(authReqId), (step) =>
      step.status === "complete" ? Effect.void : Ref.update(interval, (current) => Rules.nextInterval(current, step.status)))
    // The first poll waits one interval too: the user cannot have answered yet.
    yield* Effect.sleep(Duration.seconds(yield* Ref.get(interval)))
    const last = yield* Effect.repeat(once, pollSchedule(interval, deadlineMillis))
    if (last.status !== "complete") {
      return yield* new BackchannelAuthenticationError({
        reason: "expired",
        error: "expired_token",
        errorDescription: undefined,
        status: undefined,
        message: "The backchannel authentication request expired before the user answered"
      })
    }
    return yield* toTokens(last.response, last.sentAt, expectedSub)
  })

/** Polls a started request until the user answers or it expires; interruptible. */
export const awaitBackchannelAuthentication = Telemetry.fn(Telemetry.SpanNames.cibaAwait)(function*(
  options: AwaitBackchannelAuthenticationOptions
) {
  if (typeof options?.authReqId !== "string" || options.authReqId === "") {
    return yield* missing("authReqId", "authReqId (from initiateBackchannelAuthentication) is required")
  }
  if (typeof options.expiresAt !== "number" || !Number.isFinite(options.expiresAt)) {
    return yield* invalid("expiresAt", "expiresAt must be the request's expiry in seconds since the epoch")
  }
  return yield* untilDone(options.authReqId, options.interval, options.expiresAt * 1000, undefined)
}, Telemetry.flow)

/**
 * Logs a user in through their device: starts a backchannel request and polls until they
 * approve (the token set, ID token validated and about the user asked), reject or let it expire
 * (both {@link BackchannelAuthenticationError}). Interrupting it stops the polling.
 */
export const loginBackchannel = Telemetry.fn(Telemetry.SpanNames.cibaLogin)(function*(options: LoginBackchannelOptions) {
  const started = yield* initiateBackchannelAuthentication(options)
  return yield* untilDone(started.authReqId, started.interval, started.expiresAt * 1000, options.loginHint.sub)
}, Telemetry.flow)
