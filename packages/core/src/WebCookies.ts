/**
 * Cookies for Web-standard runtimes (Bun, Deno, Cloudflare, any `fetch` handler): read from a
 * `Request`, written as `Set-Cookie` into the `Headers` the app puts on its `Response`. Shared
 * by @auth0-effect/bun and @auth0-effect/deno.
 *
 * @since 0.1.0
 */
import { makeRequestJar, type ResponseCookieJar } from "./RequestCookies.js"
import { type CookieAdapter, perRequest } from "./ServerClient.js"

/** Identifies one request: the incoming `Request` and the response headers being built. */
export interface WebStoreOptions {
  readonly request: Request
  readonly headers: Headers
}

interface Entry {
  readonly jar: ResponseCookieJar
  written: Array<string>
}

const entryFor = perRequest((request: Request): Entry => ({
  jar: makeRequestJar(request.headers.get("cookie")),
  written: []
}))

/** Replaces the `Set-Cookie` values we wrote before with the jar's current ones, keeping the app's. */
export const writeSetCookies = (headers: Headers, previous: ReadonlyArray<string>, next: ReadonlyArray<string>) => {
  const others = headers.getSetCookie().filter((value) => !previous.includes(value))
  headers.delete("set-cookie")
  for (const value of [...others, ...next]) headers.append("set-cookie", value)
}

export const webCookieAdapter: CookieAdapter<WebStoreOptions> = {
  jar: (options) => entryFor(options.request).jar,
  commit: (options) => {
    const entry = entryFor(options.request)
    const next = entry.jar.setCookieHeaders()
    writeSetCookies(options.headers, entry.written, next)
    entry.written = next
  }
}
