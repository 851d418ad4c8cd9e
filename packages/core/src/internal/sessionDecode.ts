/**
 * The cookie store's session decode without the Schema interpreter for the common case: a plain
 * check of exactly the shape `SessionData` accepts, building what its decode builds (the same
 * fields in the same order, unknown fields dropped, user claims through `withStandardTypes`). It
 * runs on every request; the Schema decode costs several times as much for the same answer.
 *
 * It only ever says yes: anything it is not sure of (a missing or mistyped field, an optional
 * field present as `undefined`) is `undefined`, and the caller then asks the Schema, which
 * stays the one judge of every other input. A property test checks that whatever this accepts,
 * the Schema decodes to the very same value.
 *
 * @internal
 */
import { type SessionData, type TokenSet, type ConnectionTokenSet, type UserClaims, withStandardTypes } from "../Session.js"

type Input = { readonly [key: string]: unknown }

const isRecord = (value: unknown): value is Input =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isString = (value: unknown): value is string => typeof value === "string"
const isNumber = (value: unknown): value is number => typeof value === "number"
const isTokenType = (value: unknown): value is "DPoP" | "Bearer" => value === "DPoP" || value === "Bearer"

/**
 * How an optional field present as `undefined` is read: `"schema"` leaves it to the Schema (the
 * decode); `"json"` reads it as absent, as `JSON.stringify` writes it (the encode, whose output is
 * only ever serialized).
 */
type Mode = "schema" | "json"

/** Whether `key` is there to read: an own field, and in `"json"` mode not left `undefined`. */
const present = (input: Input, key: string, mode: Mode): boolean =>
  Object.hasOwn(input, key) && !(mode === "json" && input[key] === undefined)

/** Copies an optional field when absent (`true`, nothing copied) or of its type; `false` otherwise. */
const optional = (
  out: Record<string, unknown>,
  input: Input,
  key: string,
  is: (value: unknown) => boolean,
  mode: Mode
): boolean => {
  if (!present(input, key, mode)) return true
  const value = input[key]
  if (!is(value)) return false
  out[key] = value
  return true
}

const tokenSet = (input: unknown, mode: Mode): TokenSet | undefined => {
  if (!isRecord(input)) return undefined
  const { audience, accessToken, scope, expiresAt } = input
  if (!isString(audience) || !isString(accessToken) || !isString(scope)) return undefined
  const out: Record<string, unknown> = { audience, accessToken, scope }
  if (!optional(out, input, "requestedScope", isString, mode) || !isNumber(expiresAt)) return undefined
  out["expiresAt"] = expiresAt
  return optional(out, input, "tokenType", isTokenType, mode) ? out as TokenSet : undefined
}

const connectionTokenSet = (input: unknown, mode: Mode): ConnectionTokenSet | undefined => {
  if (!isRecord(input)) return undefined
  const { connection, accessToken, scope, expiresAt } = input
  if (!isString(connection)) return undefined
  const out: Record<string, unknown> = { connection }
  if (!optional(out, input, "loginHint", isString, mode) || !isString(accessToken) || !isString(scope) || !isNumber(expiresAt)) {
    return undefined
  }
  out["accessToken"] = accessToken
  out["scope"] = scope
  out["expiresAt"] = expiresAt
  return optional(out, input, "tokenType", isTokenType, mode) ? out as ConnectionTokenSet : undefined
}

const array = <A>(input: unknown, item: (value: unknown, mode: Mode) => A | undefined, mode: Mode): Array<A> | undefined => {
  if (!Array.isArray(input)) return undefined
  const out: Array<A> = []
  for (const value of input) {
    const decoded = item(value, mode)
    if (decoded === undefined) return undefined
    out.push(decoded)
  }
  return out
}

/** `sub` first, then every other own key in input order, as the Schema's record decode builds it. */
const user = (input: unknown): UserClaims | undefined => {
  if (!isRecord(input) || !isString(input["sub"]) || Object.getPrototypeOf(input) !== Object.prototype) return undefined
  const out: Record<string, unknown> = { sub: input["sub"] }
  for (const key of Object.keys(input)) {
    // An own `__proto__` (JSON.parse makes one) would set the copy's prototype: left to the Schema.
    if (key === "__proto__") return undefined
    if (key !== "sub") out[key] = input[key]
  }
  return withStandardTypes(out as UserClaims)
}

const organization = (input: unknown, mode: Mode): boolean => isRecord(input) && isString(input["id"]) &&
  (!present(input, "name", mode) || isString(input["name"]))

/** What `Schema.decodeUnknown(SessionData)` gives for `input` when this is sure of it; else `undefined` (ask the Schema). */
export const decodeSession = (input: unknown): SessionData | undefined => plain(input, "schema")

const plain = (input: unknown, mode: Mode): SessionData | undefined => {
  if (!isRecord(input)) return undefined
  const claims = user(input["user"])
  if (claims === undefined) return undefined
  const out: Record<string, unknown> = { user: claims }
  if (!optional(out, input, "idToken", isString, mode) || !optional(out, input, "refreshToken", isString, mode)) return undefined
  const tokenSets = array(input["tokenSets"], tokenSet, mode)
  const connectionTokenSets = tokenSets && array(input["connectionTokenSets"], connectionTokenSet, mode)
  if (connectionTokenSets === undefined) return undefined
  out["tokenSets"] = tokenSets
  out["connectionTokenSets"] = connectionTokenSets
  if (present(input, "organization", mode)) {
    const org = input["organization"] as Input
    if (!organization(org, mode)) return undefined
    out["organization"] = present(org, "name", mode) ? { id: org["id"], name: org["name"] } : { id: org["id"] }
  }
  const internal = input["internal"]
  if (!isRecord(internal)) return undefined
  const bookkeeping: Record<string, unknown> = {}
  if (!optional(bookkeeping, internal, "sid", isString, mode) || !isNumber(internal["createdAt"])) return undefined
  bookkeeping["createdAt"] = internal["createdAt"]
  out["internal"] = bookkeeping
  return out as SessionData
}

/**
 * What `Schema.encode(SessionData)` gives for `data`, as `JSON.stringify` writes it (the same
 * text: fields, order, optional fields left `undefined` omitted), when this is sure of it; else
 * `undefined` (ask the Schema). The encoded form of a session is its decoded shape (the user
 * claims' transform encodes as the identity), so this is the plain decode, trusted only when it
 * dropped no claim: the decode drops a wrongly typed standard claim, the encode keeps it.
 */
export const encodeSession = (data: SessionData): SessionData | undefined => {
  const out = plain(data, "json")
  return out !== undefined && Object.keys(out.user).length === Object.keys(data.user).length ? out : undefined
}
