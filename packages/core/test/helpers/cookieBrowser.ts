/**
 * A tiny browser for cookie-store tests: it sends its cookies as a `Cookie` header, runs one
 * "request" (an Effect needing `RequestCookies`) against a fresh per-request jar, and applies
 * the response's `Set-Cookie` headers to its own cookies, as a browser would (an expired
 * `Max-Age` removes the cookie; cookies are never dropped because of time, so tests can replay
 * an expired cookie the way an attacker would).
 */
import * as Effect from "effect/Effect"
import { makeRequestJar, RequestCookies } from "../../src/RequestCookies.js"

export interface CookieBrowser {
  /** Name => value, as stored (already percent-decoded). */
  readonly cookies: Map<string, string>
  /** The `Set-Cookie` headers of the last request. */
  readonly lastSetCookies: () => ReadonlyArray<string>
  /** The `Cookie` header the next request sends. */
  readonly cookieHeader: () => string
  /** Runs `effect` as one request: the cookies go in, the `Set-Cookie` headers come back. */
  readonly request: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, RequestCookies>>
}

/** Applies one `Set-Cookie` header value to a cookie map. */
export const applySetCookie = (cookies: Map<string, string>, header: string): void => {
  const [pair = "", ...attributes] = header.split(";")
  const eq = pair.indexOf("=")
  const name = pair.slice(0, eq).trim()
  const value = decodeURIComponent(pair.slice(eq + 1).trim())
  const maxAge = attributes
    .map((a) => a.trim())
    .find((a) => a.toLowerCase().startsWith("max-age="))
  if (maxAge !== undefined && Number(maxAge.slice("max-age=".length)) <= 0) cookies.delete(name)
  else cookies.set(name, value)
}

export const makeCookieBrowser = (initial?: Iterable<readonly [string, string]>): CookieBrowser => {
  const cookies = new Map<string, string>(initial)
  let last: ReadonlyArray<string> = []
  const cookieHeader = () =>
    Array.from(cookies, ([name, value]) => `${name}=${encodeURIComponent(value)}`).join("; ")
  return {
    cookies,
    lastSetCookies: () => last,
    cookieHeader,
    request: (effect) =>
      Effect.suspend(() => {
        const jar = makeRequestJar(cookieHeader())
        return effect.pipe(
          Effect.provideService(RequestCookies, jar),
          Effect.ensuring(Effect.sync(() => {
            last = jar.setCookieHeaders()
            for (const header of last) applySetCookie(cookies, header)
          }))
        )
      })
  }
}
