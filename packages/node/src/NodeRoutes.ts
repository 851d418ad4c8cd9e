/**
 * The standard auth routes (login, callback, logout) for `node:http`, mountable in any server
 * or framework that exposes `req`/`res`. The routing, open-redirect checks and error mapping are
 * core's `WebRoutes`, shared with Bun and Deno; this module only translates between `node:http`
 * and `Request`/`Response`.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type AuthHandlerOptions, type AuthRoutesClient, createAuthHandler } from "@auth0-effect/core/WebRoutes"
import type { NodeStoreOptions } from "./NodeCookies.js"
import type { ServerClient } from "./ServerClient.js"

/** Handles the auth routes; resolves `true` when it answered, `false` for any other request. */
export type NodeAuthRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>

export interface NodeAuthRoutesOptions extends AuthHandlerOptions {
  /**
   * The app's public origin (`https://app.example.com`): the request URL is built on it. Default:
   * `http://` + the request's Host header, which is only right without a TLS-terminating proxy.
   */
  readonly baseUrl?: string | undefined
}

const toRequest = (req: IncomingMessage, origin: string): Request | undefined => {
  let url: URL
  try {
    url = new URL(req.url ?? "/", origin)
  } catch {
    return undefined
  }
  // Only the method, URL and headers matter to these routes; the body is never read.
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  return new Request(url, { method: req.method ?? "GET", headers })
}

/**
 * Builds the route handler. Options are checked once, here.
 *
 * @throws {InvalidArgumentError} a path or `returnTo` option that is not a plain relative path
 * @example
 * const routes = createAuthRoutes(auth0, { baseUrl: "http://localhost:3000", returnTo: "/profile" })
 * createServer(async (req, res) => {
 *   if (await routes(req, res)) return
 *   // ... the app's own routes
 * })
 */
export const createAuthRoutes = (client: ServerClient, options: NodeAuthRoutesOptions = {}): NodeAuthRoutes => {
  // The shared handler passes Web store options; each maps back to its node:http pair, whose
  // cookies the Node adapter writes on `res` directly.
  const pairs = new WeakMap<Request, NodeStoreOptions>()
  const nodeOf = (request: Request): NodeStoreOptions => {
    const pair = pairs.get(request)
    if (pair === undefined) throw new Error("auth0-effect: a route ran outside its request")
    return pair
  }
  const shim: AuthRoutesClient = {
    startInteractiveLogin: (login, { request }) => client.startInteractiveLogin(login, nodeOf(request)),
    handleCallback: (url, { request }) => client.handleCallback(url, nodeOf(request)),
    logout: (logout, { request }) => client.logout(logout, nodeOf(request))
  }
  const handle = createAuthHandler(shim, options)
  return async (req, res) => {
    const origin = options.baseUrl ?? `http://${req.headers.host ?? "localhost"}`
    const request = toRequest(req, origin)
    if (request === undefined) return false
    pairs.set(request, { req, res })
    const response = await handle(request)
    if (response === undefined) return false
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") res.setHeader(name, value)
    })
    res.statusCode = response.status
    res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()))
    return true
  }
}
