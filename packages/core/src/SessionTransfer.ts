/**
 * Session transfer: a short-lived, single-use Session Transfer Token (STT) that logs a user into
 * another web application without a login prompt. It is minted through Custom Token Exchange
 * (RFC 8693) with the audience `urn:{domain}:session_transfer` and an actor (by default the
 * logged-in session's ID token, so every transfer is auditable as "actor acting as subject"),
 * then carried to the target's login as `session_transfer_token`.
 *
 * https://auth0.com/docs/authenticate/single-sign-on/native-to-web
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Auth0Config, isLoopbackHost } from "./Auth0Config.js"
import { InvalidArgumentError, InvalidResponseError, MissingRequiredArgumentError, MissingSessionError } from "./Errors.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as Telemetry from "./Telemetry.js"

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
/** The `issued_token_type` of a session transfer token. */
export const SESSION_TRANSFER_TOKEN_TYPE = "urn:auth0:params:oauth:token-type:session_transfer_token"
/** RFC 8693 §3: an OIDC ID token. */
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"

/** The acting party; default the session's ID token. */
export interface SessionTransferActor {
  readonly token: string
  /** Default {@link ID_TOKEN_TYPE}. */
  readonly type?: string | undefined
}

export interface RequestSessionTransferTokenOptions {
  /** Your proof of who the subject is, checked by your Token Exchange Action. */
  readonly subjectToken: string
  /** The URI that routes the request to your Token Exchange Profile. */
  readonly subjectTokenType: string
  /** Default: the session's ID token (the request then needs a session). */
  readonly actor?: SessionTransferActor | undefined
  readonly scope?: string | undefined
  /** The organization (id or name) to mint the token in; the tenant checks it against the client. */
  readonly organization?: string | undefined
  /** More parameters for your Action (`event.request.body`); protocol parameters are refused. */
  readonly extra?: Readonly<Record<string, string>> | undefined
}

export interface SessionTransferTokenResult {
  /** Opaque and single use: hand it to {@link buildSessionTransferRedirect}; never log or store it. */
  readonly sessionTransferToken: string
  readonly issuedTokenType: string
  /** Seconds (about 60). */
  readonly expiresIn: number
  readonly tokenType?: string | undefined
  readonly scope?: string | undefined
}

export interface BuildSessionTransferRedirectOptions {
  /** Forwarded to the target's `/authorize` as `organization`; scopes the session it creates. */
  readonly organization?: string | undefined
}

/** Parameters the SDK sets, refused in `extra` (a Token Exchange Action must not be able to change the protocol). */
export const RESERVED_PARAMETERS: ReadonlySet<string> = new Set([
  "grant_type", "audience", "scope", "organization", "subject_token", "subject_token_type", "actor_token",
  "actor_token_type", "requested_token_type", "resource", "client_id", "client_secret", "client_assertion",
  "client_assertion_type"
])

/** `urn:{host}:session_transfer`, the audience that makes the token endpoint mint a session transfer token. */
export const sessionTransferAudience = (issuer: string): string => `urn:${new URL(issuer).host}:session_transfer`

/** An absolute URI (RFC 3986 §4.3) with a scheme and something after it, as token type URIs are. */
const isUri = (value: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(value) && value.length <= 512

const checkOptions = (options: RequestSessionTransferTokenOptions) =>
  Effect.gen(function*() {
    if (typeof options.subjectToken !== "string" || options.subjectToken === "") {
      return yield* new MissingRequiredArgumentError({ argument: "subjectToken", message: "subjectToken is required" })
    }
    if (typeof options.subjectTokenType !== "string" || !isUri(options.subjectTokenType)) {
      return yield* new InvalidArgumentError({ argument: "subjectTokenType", message: "subjectTokenType must be an absolute URI" })
    }
    if (options.actor !== undefined && (typeof options.actor.token !== "string" || options.actor.token === "")) {
      return yield* new InvalidArgumentError({ argument: "actor.token", message: "actor.token must be a non-empty token" })
    }
    if (options.actor?.type !== undefined && !isUri(options.actor.type)) {
      return yield* new InvalidArgumentError({ argument: "actor.type", message: "actor.type must be an absolute URI" })
    }
    if (options.organization !== undefined && options.organization.trim() === "") {
      return yield* new InvalidArgumentError({ argument: "organization", message: "organization must not be empty" })
    }
    for (const [name, value] of Object.entries(options.extra ?? {})) {
      if (RESERVED_PARAMETERS.has(name)) {
        return yield* new InvalidArgumentError({ argument: `extra.${name}`, message: `extra.${name} is set by the SDK and cannot be passed` })
      }
      if (typeof value !== "string") {
        return yield* new InvalidArgumentError({ argument: `extra.${name}`, message: `extra.${name} must be a string` })
      }
    }
  })

/**
 * Mints a session transfer token. The actor is `options.actor`, else the session's ID token
 * (without either: {@link MissingSessionError}, before any request). The answer must say it is a
 * session transfer token (`issued_token_type`), else it is an {@link InvalidResponseError}: a
 * plain access token must never travel in a URL. The session is neither read for anything else
 * nor changed.
 */
export const requestSessionTransferToken = Telemetry.fn(Telemetry.SpanNames.sessionTransfer)(function*(
  options: RequestSessionTransferTokenOptions
) {
  const config = yield* Auth0Config
  yield* checkOptions(options)
  let actor = options.actor
  if (actor === undefined) {
    const session = Option.getOrUndefined(yield* (yield* StateStore).get)
    if (session?.idToken === undefined) {
      return yield* new MissingSessionError({
        message: "A session transfer token needs an actor: log in first (its ID token is the actor) or pass actor"
      })
    }
    actor = { token: session.idToken }
  }
  const tokens = yield* TokenEndpoint.request({
    ...options.extra,
    grant_type: TOKEN_EXCHANGE_GRANT,
    audience: sessionTransferAudience(config.issuer),
    subject_token: options.subjectToken,
    subject_token_type: options.subjectTokenType,
    actor_token: actor.token,
    actor_token_type: actor.type ?? ID_TOKEN_TYPE,
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options.organization !== undefined ? { organization: options.organization } : {})
  }, "Session transfer token request")
  if (tokens.issued_token_type !== SESSION_TRANSFER_TOKEN_TYPE) {
    return yield* new InvalidResponseError({
      status: 200,
      message: `The token endpoint answered with issued_token_type "${String(tokens.issued_token_type).slice(0, 100)}", not a session transfer token`
    })
  }
  return {
    sessionTransferToken: tokens.access_token,
    issuedTokenType: tokens.issued_token_type,
    expiresIn: tokens.expires_in ?? 60,
    ...(tokens.token_type !== undefined ? { tokenType: tokens.token_type } : {}),
    ...(tokens.scope !== undefined ? { scope: tokens.scope } : {})
  } satisfies SessionTransferTokenResult as SessionTransferTokenResult
}, Telemetry.flow)

/**
 * The target application's login URL with `session_transfer_token` (and `organization`) added.
 * The token is a bearer credential in a URL, so the target must be https (http only on
 * loopback) with no userinfo; pass a URL your app controls, never one from the request.
 */
export const buildSessionTransferRedirect = (
  targetLoginUrl: string | URL,
  result: Pick<SessionTransferTokenResult, "sessionTransferToken">,
  options: BuildSessionTransferRedirectOptions = {}
): Effect.Effect<URL, InvalidArgumentError> =>
  Effect.suspend(() => {
    const fail = (argument: string, message: string) => Effect.fail(new InvalidArgumentError({ argument, message }))
    let url: URL
    try {
      url = new URL(targetLoginUrl)
    } catch {
      return fail("targetLoginUrl", "targetLoginUrl must be an absolute URL")
    }
    if (!(url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname)))) {
      return fail("targetLoginUrl", "targetLoginUrl must be https (http only for loopback hosts): it will carry a credential")
    }
    if (url.username !== "" || url.password !== "") return fail("targetLoginUrl", "targetLoginUrl must not carry credentials")
    if (typeof result?.sessionTransferToken !== "string" || result.sessionTransferToken === "") {
      return fail("result.sessionTransferToken", "result.sessionTransferToken is required")
    }
    if (options.organization !== undefined && options.organization.trim() === "") {
      return fail("organization", "organization must not be empty")
    }
    url.searchParams.set("session_transfer_token", result.sessionTransferToken)
    if (options.organization !== undefined) url.searchParams.set("organization", options.organization)
    return Effect.succeed(url)
  })
