/**
 * The Promise API for Node: `new ServerClient(options)`, then each flow with `{ req, res }`.
 *
 * @since 0.1.0
 */
import { BaseServerClient, type ServerClientOptions } from "@auth0-effect/core/ServerClient"
import { nodeCookieAdapter, type NodeStoreOptions } from "./NodeCookies.js"

/**
 * Auth0 for `node:http` servers (and Express, Fastify, ... through their `req.raw`/`res.raw`).
 *
 * @throws {ConfigurationError} when the options are invalid (names the field)
 * @example
 * const auth0 = new ServerClient({ domain: "tenant.auth0.com", clientId, clientSecret, secret, redirectUri })
 * const url = await auth0.startInteractiveLogin({}, { req, res })
 */
export class ServerClient extends BaseServerClient<NodeStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, nodeCookieAdapter)
  }
}
