/**
 * The Promise API for Hono: the Web-standard client (the same as @auth0-effect/bun and /deno).
 *
 * @since 0.1.0
 */
import { WebServerClient } from "@auth0-effect/core/WebServerClient"

/**
 * Auth0 for a Hono app on any runtime (Node through `@hono/node-server`, Bun, Deno, Cloudflare
 * Workers). Give it to the `auth0()` middleware; handlers use `c.var.auth0`.
 *
 * @throws {ConfigurationError} when the options are invalid (names the field)
 * @example
 * const client = new ServerClient({ domain: "tenant.auth0.com", clientId, clientSecret, secret, redirectUri })
 * app.use(auth0({ client }))
 */
export class ServerClient extends WebServerClient {}
