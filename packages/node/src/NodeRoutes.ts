/**
 * The standard auth routes (login, callback, logout, connect, back-channel logout) for `node:http`, mountable in any server
 * or framework that exposes `req`/`res`. The routing, open-redirect and logout checks and the
 * error mapping are core's `WebRoutes`, shared with Bun and Deno; this module only translates
 * between `node:http` and `Request`/`Response`.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import {
  type AuthHandlerOptions,
  type AuthRoute,
  type AuthRoutesClient,
  createAuthRouter
} from "@auth0-effect/core/WebRoutes"
import type { RoutePaths } from "@auth0-effect/core/WebRoutesRules"
import { MAX_LOGOUT_BODY } from "@auth0-effect/core/WebRoutesRules"
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

/** What a framework adapter's request was to the routes (see {@link createNodeAuthRouter}). */
export type NodeRouteOutcome =
  /** Not a route's request: the app handles it. */
  | { readonly _tag: "NotMatched" }
  /** The route's answer, to send (cookies are already on `res`). */
  | { readonly _tag: "Answered"; readonly response: Response }
  /**
   * The route failed and no `onError` was given: hand `error` to the framework's error handling
   * (never for back-channel logout, which always answers the tenant its OAuth error itself).
   */
  | { readonly _tag: "Failed"; readonly error: unknown; readonly route: AuthRoute; readonly status: number }

/**
 * The routes for framework adapters (Express, Fastify): like {@link createAuthRoutes}, but it
 * sends nothing. It resolves the route's `Response` (the SDK's cookies already set on `res`), or,
 * when no `onError` is given, a failed route's original error with its status, so the framework's
 * own error handling renders it. `body` is a body the framework already read (a form string, or
 * the object its parser made); otherwise the back-channel logout route reads `req`.
 */
export interface NodeAuthRouter {
  (req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<NodeRouteOutcome>
  /** The routes' paths (`undefined`: not mounted), for frameworks that register routes by path. */
  readonly paths: RoutePaths
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

/**
 * The form body of a back-channel logout: one the framework parsed already (a string, or the
 * object `express.urlencoded()` made), else read from `req`, at most `MAX_LOGOUT_BODY` bytes
 * (a larger one is cut short, and the route refuses it).
 */
const formBody = async (req: IncomingMessage, parsed: unknown): Promise<string> => {
  const body = parsed ?? (req as IncomingMessage & { readonly body?: unknown }).body
  if (typeof body === "string") return body
  if (typeof body === "object" && body !== null && !Buffer.isBuffer(body)) {
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(body)) if (typeof value === "string") form.append(name, value)
    return form.toString()
  }
  if (Buffer.isBuffer(body)) return body.toString("utf8")
  if (req.readableEnded) return ""
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    size += buffer.byteLength
    chunks.push(buffer)
    if (size > MAX_LOGOUT_BODY) break
  }
  return Buffer.concat(chunks).toString("utf8")
}

/** The node:http response for a route's `Response`. */
export const sendResponse = async (res: ServerResponse, response: Response): Promise<void> => send(res, response)

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
  const router = buildRouter(client, options, false).route
  return async (req, res) => {
    let ours = false
    try {
      const outcome = await router(req, res, undefined, () => {
        ours = true
      })
      if (outcome._tag === "NotMatched") return false
      // With `handOver` off, a failure is always rendered by the routes: only "Answered" is left.
      if (outcome._tag === "Answered") await send(res, outcome.response)
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

/**
 * Builds the routes for a framework adapter; see {@link NodeAuthRouter}. Options are checked
 * once, here. Never rejects.
 *
 * @throws {InvalidArgumentError} as {@link createAuthRoutes}
 * @example
 * const router = createNodeAuthRouter(auth0, { baseUrl: "http://localhost:3000" })
 * const outcome = await router(req, res)
 * if (outcome._tag === "Failed") next(outcome.error)
 */
export const createNodeAuthRouter = (client: ServerClient, options: NodeAuthRoutesOptions = {}): NodeAuthRouter => {
  const { paths, route } = buildRouter(client, options, options.onError === undefined)
  const handle = async (req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<NodeRouteOutcome> => {
    try {
      return await route(req, res, body, () => undefined)
    } catch (error) {
      return { _tag: "Failed", error, route: "login", status: 500 }
    }
  }
  return Object.assign(handle, { paths })
}

/**
 * The shared router over node:http. With `handOver`, a failed route resolves `Failed` with the
 * original error rather than a rendered answer (the routes' `onError` is replaced for that).
 */
const buildRouter = (client: ServerClient, options: NodeAuthRoutesOptions, handOver: boolean) => {
  // The shared handler passes Web store options; each maps back to its node:http pair, whose
  // cookies the Node adapter writes on `res` directly.
  const pairs = new WeakMap<Request, NodeStoreOptions>()
  const failures = new WeakMap<Request, Extract<NodeRouteOutcome, { _tag: "Failed" }>>()
  const nodeOf = (request: Request): NodeStoreOptions => {
    const pair = pairs.get(request)
    if (pair === undefined) throw new Error("auth0-effect: a route ran outside its request")
    return pair
  }
  const shim: AuthRoutesClient = {
    redirectUri: client.redirectUri,
    startInteractiveLogin: (login, { request }) => client.startInteractiveLogin(login, nodeOf(request)),
    handleCallback: (url, { request }) => client.handleCallback(url, nodeOf(request)),
    logout: (logout, { request }) => client.logout(logout, nodeOf(request)),
    startConnectAccount: (connect, { request }) => client.startConnectAccount(connect, nodeOf(request)),
    handleBackchannelLogout: (logoutToken) => client.handleBackchannelLogout(logoutToken)
  }
  /**
   * The placeholder answer of a failure handed over to the framework; never sent. Made on the
   * first failure: a `Response` at import time would load Node's fetch implementation (undici,
   * about 25 ms) into every cold start.
   */
  let handedOver: Response | undefined
  const handOverFailure: AuthHandlerOptions["onError"] = (error, { request, route, status }) => {
    // The tenant calls back-channel logout and reads its OAuth error JSON: that one is always the routes'.
    if (route === "backchannelLogout") return undefined
    failures.set(request, { _tag: "Failed", error, route, status })
    handedOver ??= new Response(null, { status: 500 })
    return handedOver
  }
  const router = createAuthRouter(shim, handOver ? { ...options, onError: handOverFailure } : options)
  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    matched: () => void
  ): Promise<NodeRouteOutcome> => {
    const path = targetPath(req)
    if (path === undefined || !URL.canParse(`${router.origin}${path}`)) return NOT_MATCHED
    const url = new URL(`${router.origin}${path}`)
    const method = req.method ?? "GET"
    const match = router.match(url.pathname, method)
    if (match === undefined) return NOT_MATCHED
    matched()
    // No Request is built for a 405: `new Request` throws for TRACE, CONNECT and TRACK.
    if (match._tag === "MethodNotAllowed") return { _tag: "Answered", response: router.methodNotAllowed(match.allow) }
    // Only the back-channel logout reads a body; the other routes need the method, URL and headers.
    const request = new Request(url, {
      method,
      headers: headersOf(req),
      ...(match.route === "backchannelLogout" ? { body: await formBody(req, body) } : {})
    })
    pairs.set(request, { req, res })
    const response = await router.handle(request)
    if (response === undefined) return NOT_MATCHED
    const failure = failures.get(request)
    return failure !== undefined && response === handedOver ? failure : { _tag: "Answered", response }
  }
  return { paths: router.paths, route }
}

const NOT_MATCHED: NodeRouteOutcome = { _tag: "NotMatched" }
