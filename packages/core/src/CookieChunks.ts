/**
 * Cookie chunking: a value too long for one cookie is spread over `${name}.0`, `${name}.1`, ...
 * Names are exact, never matched by prefix: a reader looks up `${name}`, then `${name}.0`,
 * `${name}.1`, ... consecutively, so an unrelated cookie such as `${name}_x` or `${name}.extra`
 * can never be mistaken for part of the value.
 *
 * Limits come from RFC 6265 §6.1 ("Limits"): user agents should store at least 4096 bytes per
 * cookie, measured as the sum of the cookie's name, value and attributes, and at least 50
 * cookies per domain. Every `Set-Cookie` line written here therefore stays within
 * {@link MAX_COOKIE_BYTES} including its attributes, and a value needs at most
 * {@link MAX_CHUNKS} cookies (about 40 KB), a fifth of the per-domain minimum, leaving room for
 * the application's own cookies and for login transactions. Anything larger fails with
 * `StoreError({ reason: "too_large" })` rather than being truncated.
 *
 * Servers limit the size of the `Cookie` request header too (Node's default `maxHeaderSize` is
 * 16 KiB for all headers), so the stores also keep the SDK's cookies within
 * `cookie.maxHeaderBytes` ({@link headerBytes}), well below the bound above.
 *
 * Pure: no services, no I/O.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { StoreError } from "./Errors.js"
import { type CookieOptions, serializeCookie } from "./RequestCookies.js"

/** Bytes one `Set-Cookie` value may take: name, `=`, encoded value and attributes (RFC 6265 §6.1). */
export const MAX_COOKIE_BYTES = 4096

/** Most cookies one value may be spread over: 10 of the 50 per domain RFC 6265 §6.1 guarantees. */
export const MAX_CHUNKS = 10

/**
 * How many chunk names (`${name}.0` .. `${name}.49`) are probed when clearing stale chunks:
 * the per-domain cookie minimum of RFC 6265 §6.1, so leftovers of any earlier (or foreign)
 * layout are found without matching names by prefix.
 */
export const SCAN_LIMIT = 50

export interface ChunkLimits {
  /** Default {@link MAX_COOKIE_BYTES}. */
  readonly maxCookieBytes?: number | undefined
  /** Default {@link MAX_CHUNKS}. */
  readonly maxChunks?: number | undefined
}

/** One cookie to set. */
export interface Chunk {
  readonly name: string
  readonly value: string
}

/** What a write does to the response: cookies to set, and stale cookies of this value to expire. */
export interface WritePlan {
  readonly set: ReadonlyArray<Chunk>
  readonly remove: ReadonlyArray<string>
}

/** The name of chunk `index` of cookie `name`. */
export const chunkName = (name: string, index: number): string => `${name}.${index}`

/** Characters `encodeURIComponent` leaves alone (ECMA-262 uriUnreserved). */
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]*$/

const utf8 = new TextEncoder()

/** Bytes a code point takes once percent-encoded by `encodeURIComponent` (as `serializeCookie` does). */
const encodedCodePointLength = (codePoint: number): number => {
  if (codePoint < 0x80) {
    return isUnreservedAscii(codePoint) ? 1 : 3
  }
  if (codePoint < 0x800) return 6
  if (codePoint < 0x10000) return 9
  return 12
}

const isUnreservedAscii = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || // a-z
  (c >= 0x41 && c <= 0x5a) || // A-Z
  (c >= 0x30 && c <= 0x39) || // 0-9
  c === 0x2d || c === 0x5f || c === 0x2e || c === 0x21 || c === 0x7e || c === 0x2a || c === 0x27 ||
  c === 0x28 || c === 0x29

/** Length of `encodeURIComponent(value)` without building it (and without throwing). */
export const encodedLength = (value: string): number => {
  if (UNRESERVED.test(value)) return value.length
  let total = 0
  for (const char of value) total += encodedCodePointLength(char.codePointAt(0)!)
  return total
}

/** Bytes of the `Set-Cookie` value for `name` with an empty value: name, `=` and attributes. */
const overhead = (name: string, options: CookieOptions): number =>
  utf8.encode(serializeCookie(name, "", options)).byteLength

/** Bytes of the `Set-Cookie` value that writing `value` under `name` produces. */
export const cookieBytes = (name: string, value: string, options: CookieOptions): number =>
  overhead(name, options) + encodedLength(value)

/**
 * The error for a value that does not fit. It names no cookie: a transaction cookie's name
 * carries its `state`, which must not reach logs.
 */
const tooLarge = (bytes: number, maxChunks: number, maxCookieBytes: number) =>
  new StoreError({
    reason: "too_large",
    message: `A cookie value of ${bytes} bytes (encoded) would need more than ${maxChunks} cookies of ` +
      `${maxCookieBytes} bytes; browsers are only required to keep ${MAX_COOKIE_BYTES} bytes per cookie and ` +
      `50 cookies per domain (RFC 6265 §6.1). Use a stateful session store for large sessions.`
  })

/**
 * Splits `value` into the cookies that carry it: `[${name}]` when one cookie fits, else
 * `${name}.0`, `${name}.1`, ..., each `Set-Cookie` within `maxCookieBytes` with `options`'
 * attributes. Splits fall between code points, so every chunk is itself a well-formed string.
 * Fails with `StoreError({ reason: "too_large" })` when more than `maxChunks` would be needed.
 */
export const split = (
  name: string,
  value: string,
  options: CookieOptions,
  limits?: ChunkLimits
): Either.Either<ReadonlyArray<Chunk>, StoreError> => {
  const maxCookieBytes = limits?.maxCookieBytes ?? MAX_COOKIE_BYTES
  const maxChunks = limits?.maxChunks ?? MAX_CHUNKS
  const total = encodedLength(value)
  if (overhead(name, options) + total <= maxCookieBytes) return Either.right([{ name, value }])
  if (maxChunks <= 1) return Either.left(tooLarge(total, maxChunks, maxCookieBytes))

  const chunks: Array<Chunk> = []
  const ascii = total === value.length
  let start = 0
  while (start < value.length) {
    const index = chunks.length
    if (index >= maxChunks) return Either.left(tooLarge(total, maxChunks, maxCookieBytes))
    const chunk = chunkName(name, index)
    const budget = maxCookieBytes - overhead(chunk, options)
    if (budget <= 12) return Either.left(tooLarge(total, maxChunks, maxCookieBytes))
    let end: number
    if (ascii) {
      end = Math.min(value.length, start + budget)
    } else {
      end = start
      let used = 0
      while (end < value.length) {
        const codePoint = value.codePointAt(end)!
        const length = encodedCodePointLength(codePoint)
        if (used + length > budget) break
        used += length
        end += codePoint > 0xffff ? 2 : 1
      }
    }
    chunks.push({ name: chunk, value: value.slice(start, end) })
    start = end
  }
  return Either.right(chunks)
}

/** Names of this cookie's stale chunks present in the request, from `${name}.${from}` up to the scan limit. */
const presentChunks = (name: string, from: number, has: (name: string) => boolean): Array<string> => {
  const present: Array<string> = []
  for (let i = from; i < SCAN_LIMIT; i++) {
    const candidate = chunkName(name, i)
    if (has(candidate)) present.push(candidate)
  }
  return present
}

/**
 * What writing `value` under `name` does: the cookies to set (see {@link split}) and every cookie
 * of an earlier, longer or differently split value that the request still carries (found by
 * exact names up to {@link SCAN_LIMIT}), which must be expired so it cannot be read back.
 */
export const planWrite = (
  name: string,
  value: string,
  options: CookieOptions,
  has: (name: string) => boolean,
  limits?: ChunkLimits
): Either.Either<WritePlan, StoreError> =>
  Either.map(split(name, value, options, limits), (set) => {
    if (set.length === 1 && set[0]!.name === name) return { set, remove: presentChunks(name, 0, has) }
    const remove = presentChunks(name, set.length, has)
    if (has(name)) remove.unshift(name)
    return { set, remove }
  })

/** Every cookie of `name` the request carries (`${name}` and `${name}.0` .. `${name}.49`), to expire them all. */
export const planClear = (name: string, has: (name: string) => boolean): ReadonlyArray<string> => {
  const remove = presentChunks(name, 0, has)
  if (has(name)) remove.unshift(name)
  return remove
}

/**
 * Reads the value back: `${name}` when present, else `${name}.0`, `${name}.1`, ... joined until
 * the first missing index. `None` when neither `${name}` nor `${name}.0` is there. A chunk lost
 * in the middle or at the end yields a shortened value; callers that encrypt (as the session
 * stores do) reject it because its authentication tag no longer matches.
 */
export const read = (name: string, get: (name: string) => string | undefined): Option.Option<string> =>
  Option.map(readParts(name, get), (parts) => parts.join(""))

/** The cookies {@link read} joins: `[${name}]`, or `${name}.0`, `${name}.1`, ... up to the first missing index. */
export const readParts = (
  name: string,
  get: (name: string) => string | undefined
): Option.Option<ReadonlyArray<string>> => {
  const whole = get(name)
  if (whole !== undefined) return Option.some([whole])
  const parts: Array<string> = []
  for (let i = 0; i < SCAN_LIMIT; i++) {
    const part = get(chunkName(name, i))
    if (part === undefined) break
    parts.push(part)
  }
  return parts.length === 0 ? Option.none() : Option.some(parts)
}

/**
 * Whether the request's cookies of `name` look planted rather than written by us (cookie
 * tossing): a name of the family (`${name}`, `${name}.0` .. `${name}.49`) sent twice, the whole
 * cookie next to chunks, or a chunk past a gap after `${name}.0` .. `${name}.${n - 1}`. None of
 * these can come from {@link planWrite}, which expires every stale cookie of the family in the
 * response that writes a value. A browser sends both copies of a name when they differ in
 * Domain or Path (RFC 6265 §5.4), so "first wins" lets a sibling subdomain choose what we read.
 * Only orphaned chunks without `${name}` or `${name}.0` are not tampering: nothing reads them.
 */
export const isTampered = (
  name: string,
  has: (name: string) => boolean,
  duplicated: (name: string) => boolean
): boolean => {
  if (duplicated(name)) return true
  let count = 0
  for (let i = 0; i < SCAN_LIMIT; i++) {
    const chunk = chunkName(name, i)
    if (duplicated(chunk)) return true
    if (has(chunk) && i === count) count++
    else if (has(chunk) && count > 0) return true
  }
  return has(name) && count > 0
}

/**
 * Bytes `cookies` take in a `Cookie` request header: `name=value` pairs joined by `; `
 * (RFC 6265 §5.4), values percent-encoded as {@link serializeCookie} writes them.
 */
export const headerBytes = (cookies: Iterable<readonly [string, string]>): number => {
  let total = 0
  let count = 0
  for (const [name, value] of cookies) {
    total += utf8.encode(name).byteLength + 1 + encodedLength(value)
    count++
  }
  return count === 0 ? 0 : total + 2 * (count - 1)
}
