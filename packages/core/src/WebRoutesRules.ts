/**
 * The pure rules of the mountable auth routes: which request is whose (routing, 405), where a
 * redirect may go (no open redirects), which logout to accept (CSRF), and how a failure is
 * reported (status, and a log line without secrets). No services, no I/O; property-tested.
 *
 * @since 0.1.0
 */
import { Auth0Error } from "./Errors.js"

/** Which route failed, for `AuthHandlerOptions.onError`. */
export type AuthRoute = "login" | "callback" | "logout" | "connect" | "backchannelLogout"

const BASE = "http://return-to.invalid"

/**
 * The path to redirect to if `value` is a same-origin relative path, else `undefined`
 * (OWASP Unvalidated Redirects and Forwards Cheat Sheet).
 *
 * Refuses everything a browser could read as another origin: absolute URLs (`https://evil.com`,
 * `javascript:`), scheme-relative ones (`//evil.com`), backslashes (`/\evil.com`, which browsers
 * treat as `//`), and control characters or whitespace (URL parsers drop tabs and newlines, so
 * `/\t/evil.com` would become `//evil.com`). The result is the parsed, normalised path, query
 * and fragment, so what is checked is what is sent.
 */
export const safeReturnTo = (value: string | null | undefined): string | undefined => {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")) return undefined
  if (/[\\\u0000-\u0020\u007f-\u009f]/.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, BASE)
  } catch {
    return undefined
  }
  if (url.origin !== BASE) return undefined
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith("//") ? undefined : path
}

/** The routes' paths (`undefined`: the route is not mounted), and whether logout also answers GET. */
export interface RoutePaths {
  readonly login: string
  readonly callback: string
  readonly logout: string
  readonly connect?: string | undefined
  readonly backchannelLogout?: string | undefined
  readonly allowLogoutGet: boolean
}

/**
 * What a request is to the routes: one of them, one of their paths with a method it does not
 * serve (answer 405 with `allow`, RFC 9110 §15.5.6), or nothing of theirs (`undefined`).
 *
 * Login, callback and connect are GET only: a HEAD or a prefetch must not start a login or use
 * up a callback's transaction. Logout is POST only unless `allowLogoutGet` (see
 * {@link logoutVerdict}). Back-channel logout is POST only (OpenID Back-Channel Logout 1.0 §2.5).
 */
export type RouteMatch =
  | { readonly _tag: "Route"; readonly route: AuthRoute }
  | { readonly _tag: "MethodNotAllowed"; readonly route: AuthRoute; readonly allow: string }

export const matchRoute = (paths: RoutePaths, pathname: string, method: string): RouteMatch | undefined => {
  const route: AuthRoute | undefined = pathname === paths.login
    ? "login"
    : pathname === paths.callback
    ? "callback"
    : pathname === paths.logout
    ? "logout"
    : pathname === paths.connect
    ? "connect"
    : pathname === paths.backchannelLogout
    ? "backchannelLogout"
    : undefined
  if (route === undefined) return undefined
  const allowed = route === "logout"
    ? (paths.allowLogoutGet ? ["GET", "POST"] : ["POST"])
    : route === "backchannelLogout"
    ? ["POST"]
    : ["GET"]
  return allowed.includes(method)
    ? { _tag: "Route", route }
    : { _tag: "MethodNotAllowed", route, allow: allowed.join(", ") }
}

/** Why a logout request was refused, or `undefined` when it may end the session. */
export type LogoutRefusal = "cross-site" | "foreign-origin"

/**
 * Whether a logout request comes from the app's own pages (OWASP CSRF Prevention Cheat Sheet:
 * Fetch Metadata, and verifying the origin with standard headers; W3C Fetch Metadata §2.4).
 *
 * - `Sec-Fetch-Site` must be `same-origin` or absent (browsers without Fetch Metadata, and
 *   non-browser clients). For a GET (only with `allowLogoutGet`) `none` is accepted too: a
 *   typed or bookmarked URL is the user's own act.
 * - `Origin`, when present, must equal the app's origin; `null` (an opaque origin) is refused.
 */
export const logoutVerdict = (method: string, headers: Headers, appOrigin: string): LogoutRefusal | undefined => {
  const site = headers.get("sec-fetch-site")
  if (site !== null && site !== "same-origin" && !(method === "GET" && site === "none")) return "cross-site"
  const origin = headers.get("origin")
  if (origin !== null && origin !== appOrigin) return "foreign-origin"
  return undefined
}

/** The HTTP status for a failure: the client's fault (400/401) or ours and the tenant's (500). */
export const statusOf = (error: unknown): number => {
  if (!(error instanceof Auth0Error)) return 500
  switch (error._tag) {
    case "InvalidArgumentError":
    case "MissingRequiredArgumentError":
    case "MissingTransactionError":
    case "AuthorizationError":
    case "IdTokenValidationError":
      return 400
    case "MissingSessionError":
      return 401
    case "BackchannelLogoutError":
      return 400
    case "TokenEndpointError":
      // invalid_grant at the code exchange: a used, expired or forged code.
      return codeOf(error) === "invalid_grant" ? 400 : 500
    default:
      return 500
  }
}

/**
 * An error code safe to print: the OAuth `error` (RFC 6749 §5.2, §4.1.2.1) or the SDK's `reason`
 * when the error has one and it is a plain code. An `AuthorizationError`'s code comes from the
 * callback's query, so anything outside RFC 6749 §A.7's characters (a line break in a forged
 * log line) or longer than 64 characters is dropped.
 */
const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const { error: code, reason } = error as { readonly error?: unknown; readonly reason?: unknown }
  const value = typeof code === "string" ? code : typeof reason === "string" ? reason : undefined
  return value !== undefined && /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(value) ? value : undefined
}

/** What to check first, by error kind and code: configuration mistakes a newcomer makes. */
const hintOf = (tag: string, code: string | undefined): string | undefined => {
  switch (`${tag} ${code ?? ""}`.trim()) {
    case "TokenEndpointError invalid_client":
      return "check clientId and clientSecret, or the client assertion key"
    case "TokenEndpointError unauthorized_client":
      return "check that the application allows the Authorization Code grant"
    case "TokenEndpointError invalid_grant":
      return "a used or expired code, or a redirect_uri that differs from the login's"
    case "AuthorizationError access_denied":
      return "the user or a rule denied the login"
  }
  switch (tag) {
    case "MissingTransactionError":
      return "the login's transaction cookie did not come back; the error's message lists the likely causes"
    case "MissingSessionError":
      return "a connect (or its callback) without a session"
    case "BackchannelLogoutError":
      return "an invalid or replayed logout token, or a session store that cannot find sessions by sid or sub"
    case "TransportError":
    case "DiscoveryError":
      return "check domain and that the tenant is reachable"
    case "ConfigurationError":
      return "check the option named by the error's field"
    case "MissingRequiredArgumentError":
      return "check redirectUri in the configuration"
    case "IdTokenValidationError":
      return "the ID token broke a rule of OIDC Core 3.1.3.7 (check domain, clientId and clock skew)"
    case "StoreError":
      return "check the session store"
  }
  return undefined
}

/**
 * The log line for a failed route: the error's kind, its OAuth `error` or `reason`, the
 * configuration field when it is a `ConfigurationError`, and a hint. Never the message, the
 * description or the cause: those can quote the tenant's response or the request (CWE-532).
 *
 * @example
 * failureLine("callback", tokenError) // "auth0-effect: callback failed: TokenEndpointError invalid_client (check clientId and clientSecret ...)"
 */
export const failureLine = (route: AuthRoute, error: unknown): string => {
  if (!(error instanceof Auth0Error)) {
    const name = error instanceof Error && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(error.name) ? error.name : "Error"
    return `auth0-effect: ${route} failed: ${name}`
  }
  const code = codeOf(error)
  const field = error._tag === "ConfigurationError" ? (error as { readonly field?: unknown }).field : undefined
  const hint = hintOf(error._tag, code)
  return [
    `auth0-effect: ${route} failed: ${error._tag}`,
    code,
    typeof field === "string" && /^[\w.]{1,64}$/.test(field) ? `field=${field}` : undefined,
    hint === undefined ? undefined : `(${hint})`
  ].filter((part) => part !== undefined).join(" ")
}

/** The most a query parameter forwarded to the login may be (an Auth0 invitation ticket is ~32 chars). */
const MAX_FORWARDED = 256

/**
 * The `organization` and `invitation` of an invitation link (`/auth/login?invitation=...&organization=org_...`,
 * Auth0 "Invite Organization Members"), to forward to the login as authorization parameters.
 * Each is kept only when it is 1..256 printable ASCII characters without spaces; anything else
 * is dropped (the login then runs without it, and the tenant or the ID token check decides).
 */
export const invitationParams = (query: URLSearchParams): { organization?: string; invitation?: string } => {
  const out: { organization?: string; invitation?: string } = {}
  for (const name of ["organization", "invitation"] as const) {
    const value = query.get(name)
    if (value !== null && value.length <= MAX_FORWARDED && /^[\x21-\x7e]+$/.test(value)) out[name] = value
  }
  return out
}

/** The largest back-channel logout request body read (a logout token is a few hundred bytes). */
export const MAX_LOGOUT_BODY = 64 * 1024

/**
 * The `logout_token` of a back-channel logout request (OpenID Back-Channel Logout 1.0 §2.5): an
 * `application/x-www-form-urlencoded` body with exactly one non-empty `logout_token`. What is
 * wrong otherwise, as a short reason for the 400's `error_description`.
 */
export const logoutTokenOf = (
  contentType: string | null,
  body: string
): { readonly _tag: "Token"; readonly token: string } | { readonly _tag: "Invalid"; readonly reason: string } => {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase()
  if (type !== "application/x-www-form-urlencoded") {
    return { _tag: "Invalid", reason: "the body must be application/x-www-form-urlencoded" }
  }
  const tokens = new URLSearchParams(body).getAll("logout_token")
  if (tokens.length !== 1 || tokens[0] === "") {
    return { _tag: "Invalid", reason: "the body must carry one logout_token" }
  }
  return { _tag: "Token", token: tokens[0]! }
}

/**
 * The body of a failed back-channel logout: an OAuth error (RFC 6749 §5.2) as OpenID Back-Channel
 * Logout 1.0 §2.8 allows: `invalid_request` for a bad token (400), `server_error` when the
 * session store failed (500; the tenant may send it again).
 */
export const backchannelErrorBody = (status: number, description: string): string =>
  JSON.stringify({ error: status >= 500 ? "server_error" : "invalid_request", error_description: description })
