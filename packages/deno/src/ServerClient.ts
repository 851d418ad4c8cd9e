/**
 * The Promise API for Deno: `new ServerClient(options)`, then each flow with `{ request, headers }`:
 * the incoming `Request` and the `Headers` of the `Response` the app returns.
 *
 * @since 0.1.0
 */
import { WebServerClient } from "@auth0-effect/core/WebServerClient"

/**
 * Auth0 for `Deno.serve` (or any handler from `Request` to `Response`). Cookies are read from
 * `request` and written as `Set-Cookie` into `headers`, next to any the app set itself.
 *
 * @throws {ConfigurationError} when the options are invalid (names the field)
 * @example
 * const auth0 = new ServerClient({ domain: "tenant.auth0.com", clientId, clientSecret, secret, redirectUri })
 * const headers = new Headers()
 * const user = await auth0.getUser({ request, headers })
 * return Response.json(user ?? null, { headers })
 */
export class ServerClient extends WebServerClient {}
