/**
 * The Promise API for Node: `new ServerClient(options)`, then each flow with `{ req, res }`.
 *
 * @since 0.1.0
 */
import { BaseServerClient, describeArgument, type ServerClientOptions } from "@auth0-effect/core/ServerClient"
import { nodeCookieAdapter, type NodeStoreOptions } from "./NodeCookies.js"

/** What is wrong with a facade call's storeOptions on Node, if anything. */
export const nodeStoreOptionsProblem = (storeOptions: unknown): string | undefined => {
  const options = storeOptions as Partial<NodeStoreOptions> | null | undefined
  const req = typeof options === "object" && options !== null ? options.req : undefined
  const res = typeof options === "object" && options !== null ? options.res : undefined
  const usable = typeof req === "object" && req !== null && typeof req.headers === "object" && req.headers !== null &&
    typeof res === "object" && res !== null && typeof res.setHeader === "function" && typeof res.getHeader === "function"
  if (usable) return undefined
  return "storeOptions must be { req, res }: the node:http IncomingMessage and ServerResponse of this request " +
    `(e.g. auth0.getUser({ req, res })); got ${describeArgument(storeOptions)}`
}

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
    super(options, { ...nodeCookieAdapter, storeOptionsProblem: nodeStoreOptionsProblem })
  }
}
