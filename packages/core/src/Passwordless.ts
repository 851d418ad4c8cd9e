/**
 * Passwordless login with Auth0's `email` and `sms` connections: start with a one-time code (email
 * or SMS) or a magic link (email), then complete with the code through the passwordless OTP grant,
 * or through the magic link's callback. Either way the result is a session whose ID token was
 * validated, as after an interactive login.
 *
 * https://auth0.com/docs/api/authentication/passwordless
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { Auth0Config } from "./Auth0Config.js"
import { InvalidArgumentError, MissingRequiredArgumentError } from "./Errors.js"
import * as Login from "./Login.js"
import * as Pkce from "./Pkce.js"
import * as Randomness from "./Randomness.js"
import * as Scopes from "./Scopes.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import { TransactionStore } from "./TransactionStore.js"
import * as AuthApi from "./internal/authApi.js"
import { configuredScope } from "./internal/claims.js"
import { epochSeconds } from "./internal/time.js"
import { storeLoginSession } from "./internal/tokenSession.js"
import * as Telemetry from "./Telemetry.js"

/** The passwordless OTP grant (Auth0 extension grant). */
export const PASSWORDLESS_OTP_GRANT = "http://auth0.com/oauth/grant-type/passwordless/otp"

interface StartCommon {
  /** BCP 47 language tag for the email or SMS template (`x-request-language`). */
  readonly language?: string | undefined
}

/** An email carrying a one-time code (the default for `email`). */
export interface StartPasswordlessEmailCodeOptions extends StartCommon {
  readonly connection: "email"
  readonly email: string
  readonly send?: "code" | undefined
}

/**
 * An email carrying a magic link. The link is bound to a transaction like a login's (state,
 * nonce, PKCE), completed by {@link completePasswordlessMagicLink} on `redirectUri`.
 */
export interface StartPasswordlessEmailLinkOptions<AppState = unknown> extends StartCommon {
  readonly connection: "email"
  readonly email: string
  readonly send: "link"
  /** Where the link lands (an Allowed Callback URL); default the configured `redirectUri`. */
  readonly redirectUri?: string | undefined
  /** Scope for the session's tokens; `openid` is always added. */
  readonly scope?: string | undefined
  readonly audience?: string | undefined
  /** Returned by {@link completePasswordlessMagicLink}, as a login's `appState`. */
  readonly appState?: AppState | undefined
}

/** An SMS carrying a one-time code (SMS has no magic link). */
export interface StartPasswordlessSmsOptions extends StartCommon {
  readonly connection: "sms"
  /** E.164, e.g. `+14155550100`. */
  readonly phoneNumber: string
}

export type StartPasswordlessOptions<AppState = unknown> =
  | StartPasswordlessEmailCodeOptions
  | StartPasswordlessEmailLinkOptions<AppState>
  | StartPasswordlessSmsOptions

interface CompleteCommon {
  /** The one-time code the user typed. */
  readonly verificationCode: string
  readonly authorizationParams?: { readonly audience?: string | undefined; readonly scope?: string | undefined } | undefined
}

export type CompletePasswordlessOptions =
  | CompleteCommon & { readonly connection: "email"; readonly email: string }
  | CompleteCommon & { readonly connection: "sms"; readonly phoneNumber: string }

/** An address with one `@`, something on each side, no spaces or controls, at most 320 characters (RFC 5321 §4.5.3.1). */
export const isEmail = (value: string): boolean =>
  value.length <= 320 && /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(value)

/** E.164 (ITU-T E.164 §6): `+`, a non-zero digit, at most 15 digits in all. */
export const isE164 = (value: string): boolean => /^\+[1-9]\d{1,14}$/.test(value)

/** The recipient, checked at the edge: the tenant is not asked to send anything to a malformed address. */
const recipient = (options: { readonly connection: string; readonly email?: string; readonly phoneNumber?: string }) =>
  Effect.gen(function*() {
    if (options.connection === "email") {
      const email = options.email
      if (email === undefined || email === "") {
        return yield* new MissingRequiredArgumentError({ argument: "email", message: "email is required for the email connection" })
      }
      if (!isEmail(email)) return yield* new InvalidArgumentError({ argument: "email", message: "email is not an email address" })
      return { email } as Record<string, string>
    }
    if (options.connection === "sms") {
      const phone = options.phoneNumber
      if (phone === undefined || phone === "") {
        return yield* new MissingRequiredArgumentError({ argument: "phoneNumber", message: "phoneNumber is required for the sms connection" })
      }
      if (!isE164(phone)) {
        return yield* new InvalidArgumentError({ argument: "phoneNumber", message: "phoneNumber must be in E.164 format, e.g. +14155550100" })
      }
      return { phone_number: phone } as Record<string, string>
    }
    return yield* new InvalidArgumentError({ argument: "connection", message: 'connection must be "email" or "sms"' })
  })

const checkLanguage = (language: string | undefined) =>
  language === undefined || /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(language)
    ? Effect.void
    : Effect.fail(new InvalidArgumentError({ argument: "language", message: "language must be a BCP 47 tag such as en or pt-BR" }))

/**
 * Asks the tenant to send a code (email or SMS) or a magic link (email) through
 * `POST /passwordless/start`, authenticated as the client. For a link, a login transaction
 * (state, nonce, PKCE verifier) is stored first and its parameters travel in `authParams`, so
 * the link's callback is checked exactly as a login callback is.
 */
export const startPasswordless = Telemetry.fn(Telemetry.SpanNames.passwordlessStart)(function*(options: StartPasswordlessOptions) {
  const config = yield* Auth0Config
  const to = yield* recipient(options as { connection: string; email?: string; phoneNumber?: string })
  yield* checkLanguage(options.language)
  const headers = options.language !== undefined ? { "x-request-language": options.language } : undefined
  if (options.connection !== "email" || options.send !== "link") {
    const send: unknown = options.connection === "email" ? options.send ?? "code" : "code"
    if (send !== "code") return yield* new InvalidArgumentError({ argument: "send", message: 'send must be "code" or "link"' })
    yield* AuthApi.post("/passwordless/start", { connection: options.connection, ...to, send }, "Passwordless start", {
      authenticate: true,
      headers
    })
    return
  }
  yield* Login.checkAppState(options.appState)
  const redirectUri = options.redirectUri ?? config.redirectUri
  if (!redirectUri) {
    return yield* new MissingRequiredArgumentError({
      argument: "redirectUri",
      message: "A magic link needs a redirect URI: set redirectUri in the configuration or pass redirectUri"
    })
  }
  const audience = options.audience ?? config.audience
  const scope = Scopes.forLogin(configuredScope(config, audience), options.scope)
  const { verifier, challenge } = yield* Pkce.make
  const state = yield* Randomness.makeState
  const nonce = yield* Randomness.makeNonce
  yield* (yield* TransactionStore).set({
    kind: "login",
    state,
    codeVerifier: verifier,
    nonce,
    redirectUri,
    ...(audience ? { audience } : {}),
    scope,
    ...(options.appState !== undefined ? { appState: options.appState } : {}),
    createdAt: yield* epochSeconds
  })
  const authParams: Record<string, string> = {
    response_type: "code",
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...(audience ? { audience } : {})
  }
  yield* AuthApi.post("/passwordless/start", { connection: "email", ...to, send: "link", authParams }, "Passwordless start", {
    authenticate: true,
    headers
  })
}, Telemetry.flow)

/**
 * Completes a code login: the passwordless OTP grant (`realm` the connection, `username` the
 * email or phone number, `otp` the code) at the token endpoint, then a new session from the
 * answer, its ID token validated. A wrong or expired code fails with `TokenEndpointError`
 * (`invalid_grant`) and leaves any existing session as it was.
 */
export const completePasswordless = Telemetry.fn(Telemetry.SpanNames.passwordlessComplete)(function*(options: CompletePasswordlessOptions) {
  const config = yield* Auth0Config
  const to = yield* recipient(options as { connection: string; email?: string; phoneNumber?: string })
  const code = options.verificationCode
  if (typeof code !== "string" || code.trim() === "") {
    return yield* new MissingRequiredArgumentError({ argument: "verificationCode", message: "verificationCode is required" })
  }
  const audience = options.authorizationParams?.audience ?? config.audience
  const scope = Scopes.forLogin(configuredScope(config, audience), options.authorizationParams?.scope)
  const now = yield* epochSeconds
  const tokens = yield* TokenEndpoint.request({
    grant_type: PASSWORDLESS_OTP_GRANT,
    realm: options.connection,
    username: to["email"] ?? to["phone_number"]!,
    otp: code.trim(),
    scope,
    ...(audience ? { audience } : {})
  }, "Passwordless login")
  yield* storeLoginSession(tokens, { audience, scope, nonce: undefined, now })
}, Telemetry.flow)

/**
 * Completes a magic-link login from its callback URL: the same checks as
 * `completeInteractiveLogin` (state, provider error, `iss`, code exchange with PKCE, ID token
 * with the nonce), then the session.
 */
export const completePasswordlessMagicLink = Telemetry.fn(Telemetry.SpanNames.passwordlessMagicLink)(function*(url: string | URL) {
  return yield* Login.completeInteractiveLogin(url)
}, Telemetry.flow)
