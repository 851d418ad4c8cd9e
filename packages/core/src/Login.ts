/**
 * Interactive login: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636), a nonce
 * (OIDC Core §3.1.2.1), optionally through PAR (RFC 9126).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import {
  InvalidArgumentError,
  MissingRequiredArgumentError,
  MissingTransactionError
} from "./Errors.js"
import * as MfaApi from "./MfaApi.js"
import * as OrganizationRules from "./OrganizationRules.js"
import * as Pkce from "./Pkce.js"
import * as Randomness from "./Randomness.js"
import * as Scopes from "./Scopes.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import { TransactionStore } from "./TransactionStore.js"
import * as CallbackUrl from "./CallbackUrl.js"
import { configuredScope } from "./internal/claims.js"
import { epochSeconds } from "./internal/time.js"
import { authorizeUrl } from "./internal/authorizeUrl.js"
import * as DpopSend from "./internal/dpopSend.js"
import { DEFAULT_AUDIENCE, storeLoginSession } from "./internal/tokenSession.js"
import { missingTransactionMessage } from "./internal/hints.js"
import * as Telemetry from "./Telemetry.js"

/** Authorization parameters a login may carry; SDK-owned ones (state, nonce, PKCE) are refused. */
export interface AuthorizationParams {
  readonly audience?: string | undefined
  readonly scope?: string | undefined
  readonly redirect_uri?: string | undefined
  readonly max_age?: number | undefined
  readonly prompt?: string | undefined
  readonly [param: string]: string | number | boolean | undefined
}

export interface StartInteractiveLoginOptions<AppState = unknown> {
  readonly authorizationParams?: AuthorizationParams | undefined
  /** Anything JSON-serializable (no BigInt, no cycles), returned by `completeInteractiveLogin`. */
  readonly appState?: AppState | undefined
  /** Override the configuration's `pushedAuthorizationRequests`. */
  readonly pushedAuthorizationRequests?: boolean | undefined
}

const RESERVED = new Set([
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "response_type",
  "client_id",
  "request_uri",
  "request"
])

/**
 * `appState` travels in the transaction as JSON: a value `JSON.stringify` refuses (a BigInt, a
 * cycle) fails here as a typed error, before anything is stored, rather than as a raw exception.
 */
export const checkAppState = (appState: unknown): Effect.Effect<void, InvalidArgumentError> =>
  Effect.suspend(() => {
    try {
      JSON.stringify(appState)
      return Effect.void
    } catch {
      return Effect.fail(
        new InvalidArgumentError({
          argument: "appState",
          message: "appState must be JSON-serializable (plain objects, arrays, strings, numbers, booleans, null; no BigInt, no cycles)"
        })
      )
    }
  })

/** The audience key under which a token set without an explicit audience is stored. */
export { DEFAULT_AUDIENCE }

/**
 * Starts a login: creates state, nonce and a PKCE verifier, stores them in a transaction keyed
 * by state, and returns the URL to redirect the browser to.
 */
export const startInteractiveLogin = Telemetry.fn(Telemetry.SpanNames.loginStart)(function*(
  options: StartInteractiveLoginOptions = {}
) {
  const config = yield* Auth0Config
  yield* checkAppState(options.appState)
  const { audience: askedAudience, scope: askedScope, redirect_uri, max_age, ...rest } = options.authorizationParams ?? {}
  for (const key of Object.keys(rest)) {
    if (RESERVED.has(key)) {
      return yield* new InvalidArgumentError({
        argument: `authorizationParams.${key}`,
        message: `authorizationParams.${key} is set by the SDK and cannot be passed`
      })
    }
  }
  const redirectUri = redirect_uri ?? config.redirectUri
  if (!redirectUri) {
    return yield* new MissingRequiredArgumentError({
      argument: "redirectUri",
      message: "A redirect URI is required: set redirectUri in the configuration or pass authorizationParams.redirect_uri"
    })
  }
  if (max_age !== undefined && (!Number.isInteger(max_age) || max_age < 0)) {
    return yield* new InvalidArgumentError({ argument: "authorizationParams.max_age", message: "max_age must be a non-negative integer" })
  }
  // Organizations: an id or a name, from the call or the configuration; the callback checks the ID token proves it.
  const organization = rest["organization"] ?? config.options.organization ?? config.extraAuthorizationParams["organization"]
  for (const [name, value] of [["organization", organization], ["invitation", rest["invitation"]]] as const) {
    const problem = value === undefined ? undefined : OrganizationRules.parameterProblem(value)
    if (problem !== undefined) {
      return yield* new InvalidArgumentError({ argument: `authorizationParams.${name}`, message: `authorizationParams.${name} ${problem}` })
    }
  }
  if (rest["invitation"] !== undefined && organization === undefined) {
    return yield* new MissingRequiredArgumentError({
      argument: "authorizationParams.organization",
      message: "An invitation needs its organization: pass both from the invitation URL (Organizations.loginOptionsFromInvitation)"
    })
  }
  const audience = askedAudience ?? config.audience
  const scope = Scopes.forLogin(configuredScope(config, audience), askedScope)
  const metadata = yield* (yield* AuthorizationServer).metadata
  const { verifier, challenge } = yield* Pkce.make
  const state = yield* Randomness.makeState
  const nonce = yield* Randomness.makeNonce
  const now = yield* epochSeconds

  const params: Record<string, string> = { ...config.extraAuthorizationParams }
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) params[key] = String(value)
  Object.assign(params, {
    client_id: config.clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256"
  })
  if (audience) params["audience"] = audience
  if (max_age !== undefined) params["max_age"] = String(max_age)
  // Binds the code to our DPoP key (RFC 9449 §10); on PAR too, where the proof also goes.
  const dpopKey = yield* DpopSend.keyOf(config.dpop)
  if (dpopKey !== undefined) params["dpop_jkt"] = dpopKey.thumbprint
  if (typeof organization === "string") params["organization"] = organization

  yield* (yield* TransactionStore).set({
    kind: "login",
    state,
    codeVerifier: verifier,
    nonce,
    redirectUri,
    ...(audience ? { audience } : {}),
    scope,
    ...(max_age !== undefined ? { maxAge: max_age } : {}),
    ...(typeof organization === "string" ? { organization } : {}),
    ...(options.appState !== undefined ? { appState: options.appState } : {}),
    createdAt: now
  })

  const usePar = options.pushedAuthorizationRequests ?? config.options.pushedAuthorizationRequests
  return yield* authorizeUrl(metadata, params, usePar)
}, Telemetry.flow)

/**
 * Completes a login from the callback URL: checks state against a stored transaction, turns a
 * provider `error` into {@link AuthorizationError}, exchanges the code, validates the ID token
 * and stores a new session. The transaction is consumed whatever the outcome; an existing
 * session is replaced only when everything succeeded.
 */
export const completeInteractiveLogin = Telemetry.fn(Telemetry.SpanNames.loginCallback)(function*(url: string | URL) {
  const config = yield* Auth0Config
  const transactions = yield* TransactionStore
  const callback = yield* CallbackUrl.parse(url, ["state", "code", "error", "error_description", "iss"])
  const state = callback.get("state")
  const authorizationError = CallbackUrl.providerError(callback, "Login")
  if (state === undefined) {
    if (authorizationError !== undefined) return yield* authorizationError
    return yield* new MissingRequiredArgumentError({ argument: "state", message: "The callback URL has no state parameter" })
  }
  const found = yield* transactions.get(state)
  if (Option.isNone(found) || found.value.kind !== "login") {
    return yield* new MissingTransactionError({ message: missingTransactionMessage("login") })
  }
  const transaction = found.value
  // Single use: consumed before anything can fail, so a replayed callback finds nothing.
  yield* transactions.delete(state)

  if (authorizationError !== undefined) return yield* authorizationError
  // RFC 9207: when the provider says who it is, it must be our issuer (mix-up defence).
  const iss = callback.get("iss")
  if (iss !== undefined && iss !== config.issuer) {
    return yield* new InvalidArgumentError({ argument: "iss", message: `The callback's iss "${iss}" is not "${config.issuer}"` })
  }
  const code = callback.get("code")
  if (code === undefined || code === "") {
    return yield* new MissingRequiredArgumentError({ argument: "code", message: "The callback URL has no code parameter" })
  }

  // expires_in counts from the answer; from before the request the stored expiry never passes exp.
  const now = yield* epochSeconds
  const tokens = yield* TokenEndpoint.request({
    grant_type: "authorization_code",
    code,
    redirect_uri: transaction.redirectUri,
    code_verifier: transaction.codeVerifier
  }, "Code exchange").pipe(
    // The API's policy asks for MFA: MfaRequiredError (with the login's appState), and no session is stored.
    MfaApi.detectMfaRequired({ audience: transaction.audience ?? DEFAULT_AUDIENCE, scope: transaction.scope, appState: transaction.appState })
  )
  yield* storeLoginSession(tokens, {
    audience: transaction.audience,
    scope: transaction.scope,
    nonce: transaction.nonce,
    now,
    maxAge: transaction.maxAge,
    organization: transaction.organization
  })
  return { appState: transaction.appState }
}, Telemetry.flow)
