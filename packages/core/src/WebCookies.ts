/**
 * Cookies for Web-standard runtimes (Bun, Deno, Cloudflare, any `fetch` handler): read from a
 * `Request`, written as `Set-Cookie` into the `Headers` the app puts on its `Response`. Shared
 * by @auth0-effect/bun and @auth0-effect/deno. A response that carries the SDK's cookies gets
 * `Cache-Control: private, no-store` in those headers (build the `Response` after the SDK call).
 *
 * @since 0.1.0
 */
import { type CookieAdapter, makeCookieAdapter } from "./ServerClient.js"

/** Identifies one request: the incoming `Request` and the response headers being built. */
export interface WebStoreOptions {
  readonly request: Request
  readonly headers: Headers
}

export const webCookieAdapter: CookieAdapter<WebStoreOptions> = makeCookieAdapter({
  request: (options: WebStoreOptions) => options.request,
  cookieHeader: (request) => request.headers.get("cookie"),
  setCookies: (options) => options.headers.getSetCookie(),
  writeSetCookies: (options, values) => {
    options.headers.delete("set-cookie")
    for (const value of values) options.headers.append("set-cookie", value)
  },
  setCacheControl: (options, value) => options.headers.set("cache-control", value),
  headersSentHint: "the Response was built"
})
