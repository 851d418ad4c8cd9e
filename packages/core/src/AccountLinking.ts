/**
 * Client-initiated account linking: `startLinkUser` / `completeLinkUser` fold another identity
 * (a Google account, say) into the logged-in user; `startUnlinkUser` / `completeUnlinkUser`
 * take one out. Each is an authorization code flow (PKCE, nonce, state-keyed transaction) whose
 * authorize request carries the session's ID token as `id_token_hint`, the requested connection
 * and the linking scope; an account-linking Action on the tenant does the linking.
 *
 * Unlike the reference SDKs, completing a link does not replace the session with the linking
 * request's tokens (which would drop the refresh token and every API token): it checks that
 * the callback's ID token is about the same user, then updates only the session's ID token and
 * user claims (now with the new `identities`).
 *
 * With `pushedAuthorizationRequests` the request goes through PAR (RFC 9126), so the ID token is
 * not put in a URL.
 *
 * The callback comes back to the same `redirect_uri` as a login; {@link callbackKind} tells a
 * callback route which completion a callback's transaction belongs to.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccountLinkingRules from "./AccountLinkingRules.js"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import * as CallbackUrl from "./CallbackUrl.js"
import {
  AccountLinkingError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  MissingSessionError,
  MissingTransactionError
} from "./Errors.js"
import * as IdToken from "./IdToken.js"
import { checkAppState } from "./Login.js"
import * as Pkce from "./Pkce.js"
import * as Randomness from "./Randomness.js"
import type { Transaction } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import { TransactionStore } from "./TransactionStore.js"
import { userClaims } from "./internal/claims.js"
import { missingTransactionMessage } from "./internal/hints.js"
import { epochSeconds } from "./internal/time.js"
import { authorizeUrl } from "./internal/authorizeUrl.js"
import * as Telemetry from "./Telemetry.js"

export interface StartLinkUserOptions<AppState = unknown> {
  /** The connection of the account to link, e.g. `google-oauth2`. */
  readonly connection: string
  /** Scopes to ask of the connection's provider (`requested_connection_scope`). */
  readonly connectionScope?: string | undefined
  /** Extra authorize parameters; `audience` overrides `my-account`; the SDK's own are refused. */
  readonly authorizationParams?: { readonly [param: string]: string | number | boolean | undefined } | undefined
  /** Anything JSON-serializable, returned by `completeLinkUser`. */
  readonly appState?: AppState | undefined
}

export interface StartUnlinkUserOptions<AppState = unknown> {
  /** The connection of the identity to unlink. */
  readonly connection: string
  readonly authorizationParams?: { readonly [param: string]: string | number | boolean | undefined } | undefined
  /** Anything JSON-serializable, returned by `completeUnlinkUser`. */
  readonly appState?: AppState | undefined
}

const invalid = (argument: string, problem: string) =>
  new InvalidArgumentError({ argument, message: `${argument} ${problem}` })

/** Starts a link or an unlink: validates, stores the transaction, returns the authorize URL. */
const start = (action: AccountLinkingRules.Action, options: StartLinkUserOptions) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const connectionProblem = AccountLinkingRules.connectionProblem(options.connection)
    if (options.connection === undefined || options.connection === "") {
      return yield* new MissingRequiredArgumentError({ argument: "connection", message: `connection is required to ${action} an account` })
    }
    if (connectionProblem !== undefined) return yield* invalid("connection", connectionProblem)
    if (options.connectionScope !== undefined) {
      const scopeProblem = AccountLinkingRules.connectionProblem(options.connectionScope)
      if (scopeProblem !== undefined) return yield* invalid("connectionScope", scopeProblem)
    }
    yield* checkAppState(options.appState)
    const { redirect_uri, ...rest } = options.authorizationParams ?? {}
    const reserved = AccountLinkingRules.reservedParameter(rest)
    if (reserved !== undefined) {
      return yield* invalid(`authorizationParams.${reserved}`, "is set by the SDK and cannot be passed")
    }
    const redirectUri = typeof redirect_uri === "string" ? redirect_uri : config.redirectUri
    if (!redirectUri) {
      return yield* new MissingRequiredArgumentError({
        argument: "redirectUri",
        message: "A redirect URI is required: set redirectUri in the configuration or pass authorizationParams.redirect_uri"
      })
    }
    const session = yield* (yield* StateStore).get
    if (Option.isNone(session)) {
      return yield* new MissingSessionError({ message: `The user is not logged in: log in before trying to ${action} an account` })
    }
    const idToken = session.value.idToken
    if (idToken === undefined) {
      return yield* new AccountLinkingError({
        reason: "no_id_token",
        message: `The session has no ID token to send as id_token_hint; log in again before trying to ${action} an account`
      })
    }
    const metadata = yield* (yield* AuthorizationServer).metadata
    const { verifier, challenge } = yield* Pkce.make
    const state = yield* Randomness.makeState
    const nonce = yield* Randomness.makeNonce
    const extra: Record<string, string> = {}
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) extra[key] = String(value)
    const organization = session.value.organization?.id
    yield* (yield* TransactionStore).set({
      kind: "link",
      action,
      state,
      codeVerifier: verifier,
      nonce,
      redirectUri,
      connection: options.connection,
      sub: session.value.user.sub,
      ...(organization !== undefined ? { organization } : {}),
      ...(options.appState !== undefined ? { appState: options.appState } : {}),
      createdAt: yield* epochSeconds
    })
    const params = AccountLinkingRules.authorizeParams({
      action,
      clientId: config.clientId,
      redirectUri,
      state,
      nonce,
      codeChallenge: challenge,
      idToken,
      connection: options.connection,
      connectionScope: options.connectionScope,
      organization,
      extra
    })
    // With PAR the ID token (personal data) travels in a back-channel POST, not in a URL that
    // browser history and proxy logs keep.
    return yield* authorizeUrl(metadata, params, config.options.pushedAuthorizationRequests)
  })

/**
 * Completes a link or an unlink from its callback URL: the transaction (consumed whatever the
 * outcome) must be this action's; a provider `error` is a refused link; the code is exchanged,
 * the ID token validated (nonce, organization) and required to be about the session's user; then
 * the session's ID token and user claims are updated, everything else kept.
 */
const complete = (action: AccountLinkingRules.Action, url: string | URL) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const transactions = yield* TransactionStore
    const callback = yield* CallbackUrl.parse(url, ["state", "code", "error", "error_description", "iss"])
    const state = callback.get("state")
    if (state === undefined) {
      return yield* new MissingRequiredArgumentError({ argument: "state", message: "The callback URL has no state parameter" })
    }
    const found = yield* transactions.get(state)
    if (Option.isNone(found) || found.value.kind !== "link" || found.value.action !== action) {
      return yield* new MissingTransactionError({ message: missingTransactionMessage(action) })
    }
    const transaction = found.value
    yield* transactions.delete(state)

    const error = callback.get("error")
    if (error !== undefined) {
      const description = callback.get("error_description")
      return yield* new AccountLinkingError({
        reason: "refused",
        error,
        errorDescription: description,
        message: `The tenant refused to ${action} the ${transaction.connection} account: ${error}${description ? ` (${description})` : ""}`
      })
    }
    const iss = callback.get("iss")
    if (iss !== undefined && iss !== config.issuer) {
      return yield* new InvalidArgumentError({ argument: "iss", message: `The callback's iss "${iss}" is not "${config.issuer}"` })
    }
    const code = callback.get("code")
    if (code === undefined || code === "") {
      return yield* new MissingRequiredArgumentError({ argument: "code", message: "The callback URL has no code parameter" })
    }
    const server = yield* AuthorizationServer
    const metadata = yield* server.metadata
    const tokens = yield* TokenEndpoint.request({
      grant_type: "authorization_code",
      code,
      redirect_uri: transaction.redirectUri,
      code_verifier: transaction.codeVerifier
    }, action === "link" ? "Account link code exchange" : "Account unlink code exchange")
    if (tokens.id_token === undefined) {
      return yield* new InvalidResponseError({ status: 200, message: "The token response has no id_token" })
    }
    const claims = yield* IdToken.validate(tokens.id_token, server.keyFor, {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: transaction.nonce,
      now: yield* epochSeconds,
      toleranceSeconds: config.options.clockToleranceSeconds,
      advertisedAlgorithms: metadata.id_token_signing_alg_values_supported,
      organization: transaction.organization
    })
    const problem = AccountLinkingRules.subjectProblem(transaction.sub, claims.sub)
    if (problem !== undefined) {
      return yield* new AccountLinkingError({ reason: "subject_mismatch", message: `Account ${action}: ${problem}; the session is unchanged` })
    }
    const store = yield* StateStore
    const session = yield* store.get
    if (Option.isNone(session) || session.value.user.sub !== transaction.sub) {
      return yield* new MissingSessionError({ message: `The session that started the ${action} is gone (logged out meanwhile)` })
    }
    yield* store.set({
      ...session.value,
      idToken: tokens.id_token,
      user: { ...session.value.user, ...userClaims(claims) }
    })
    return { appState: transaction.appState, connection: transaction.connection }
  })

/**
 * Starts linking the account of `options.connection` to the logged-in user; returns the URL to
 * redirect the browser to. Fails with `MissingSessionError` without a session and
 * `AccountLinkingError` (`no_id_token`) when the session has no ID token.
 */
export const startLinkUser = Telemetry.fn(Telemetry.SpanNames.linkStart)(function*(options: StartLinkUserOptions) {
  return yield* start("link", options)
}, Telemetry.flow)

/** Completes {@link startLinkUser} from the callback URL; returns the `appState` it was started with and the `connection`. */
export const completeLinkUser = Telemetry.fn(Telemetry.SpanNames.linkComplete)(function*(url: string | URL) {
  return yield* complete("link", url)
}, Telemetry.flow)

/** Starts unlinking the identity of `options.connection` from the logged-in user; returns the URL to redirect to. */
export const startUnlinkUser = Telemetry.fn(Telemetry.SpanNames.unlinkStart)(function*(options: StartUnlinkUserOptions) {
  return yield* start("unlink", options)
}, Telemetry.flow)

/** Completes {@link startUnlinkUser} from the callback URL; returns the `appState` it was started with and the `connection`. */
export const completeUnlinkUser = Telemetry.fn(Telemetry.SpanNames.unlinkComplete)(function*(url: string | URL) {
  return yield* complete("unlink", url)
}, Telemetry.flow)

/**
 * What a callback URL completes, by its state's transaction, without consuming it: `login`,
 * `connect`, `link` or `unlink` (or none when there is no live transaction for its state). A
 * callback route shared by logins and links calls the matching `complete...`.
 */
export const callbackKind = (url: string | URL) =>
  Effect.gen(function*() {
    const callback = yield* CallbackUrl.parse(url, ["state", "code", "error", "error_description", "iss", "connect_code"])
    const state = callback.get("state")
    if (state === undefined) return Option.none<"login" | "connect" | "link" | "unlink">()
    const found = yield* (yield* TransactionStore).get(state)
    return Option.map(found, (t: Transaction) => (t.kind === "link" ? t.action : t.kind))
  })
