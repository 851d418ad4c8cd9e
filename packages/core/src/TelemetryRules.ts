/**
 * The pure rules behind telemetry: what a span attribute, a log line or a metric tag may carry.
 * Nothing token-shaped leaves: JWS/JWE compact serializations, long base64url or hex runs, the
 * values of `password=`-style pairs, and any value the app names as secret are replaced by
 * {@link REDACTED}; URLs lose their query, fragment and userinfo (CWE-532).
 *
 * @since 0.1.0
 */

/** What a redacted value reads as. */
export const REDACTED = "[redacted]"

/** Shortest base64url/hex run treated as a credential: 32 chars hold 192 bits, more than any id we print. */
export const MIN_TOKEN_RUN = 32

/**
 * A JWS (3 parts) or JWE (5 parts, the second empty with `dir`) compact serialization: its
 * first part is a base64url JSON object, so it starts with `eyJ` (`{"`) (RFC 7515 §7.1, RFC 7516 §7.1).
 */
const COMPACT_JOSE = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,4}/g

/** Runs of base64url (hex is a subset) characters, candidates for {@link isTokenShaped}. */
const RUN = /[A-Za-z0-9_-]{32,}/g

/** `password=...`, `"client_secret": "..."`, `code: ...`: the value after a secret-named key. */
const SECRET_PAIR =
  /(\b(?:password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|logout_token|code|code_verifier|verifier|assertion|otp|binding_code|recovery_code|mfa_token|auth_req_id|subject_token|actor_token|dpop|cookie|authorization)["']?\s*[:=]\s*["']?)([^\s"'&,;]+)/gi

/**
 * Whether a run of base64url characters looks like a credential rather than a word: at least
 * {@link MIN_TOKEN_RUN} long, with a digit or both letter cases (`federated-connection-access-token`
 * is a word; 32 random base64url characters lack both with probability under 1e-9).
 */
export const isTokenShaped = (run: string): boolean =>
  run.length >= MIN_TOKEN_RUN && /^[A-Za-z0-9_-]+$/.test(run) &&
  (/[0-9]/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run)))

/**
 * `text` with every token-shaped part and every known secret replaced by {@link REDACTED}.
 * Secrets shorter than 4 characters are ignored (they would blank ordinary words).
 */
export const scrub = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out
    .replace(COMPACT_JOSE, REDACTED)
    .replace(RUN, (run) => (isTokenShaped(run) ? REDACTED : run))
    .replace(SECRET_PAIR, (_, key: string, value: string) => (value === REDACTED ? `${key}${value}` : `${key}${REDACTED}`))
}

/** A value of any shape with every string in it scrubbed (records and arrays to depth 4; errors as `Name: message`). */
export const scrubUnknown = (value: unknown, secrets: ReadonlyArray<string> = [], depth = 0): unknown => {
  if (typeof value === "string") return scrub(value, secrets)
  if (value === null || typeof value !== "object") return value
  if (depth >= 4) return "[object]"
  if (value instanceof Error) {
    const tag = (value as { _tag?: unknown })._tag
    return `${typeof tag === "string" ? tag : value.name}: ${scrub(value.message, secrets)}`
  }
  if (Array.isArray(value)) return value.map((item) => scrubUnknown(item, secrets, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = scrubUnknown(item, secrets, depth + 1)
  return out
}

/**
 * The path of a URL, nothing else: no query (codes, tokens, `state` travel there), no
 * fragment, no userinfo, no origin. `(invalid URL)` for what does not parse.
 */
export const urlPath = (url: string | URL): string => {
  try {
    return (typeof url === "string" ? new URL(url) : url).pathname
  } catch {
    return "(invalid URL)"
  }
}

/** The host (and port) of a URL, or `undefined`. */
export const serverAddress = (url: string | URL): string | undefined => {
  try {
    return (typeof url === "string" ? new URL(url) : url).host
  } catch {
    return undefined
  }
}

/**
 * A path segment that names one thing (an account id, a user id, an authenticator id) rather
 * than an endpoint: it has a digit and 6+ characters, a `|` (as in `google-oauth2|123`), or is
 * over 32 characters. Such segments would make a metric tag per user.
 */
const isIdSegment = (segment: string): boolean => {
  let decoded = segment
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    return true
  }
  return decoded.includes("|") || decoded.length > 32 || (decoded.length >= 6 && /[0-9]/.test(decoded))
}

/** The endpoint of a URL for a metric tag: {@link urlPath} with id-like segments as `{id}` (`/me/v1/connected-accounts/accounts/{id}`). */
export const endpointPath = (url: string | URL): string => {
  const path = urlPath(url)
  if (path === "(invalid URL)") return path
  return path.split("/").map((segment) => (segment !== "" && isIdSegment(segment) ? "{id}" : segment)).join("/")
}

/** The attribute keys our own spans may carry; anything else set on them is dropped. */
export const ALLOWED_ATTRIBUTES: ReadonlySet<string> = new Set([
  "auth0.audience",
  "auth0.scope",
  "auth0.connection",
  "auth0.cache",
  "auth0.token.kind",
  "auth0.refresh",
  "auth0.lock.waited",
  "auth0.store",
  "auth0.store.operation",
  "auth0.attempt",
  "auth0.callback",
  "auth0.organization",
  "auth0.sessions.deleted",
  "auth0.mfa.factor",
  "auth0.grant",
  "error.type",
  "http.request.method",
  "http.response.status_code",
  "server.address",
  "url.path",
  "code.stacktrace"
])

/** Whether a span is one of ours (its attributes are then held to {@link ALLOWED_ATTRIBUTES}). */
export const isOwnSpan = (spanName: string): boolean => spanName.startsWith("auth0.")

/**
 * The value an attribute may be recorded with, or `undefined` to drop it: on our spans only
 * {@link ALLOWED_ATTRIBUTES}; on any span, strings scrubbed and `url.*` values cut to their path.
 */
export const safeAttribute = (
  spanName: string,
  key: string,
  value: unknown,
  secrets: ReadonlyArray<string> = []
): unknown => {
  if (isOwnSpan(spanName) && !ALLOWED_ATTRIBUTES.has(key)) return undefined
  if (typeof value === "string") {
    if (key === "url.full" || key === "url.path" || key === "http.url") return scrub(urlPath(value.startsWith("/") ? `http://x${value}` : value), secrets)
    if (key === "url.query") return undefined
    return scrub(value, secrets)
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return value
  if (value === undefined || value === null) return undefined
  return scrubUnknown(value, secrets)
}
