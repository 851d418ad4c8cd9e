/**
 * The standard auth routes (login, callback, logout) for `node:http`, mountable in any server
 * or framework that exposes `req`/`res`. The routing, open-redirect and logout checks and the
 * error mapping are core's `WebRoutes`, shared with Bun and Deno; this module only translates
 * between `node:http` and `Request`/`Response`.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type AuthHandlerOptions, type AuthRoutesClient, createAuthRouter } from "@auth0-effect/core/WebRoutes"
import type { NodeStoreOptions } from "./NodeCookies.js"
import type { ServerClient } from "./ServerClient.js"

/**
 * Handles the auth routes; resolves `true` when it answered, `false` for any other request.
 * Never rejects, whatever the client sends.
 */
export type NodeAuthRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>

export interface NodeAuthRoutesOptions extends AuthHandlerOptions {
  /**
   * The app's public origin (`https://app.example.com`): request URLs are built on it, and the
   * logout return URL and origin check use it. Default: the origin of the client's `redirectUri`.
   * The `Host` header is never used.
   */
  readonly baseUrl?: string | undefined
}

/**
 * The path and query of a request-target (RFC 9112 §3.2): origin-form as it is (so
 * `//evil.example/auth/logout` is the path `//evil.example/auth/logout`, not a host), the path of
 * the absolute-form; the asterisk- and authority-forms are no route's. Frameworks that strip a
 * mount prefix from `req.url` (Express's `app.use("/auth", ...)`) keep the full target in
 * `req.originalUrl`, which wins.
 */
const targetPath = (req: IncomingMessage): string | undefined => {
  const original = (req as IncomingMessage & { readonly originalUrl?: unknown }).originalUrl
  const target = typeof original === "string" ? original : req.url
  if (target === undefined) return undefined
  if (target.startsWith("/")) return target
  if (/^https?:\/\//i.test(target) && URL.canParse(target)) {
    const url = new URL(target)
    return `${url.pathname}${url.search}`
  }
  return undefined
}

/** The request's headers, minus any that `Headers` refuses (Node's parser is more lenient). */
const headersOf = (req: IncomingMessage): Headers => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, v)
      } catch {
        // An invalid header is left out; the routes read only cookies, Origin and Fetch Metadata.
      }
    }
  }
  return headers
}

const send = async (res: ServerResponse, response: Response): Promise<void> => {
  if (res.headersSent) {
    res.end()
    return
  }
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value)
  })
  res.statusCode = response.status
  res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()))
}

/**
 * Builds the route handler. Options are checked once, here.
 *
 * @throws {InvalidArgumentError} a path or `returnTo` option that is not a plain relative path, a
 *   `callbackPath` that is not the path of `redirectUri`, or neither `baseUrl` nor `redirectUri`
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
    redirectUri: client.redirectUri,
    startInteractiveLogin: (login, { request }) => client.startInteractiveLogin(login, nodeOf(request)),
    handleCallback: (url, { request }) => client.handleCallback(url, nodeOf(request)),
    logout: (logout, { request }) => client.logout(logout, nodeOf(request))
  }
  const router = createAuthRouter(shim, options)
  return async (req, res) => {
    let ours = false
    try {
      const path = targetPath(req)
      if (path === undefined || !URL.canParse(`${router.origin}${path}`)) return false
      const url = new URL(`${router.origin}${path}`)
      const method = req.method ?? "GET"
      const match = router.match(url.pathname, method)
      if (match === undefined) return false
      ours = true
      if (match._tag === "MethodNotAllowed") {
        // No Request is built: `new Request` throws for TRACE, CONNECT and TRACK.
        await send(res, router.methodNotAllowed(match.allow))
        return true
      }
      // Only the method, URL and headers matter to these routes; the body is never read.
      const request = new Request(url, { method, headers: headersOf(req) })
      pairs.set(request, { req, res })
      const response = await router.handle(request)
      if (response === undefined) return false
      await send(res, response)
      return true
    } catch {
      // Unreachable in practice (the handler never rejects); still, no request may reject this.
      if (!ours) return false
      try {
        if (!res.headersSent) res.statusCode = 500
        res.end()
      } catch {
        // The socket is gone; there is no one left to answer.
      }
      return true
    }
  }
}
