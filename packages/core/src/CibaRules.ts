/**
 * Pure rules of Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0, poll mode) as
 * Auth0 implements it: the `iss_sub` login hint, the binding message, the polling interval and
 * its `slow_down` increase, the deadline from `expires_in`, and how a poll's answer is read.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-initiated-backchannel-authentication-flow
 * @since 0.1.0
 */
import type { TokenEndpointError } from "./Errors.js"

/** The grant type polled at the token endpoint (CIBA Core §10.1). */
export const GRANT_TYPE = "urn:openid:params:grant-type:ciba"

/** CIBA Core §7.3: without an `interval` in the answer, clients wait 5 seconds between polls. */
export const DEFAULT_INTERVAL_SECONDS = 5

/** CIBA Core §11 (as RFC 8628 §3.5): on `slow_down` the interval grows by 5 seconds, for every later poll. */
export const SLOW_DOWN_INCREMENT_SECONDS = 5

/**
 * Auth0's binding message: 1 to 64 letters, digits, whitespace or `+-_.,:#`, shown on both the
 * consumption and the authentication device (CIBA Core §7.1 `binding_message`).
 */
export const BINDING_MESSAGE_PATTERN = /^[A-Za-z0-9\s+\-_.,:#]{1,64}$/

/**
 * Auth0's login hint for a user id: the JSON string
 * `{"format":"iss_sub","iss":"<tenant issuer>","sub":"<user id>"}` (CIBA Core §7.1 `login_hint`;
 * the `iss_sub` format of RFC 9493 §3.2.5).
 */
export const loginHint = (issuer: string, sub: string): string => JSON.stringify({ format: "iss_sub", iss: issuer, sub })

/** What is wrong with a binding message, or `undefined` when Auth0 accepts it. */
export const bindingMessageProblem = (message: string): string | undefined =>
  BINDING_MESSAGE_PATTERN.test(message)
    ? undefined
    : "bindingMessage must be 1 to 64 letters, digits, spaces or + - _ . , : # (Auth0's rule)"

/** CIBA Core §7.1: `requested_expiry` is a positive integer number of seconds. */
export const requestedExpiryProblem = (seconds: number): string | undefined =>
  Number.isSafeInteger(seconds) && seconds > 0 ? undefined : "requestedExpiry must be a positive whole number of seconds"

/**
 * RFC 9396 §2: `authorization_details` is a JSON array of objects, each with a string `type`.
 * What is wrong, or `undefined`.
 */
export const authorizationDetailsProblem = (details: unknown): string | undefined => {
  if (!Array.isArray(details)) return "authorizationDetails must be an array"
  for (const [index, entry] of details.entries()) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return `authorizationDetails[${index}] must be an object`
    }
    const type = (entry as Record<string, unknown>)["type"]
    if (typeof type !== "string" || type.length === 0) return `authorizationDetails[${index}].type must be a non-empty string`
  }
  try {
    JSON.stringify(details)
  } catch {
    return "authorizationDetails must be JSON-serializable"
  }
  return undefined
}

/** The RFC 9396 entries of a token response, or `undefined` when absent or not that shape. */
export const readAuthorizationDetails = (value: unknown): ReadonlyArray<AuthorizationDetail> | undefined =>
  value !== undefined && authorizationDetailsProblem(value) === undefined ? (value as ReadonlyArray<AuthorizationDetail>) : undefined

/** One RFC 9396 authorization detail: a `type` and whatever fields that type defines. */
export interface AuthorizationDetail {
  readonly type: string
  readonly [field: string]: unknown
}

/**
 * The interval the server announced (CIBA Core §7.3), in whole seconds: a missing, non-numeric or
 * non-positive value means the default 5 s, so a broken answer cannot make us poll in a loop.
 */
export const initialInterval = (interval: unknown): number =>
  typeof interval === "number" && Number.isFinite(interval) && interval >= 1 ? Math.ceil(interval) : DEFAULT_INTERVAL_SECONDS

/** The interval after a poll: +5 s after `slow_down` (CIBA Core §11), unchanged otherwise. */
export const nextInterval = (current: number, outcome: PollOutcome): number =>
  outcome === "slow_down" ? current + SLOW_DOWN_INCREMENT_SECONDS : current

/**
 * The moment (epoch milliseconds) the request expires: `expires_in` seconds (CIBA Core §7.3) after
 * the start was sent. Counting from before the request keeps us from polling a dead request.
 */
export const deadline = (startedAtMillis: number, expiresInSeconds: number): number => startedAtMillis + expiresInSeconds * 1000

/** Whether a poll `intervalSeconds` from `nowMillis` would still be before the deadline. */
export const mayPollAgain = (nowMillis: number, intervalSeconds: number, deadlineMillis: number): boolean =>
  nowMillis + intervalSeconds * 1000 < deadlineMillis

/**
 * How to read a failed poll (CIBA Core §11): wait (`authorization_pending`), wait longer
 * (`slow_down`), or stop: the user said no (`access_denied`), the request expired
 * (`expired_token`), or anything else is a token endpoint error.
 */
export type PollOutcome = "pending" | "slow_down" | "denied" | "expired" | "failed"

export const classify = (error: Pick<TokenEndpointError, "error">): PollOutcome => {
  switch (error.error) {
    case "authorization_pending":
      return "pending"
    case "slow_down":
      return "slow_down"
    case "access_denied":
      return "denied"
    case "expired_token":
      return "expired"
    default:
      return "failed"
  }
}
