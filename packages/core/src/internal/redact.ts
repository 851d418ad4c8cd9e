/**
 * The credentials a request carries, so that nothing read back from its answer (an
 * `error_description`, a problem `detail`) can put them into an error (CWE-532): a broken or
 * hostile server may echo the request.
 *
 * @internal
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Encoding from "effect/Encoding"

/** Form and JSON members that hold a credential, a grant or a proof (RFC 6749, 7636, 7523, 8693, Auth0 My Account). */
export const SENSITIVE_PARAMETERS: ReadonlySet<string> = new Set([
  "client_secret",
  "client_assertion",
  "assertion",
  "code",
  "code_verifier",
  "refresh_token",
  "access_token",
  "id_token",
  "id_token_hint",
  "subject_token",
  "actor_token",
  "password",
  "otp",
  "binding_code",
  "recovery_code",
  "mfa_token",
  "oob_code",
  "auth_req_id",
  "device_code",
  "connect_code",
  "auth_session",
  "logout_token",
  "token",
  "verification_code",
  "session_transfer_token"
])

/** Shorter values are left alone: redacting "a" would mangle every message. */
const MIN_LENGTH = 6

const formDecode = (value: string): string => {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "))
  } catch {
    return value
  }
}

const variants = (value: string): Array<string> =>
  [value, encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, "+")]

const fromAuthorization = (header: string): Array<string> => {
  const [scheme, credentials] = header.split(/\s+/, 2)
  if (credentials === undefined) return [header]
  const out = [header, credentials]
  if (scheme?.toLowerCase() === "basic") {
    const decoded = Encoding.decodeBase64String(credentials)
    if (decoded._tag === "Right") {
      const colon = decoded.right.indexOf(":")
      out.push(decoded.right)
      if (colon >= 0) out.push(formDecode(decoded.right.slice(colon + 1)), decoded.right.slice(colon + 1))
    }
  }
  return out
}

const fromBody = (body: HttpClientRequest.HttpClientRequest["body"]): Array<string> => {
  if (body._tag !== "Uint8Array") return []
  const text = new TextDecoder().decode(body.body)
  const type = body.contentType.split(";")[0]!.trim().toLowerCase()
  const out: Array<string> = []
  if (type === "application/x-www-form-urlencoded") {
    for (const [key, value] of new URLSearchParams(text)) if (SENSITIVE_PARAMETERS.has(key)) out.push(...variants(value))
  } else if (type === "application/json" || type.endsWith("+json")) {
    try {
      const parsed = JSON.parse(text) as unknown
      if (typeof parsed === "object" && parsed !== null) {
        for (const [key, value] of Object.entries(parsed)) {
          if (SENSITIVE_PARAMETERS.has(key) && typeof value === "string") out.push(...variants(value))
        }
      }
    } catch {
      // Not JSON after all: nothing to collect.
    }
  }
  return out
}

/** Every credential `request` carries (Authorization, Cookie, DPoP headers; sensitive body members), longest first. */
export const sensitiveValues = (request: HttpClientRequest.HttpClientRequest): ReadonlyArray<string> => {
  const out: Array<string> = []
  const authorization = request.headers["authorization"]
  if (authorization) out.push(...fromAuthorization(authorization))
  const cookie = request.headers["cookie"]
  if (cookie) out.push(cookie, ...cookie.split(";").map((c) => c.slice(c.indexOf("=") + 1).trim()))
  const dpop = request.headers["dpop"]
  if (dpop) out.push(dpop)
  for (const [key, value] of request.urlParams) if (SENSITIVE_PARAMETERS.has(key)) out.push(...variants(value))
  out.push(...fromBody(request.body))
  return [...new Set(out.filter((value) => value.length >= MIN_LENGTH))].sort((a, b) => b.length - a.length)
}
