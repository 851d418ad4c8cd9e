/**
 * The cookie store's packed session: what goes into the encrypted cookie, smaller than the
 * session's plain JSON, and exactly the same session once unpacked.
 *
 * - Nothing twice: the user claims are left out when they are exactly what the ID token's
 *   payload gives (`userClaims`), and rebuilt from it on read.
 * - JWTs (the ID token, access tokens) are kept as `[header, payload, signature]` with header and
 *   payload as their JSON text, not base64url: DEFLATE then finds what the tokens share (one
 *   header, one `iss`, `sub`, `azp`, the scopes) and packs text at about 4 bits a character where
 *   base64url needs 6. Only a segment that is canonical base64url of UTF-8, and so re-encodes to
 *   the very same characters, is unpacked; any other token stays a string.
 *
 * A packed session is marked `v: 2`; a session without the mark (every cookie written before)
 * is read as it is.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Base64Url from "./base64url.js"
import { userClaims } from "./claims.js"
import type { Claims } from "../IdToken.js"

/** The mark of a packed session. */
export const PACKED_VERSION = 2

type Packed = string | readonly [string, string, string]

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

interface BufferLike {
  readonly from: (input: string | Uint8Array, encoding?: string) => Uint8Array & { readonly toString: (encoding: string) => string }
}
/** Node's, Bun's and Deno's `Buffer` codes base64url natively, about five times faster than a JS loop; elsewhere, effect's `Encoding`. */
const NativeBuffer = (globalThis as { readonly Buffer?: BufferLike }).Buffer

/** UTF-8 text as base64url without padding. */
const textToBase64Url = (text: string): string =>
  NativeBuffer ? NativeBuffer.from(text, "utf8").toString("base64url") : Encoding.encodeBase64Url(utf8.encode(text))

/** The bytes of a canonical base64url segment. */
const base64UrlBytes = (segment: string): Uint8Array | undefined => {
  if (NativeBuffer) return NativeBuffer.from(segment, "base64url")
  const bytes = Encoding.decodeBase64Url(segment)
  return Either.isLeft(bytes) ? undefined : bytes.right
}

/**
 * A base64url segment as text, if that text re-encodes to exactly the same characters: the
 * segment is canonical base64url (so it is the one encoding of its bytes), and the bytes are
 * valid UTF-8 (so they are the one encoding of their text; a leading BOM is kept as text, not
 * dropped). Nothing is encoded to check it.
 */
const segmentText = (segment: string): string | undefined => {
  if (!Base64Url.isCanonical(segment)) return undefined
  const bytes = base64UrlBytes(segment)
  if (bytes === undefined) return undefined
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** A JWS compact token as `[header, payload, signature]` (texts, then base64url), or the token unchanged. */
export const packToken = (token: string): Packed => {
  const parts = token.split(".")
  if (parts.length !== 3) return token
  const header = segmentText(parts[0]!)
  const payload = header === undefined ? undefined : segmentText(parts[1]!)
  return header === undefined || payload === undefined ? token : [header, payload, parts[2]!]
}

const isPackedToken = (value: unknown): value is readonly [string, string, string] =>
  Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === "string")

/** The token `packToken` packed; anything else unchanged (the session decode judges it). */
export const unpackToken = (value: unknown): unknown =>
  isPackedToken(value)
    ? `${textToBase64Url(value[0])}.${textToBase64Url(value[1])}.${value[2]}`
    : value

/** Whether two JSON values are equal (objects by keys, in any order). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) return a.length === (b as Array<unknown>).length && a.every((item, i) => jsonEqual(item, (b as Array<unknown>)[i]))
  const keysA = Object.keys(a)
  const keysB = Object.keys(b)
  return keysA.length === keysB.length &&
    keysA.every((key) => Object.hasOwn(b, key) && jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
}

/** The user claims an ID token payload (JSON text) gives, if it parses to an object. */
const claimsOf = (payloadText: string): unknown => {
  try {
    const claims: unknown = JSON.parse(payloadText)
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? userClaims(claims as Claims) : undefined
  } catch {
    return undefined
  }
}

interface TokenHolder {
  readonly accessToken: string
}

/** The encoded session (the `SessionData` Schema's JSON form) packed for the cookie. */
export const pack = (session: {
  readonly user: unknown
  readonly idToken?: string | undefined
  readonly tokenSets: ReadonlyArray<TokenHolder>
  readonly [field: string]: unknown
}): unknown => {
  const { user, idToken, tokenSets, ...rest } = session
  const packedId = idToken === undefined ? undefined : packToken(idToken)
  const derived = packedId !== undefined && typeof packedId !== "string" && jsonEqual(claimsOf(packedId[1]), user)
  return {
    v: PACKED_VERSION,
    ...rest,
    ...(derived ? {} : { user }),
    ...(packedId !== undefined ? { idToken: packedId } : {}),
    tokenSets: tokenSets.map((set) => ({ ...set, accessToken: packToken(set.accessToken) }))
  }
}

/** A cookie payload as the `SessionData` Schema decodes it: packed ones unpacked, older ones as they are. */
export const unpack = (payload: unknown): unknown => {
  if (typeof payload !== "object" || payload === null || (payload as { readonly v?: unknown }).v !== PACKED_VERSION) {
    return payload
  }
  const { v: _v, user, idToken, tokenSets, ...rest } = payload as Record<string, unknown>
  const out: Record<string, unknown> = { ...rest }
  if (idToken !== undefined) out["idToken"] = unpackToken(idToken)
  out["user"] = user !== undefined ? user : isPackedToken(idToken) ? claimsOf(idToken[1]) : undefined
  out["tokenSets"] = Array.isArray(tokenSets)
    ? tokenSets.map((set: unknown) =>
      typeof set === "object" && set !== null
        ? { ...set, accessToken: unpackToken((set as { readonly accessToken?: unknown }).accessToken) }
        : set
    )
    : tokenSets
  return out
}
