/**
 * The Promise facade for Web-standard runtimes (Bun, Deno, Cloudflare Workers, Hono, any
 * `fetch` handler): each flow takes `{ request, headers }`, the incoming `Request` and the
 * `Headers` of the `Response` the app returns. The runtime packages re-export it as their
 * `ServerClient`, so it is written once.
 *
 * @since 0.1.0
 */
import { BaseServerClient, type ServerClientOptions } from "./ServerClient.js"
import { webServerClientAdapter, type WebStoreOptions } from "./WebCookies.js"

/**
 * Auth0 for a handler from `Request` to `Response`. Cookies are read from `request` and written
 * as `Set-Cookie` into `headers`, next to any the app set itself.
 *
 * @throws {ConfigurationError} when the options are invalid (names the field)
 */
export class WebServerClient extends BaseServerClient<WebStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, webServerClientAdapter)
  }
}
