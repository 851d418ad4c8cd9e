/**
 * The current request's cookies and the cookies its response will set. Cookie-backed stores
 * read and write through this service; adapters build one per request from the `Cookie`
 * header and turn what was set into `Set-Cookie` headers.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

export interface CookieOptions {
  readonly httpOnly: boolean
  readonly secure: boolean
  readonly sameSite: "lax" | "strict" | "none"
  readonly path: string
  readonly domain?: string | undefined
  /** Seconds; omitted for a browser-session cookie. */
  readonly maxAge?: number | undefined
}

export interface CookieJar {
  /** The request's value for exactly this name (no prefix matching); the first one when it came twice. */
  readonly get: (name: string) => string | undefined
  /**
   * Whether the request carried this name more than once (and it was not set since): someone
   * else's cookie shadows or doubles ours (cookie tossing). Stores treat it as tampering.
   */
  readonly duplicated: (name: string) => boolean
  /** Every cookie name the request carried (plus any set during this request). */
  readonly names: () => ReadonlyArray<string>
  readonly set: (name: string, value: string, options: CookieOptions) => void
  /** Expires the cookie in the browser. */
  readonly remove: (name: string, options: CookieOptions) => void
}

export class RequestCookies extends Context.Tag("@auth0-effect/core/RequestCookies")<RequestCookies, CookieJar>() {
  /** A jar that reads what it writes: a browser and its requests in one, for tests and scripts. */
  static readonly memory: Layer.Layer<RequestCookies> = Layer.sync(RequestCookies, () => makeMemoryJar())
}

/** A parsed `Cookie` header: each name's first value, and the names that came more than once. */
export class ParsedCookies extends Map<string, string> {
  /** Names the header carried more than once. */
  readonly duplicates = new Set<string>()
}

/**
 * Parses a `Cookie` header. Never throws: undecodable values are kept raw, junk is skipped.
 *
 * A name that appears twice is recorded in `duplicates` (its first value is kept in the map).
 * A browser sends two cookies of one name when they differ in Domain or Path (RFC 6265 §5.4):
 * typically the app's own host-only cookie plus one a sibling subdomain planted with
 * `Domain=example.com` or a narrower `Path` (cookie tossing). The order is chosen by the
 * attacker (a longer Path is sent first), so "first wins" lets the attacker pick the value; the
 * stores instead read a duplicated name as no session / no transaction.
 */
export const parseCookieHeader = (header: string | null | undefined): ParsedCookies => {
  const cookies = new ParsedCookies()
  if (!header) return cookies
  for (const part of header.split(";")) {
    const eq = part.indexOf("=")
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (name === "") continue
    if (cookies.has(name)) {
      cookies.duplicates.add(name)
      continue
    }
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.slice(1, -1)
    cookies.set(name, safeDecode(value))
  }
  return cookies
}

const safeDecode = (value: string): string => {
  if (!value.includes("%")) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Serializes one `Set-Cookie` header value. */
export const serializeCookie = (name: string, value: string, options: CookieOptions): string => {
  let out = `${name}=${encodeURIComponent(value)}; Path=${options.path}`
  if (options.domain) out += `; Domain=${options.domain}`
  if (options.maxAge !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(options.maxAge))}`
  if (options.maxAge !== undefined && options.maxAge <= 0) out += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
  if (options.httpOnly) out += "; HttpOnly"
  if (options.secure) out += "; Secure"
  out += `; SameSite=${options.sameSite === "lax" ? "Lax" : options.sameSite === "strict" ? "Strict" : "None"}`
  return out
}

/** A per-request jar: reads the request's cookies, records what the response must set. */
export interface ResponseCookieJar extends CookieJar {
  /** The `Set-Cookie` header values, one per cookie touched (the last write wins). */
  readonly setCookieHeaders: () => Array<string>
}

export const makeRequestJar = (cookieHeader: string | null | undefined): ResponseCookieJar => {
  const current = parseCookieHeader(cookieHeader)
  const pending = new Map<string, string>()
  return {
    get: (name) => current.get(name),
    duplicated: (name) => current.duplicates.has(name),
    names: () => Array.from(current.keys()),
    set: (name, value, options) => {
      // Our own write is what this request now sees; the other copy is still in the browser.
      current.duplicates.delete(name)
      current.set(name, value)
      pending.set(name, serializeCookie(name, value, options))
    },
    remove: (name, options) => {
      current.delete(name)
      pending.set(name, serializeCookie(name, "", { ...options, maxAge: 0 }))
    },
    setCookieHeaders: () => Array.from(pending.values())
  }
}

/** A jar that persists writes for later reads, like a browser would. */
export const makeMemoryJar = (): ResponseCookieJar => {
  const jar = makeRequestJar(undefined)
  return jar
}
