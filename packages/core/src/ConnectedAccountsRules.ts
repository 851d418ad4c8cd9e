/**
 * What the My Account API would refuse, checked before any network call, so a bad argument
 * costs no token request and fails with an {@link InvalidArgumentError} naming the field.
 *
 * Limits are those Auth0 publishes for the My Account API: "Create a connected account request"
 * (https://auth0.com/docs/api/myaccount/connected-accounts/create-connected-account-request):
 * `connection` 1..128 characters, `redirect_uri` at most 2048, `scopes` 1..100 elements of 1..255
 * characters each; `authorization_params` is the documented AuthorizationParams object
 * (acr_values, audience, resource, display, id_token_hint, login_hint, max_age, prompt,
 * ui_locales, access_type, scope; see the API definition published as auth0/myaccount-js,
 * `src/api/types/AuthorizationParams.ts`); and the list endpoints take `take` 1..20
 * ("Get a list of connected accounts",
 * https://auth0.com/docs/api/myaccount/connected-accounts/get-connected-accounts).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { InvalidArgumentError } from "./Errors.js"

/** Longest connection name the API accepts. */
export const CONNECTION_MAX_LENGTH = 128
/** Longest redirect_uri the API accepts. */
export const REDIRECT_URI_MAX_LENGTH = 2048
/** Most scopes one connect request may carry. */
export const SCOPES_MAX_COUNT = 100
/** Longest single scope the API accepts. */
export const SCOPE_MAX_LENGTH = 255
/** Smallest and largest page size of the list endpoints. */
export const TAKE_MIN = 1
export const TAKE_MAX = 20

/** The keys of the connect request's `authorization_params` object. */
export const AUTHORIZATION_PARAM_KEYS: ReadonlySet<string> = new Set([
  "acr_values",
  "audience",
  "resource",
  "display",
  "id_token_hint",
  "login_hint",
  "max_age",
  "prompt",
  "ui_locales",
  "access_type",
  "scope"
])

/** Authorization parameters forwarded to the upstream identity provider on connect. */
export interface ConnectAuthorizationParams {
  readonly acr_values?: string | undefined
  readonly audience?: string | undefined
  readonly resource?: string | undefined
  readonly display?: "page" | "popup" | "touch" | "wap" | undefined
  readonly id_token_hint?: string | undefined
  readonly login_hint?: string | undefined
  readonly max_age?: number | undefined
  readonly prompt?: "none" | "login" | "consent" | "select_account" | undefined
  readonly ui_locales?: string | undefined
  /** Google only: `offline` asks Google for a refresh token. */
  readonly access_type?: "offline" | "online" | undefined
  /** Space-separated scopes for the identity provider. */
  readonly scope?: string | undefined
}

const invalid = (argument: string, problem: string) =>
  Either.left(new InvalidArgumentError({ argument, message: `${argument} ${problem}` }))

/** A connection name: 1..128 characters. */
export const connection = (value: string, argument = "connection"): Either.Either<string, InvalidArgumentError> => {
  if (typeof value !== "string" || value.length === 0) return invalid(argument, "must be a non-empty connection name")
  if (value.length > CONNECTION_MAX_LENGTH) {
    return invalid(argument, `must be at most ${CONNECTION_MAX_LENGTH} characters (got ${value.length})`)
  }
  return Either.right(value)
}

/** The scopes asked of the identity provider: 1..100 of them, each 1..255 characters. */
export const scopes = (
  value: ReadonlyArray<string>,
  argument = "scopes"
): Either.Either<ReadonlyArray<string>, InvalidArgumentError> => {
  if (!Array.isArray(value)) return invalid(argument, "must be an array of scope strings")
  if (value.length === 0) return invalid(argument, "must not be empty (leave it out to use the connection's scopes)")
  if (value.length > SCOPES_MAX_COUNT) return invalid(argument, `must have at most ${SCOPES_MAX_COUNT} scopes (got ${value.length})`)
  for (const [index, scope] of value.entries()) {
    if (typeof scope !== "string" || scope.length === 0 || scope.length > SCOPE_MAX_LENGTH) {
      return invalid(`${argument}[${index}]`, `must be a scope of 1 to ${SCOPE_MAX_LENGTH} characters`)
    }
  }
  return Either.right(value)
}

/**
 * The connect request's `authorization_params`: only documented keys, strings everywhere except
 * `max_age` (a non-negative integer). `undefined` members are dropped.
 */
export const authorizationParams = (
  value: ConnectAuthorizationParams | Readonly<Record<string, unknown>>,
  argument = "authorizationParams"
): Either.Either<Readonly<Record<string, string | number>>, InvalidArgumentError> => {
  const out: Record<string, string | number> = {}
  for (const [key, param] of Object.entries(value)) {
    if (param === undefined) continue
    if (!AUTHORIZATION_PARAM_KEYS.has(key)) {
      return invalid(
        `${argument}.${key}`,
        `is not an authorization parameter the My Account API accepts (allowed: ${[...AUTHORIZATION_PARAM_KEYS].join(", ")})`
      )
    }
    if (key === "max_age") {
      if (typeof param !== "number" || !Number.isInteger(param) || param < 0) {
        return invalid(`${argument}.${key}`, "must be a non-negative integer")
      }
      out[key] = param
      continue
    }
    if (typeof param !== "string") return invalid(`${argument}.${key}`, "must be a string")
    out[key] = param
  }
  return Either.right(out)
}

/** A page size: an integer 1..20. */
export const take = (value: number, argument = "take"): Either.Either<number, InvalidArgumentError> =>
  typeof value === "number" && Number.isInteger(value) && value >= TAKE_MIN && value <= TAKE_MAX
    ? Either.right(value)
    : invalid(argument, `must be an integer from ${TAKE_MIN} to ${TAKE_MAX} (got ${String(value)})`)

/** A redirect URI: absolute, at most 2048 characters. */
export const redirectUri = (value: string, argument = "redirectUri"): Either.Either<string, InvalidArgumentError> => {
  if (typeof value !== "string" || value.length > REDIRECT_URI_MAX_LENGTH) {
    return invalid(argument, `must be an absolute URL of at most ${REDIRECT_URI_MAX_LENGTH} characters`)
  }
  try {
    new URL(value)
  } catch {
    return invalid(argument, "must be an absolute URL")
  }
  return Either.right(value)
}
