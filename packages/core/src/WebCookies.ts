/**
 * Cookies for Web-standard runtimes (Bun, Deno, Cloudflare, any `fetch` handler): read from a
 * `Request`, written as `Set-Cookie` into the `Headers` the app puts on its `Response`. Shared
 * by @auth0-effect/bun and @auth0-effect/deno. A response that carries the SDK's cookies gets
 * `Cache-Control: private, no-store` in those headers (build the `Response` after the SDK call).
 *
 * @since 0.1.0
 */
import { type CookieAdapter, describeArgument, makeCookieAdapter } from "./ServerClient.js"

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

const isHeadersLike = (value: unknown): boolean =>
  typeof value === "object" && value !== null &&
  typeof (value as Headers).get === "function" && typeof (value as Headers).append === "function" &&
  typeof (value as Headers).getSetCookie === "function"

/** What is wrong with a facade call's storeOptions on a Web-standard runtime, if anything. */
export const webStoreOptionsProblem = (storeOptions: unknown): string | undefined => {
  const options = storeOptions as Partial<WebStoreOptions> | null | undefined
  const request = typeof options === "object" && options !== null ? options.request : undefined
  if (typeof request === "object" && request !== null && isHeadersLike(request.headers) && isHeadersLike(options?.headers)) {
    return undefined
  }
  return "storeOptions must be { request, headers }: the incoming Request and the Headers of the Response you " +
    `return (e.g. auth0.getUser({ request, headers })); got ${describeArgument(storeOptions)}`
}

/** The adapter the Web-standard facades (Bun, Deno) use: {@link webCookieAdapter} with its storeOptions check. */
export const webServerClientAdapter: CookieAdapter<WebStoreOptions> = {
  ...webCookieAdapter,
  storeOptionsProblem: webStoreOptionsProblem
}
