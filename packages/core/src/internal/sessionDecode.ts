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

/** Copies an optional field when absent (`true`, nothing copied) or of its type; `false` otherwise. */
const optional = (
  out: Record<string, unknown>,
  input: Input,
  key: string,
  is: (value: unknown) => boolean
): boolean => {
  if (!Object.hasOwn(input, key)) return true
  const value = input[key]
  if (!is(value)) return false
  out[key] = value
  return true
}

const tokenSet = (input: unknown): TokenSet | undefined => {
  if (!isRecord(input)) return undefined
  const { audience, accessToken, scope, expiresAt } = input
  if (!isString(audience) || !isString(accessToken) || !isString(scope)) return undefined
  const out: Record<string, unknown> = { audience, accessToken, scope }
  if (!optional(out, input, "requestedScope", isString) || !isNumber(expiresAt)) return undefined
  out["expiresAt"] = expiresAt
  return optional(out, input, "tokenType", isTokenType) ? out as TokenSet : undefined
}

const connectionTokenSet = (input: unknown): ConnectionTokenSet | undefined => {
  if (!isRecord(input)) return undefined
  const { connection, accessToken, scope, expiresAt } = input
  if (!isString(connection)) return undefined
  const out: Record<string, unknown> = { connection }
  if (!optional(out, input, "loginHint", isString) || !isString(accessToken) || !isString(scope) || !isNumber(expiresAt)) {
    return undefined
  }
  out["accessToken"] = accessToken
  out["scope"] = scope
  out["expiresAt"] = expiresAt
  return optional(out, input, "tokenType", isTokenType) ? out as ConnectionTokenSet : undefined
}

const array = <A>(input: unknown, item: (value: unknown) => A | undefined): Array<A> | undefined => {
  if (!Array.isArray(input)) return undefined
  const out: Array<A> = []
  for (const value of input) {
    const decoded = item(value)
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

const organization = (input: unknown): boolean => isRecord(input) && isString(input["id"]) &&
  (!Object.hasOwn(input, "name") || isString(input["name"]))

/** What `Schema.decodeUnknown(SessionData)` gives for `input` when this is sure of it; else `undefined` (ask the Schema). */
export const decodeSession = (input: unknown): SessionData | undefined => {
  if (!isRecord(input)) return undefined
  const claims = user(input["user"])
  if (claims === undefined) return undefined
  const out: Record<string, unknown> = { user: claims }
  if (!optional(out, input, "idToken", isString) || !optional(out, input, "refreshToken", isString)) return undefined
  const tokenSets = array(input["tokenSets"], tokenSet)
  const connectionTokenSets = tokenSets && array(input["connectionTokenSets"], connectionTokenSet)
  if (connectionTokenSets === undefined) return undefined
  out["tokenSets"] = tokenSets
  out["connectionTokenSets"] = connectionTokenSets
  if (Object.hasOwn(input, "organization")) {
    const org = input["organization"] as Input
    if (!organization(org)) return undefined
    out["organization"] = Object.hasOwn(org, "name") ? { id: org["id"], name: org["name"] } : { id: org["id"] }
  }
  const internal = input["internal"]
  if (!isRecord(internal)) return undefined
  const bookkeeping: Record<string, unknown> = {}
  if (!optional(bookkeeping, internal, "sid", isString) || !isNumber(internal["createdAt"])) return undefined
  bookkeeping["createdAt"] = internal["createdAt"]
  out["internal"] = bookkeeping
  return out as SessionData
}
