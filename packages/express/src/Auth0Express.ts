/**
 * Auth0 for Express 5. `app.use(auth(auth0, options))` mounts the auth routes (login, callback,
 * logout, connect, back-channel logout) and puts the SDK on every request as `req.auth0`, bound
 * to that request; `requireAuth()` guards pages (redirect to login) and `requireAuth({ api: true })`
 * APIs (401). Route failures, with no `onError` given, go to `next(error)` as the original
 * `Auth0Error`, with the response status already set, so the app's error middleware renders them.
 *
 * The routes, cookies and checks are @auth0-effect/node's (shared with every adapter); this module
 * only follows Express's conventions.
 *
 * @since 0.1.0
 */
import {
  bindRequest,
  createNodeAuthRouter,
  type NodeAuthRoutesOptions,
  type RequestAuth0,
  safeReturnTo,
  sendResponse,
  type ServerClient
} from "@auth0-effect/node"
import { Router } from "express"
import type { NextFunction, Request, RequestHandler, Response } from "express"

declare global {
  // Express's own way to type request properties: declaration merging (see @types/express).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The SDK bound to this request (`req.auth0.getUser()`), set by `auth(...)`: mount it
       * before the routes that use it.
       */
      auth0: RequestAuth0
    }
  }
}

export type AuthOptions = NodeAuthRoutesOptions

/** The login path of the `auth(...)` that saw a request, for `requireAuth`'s redirect. */
const loginPaths = new WeakMap<Request, string>()

/**
 * The middleware that mounts the auth routes and sets `req.auth0`. Mount it with `app.use`,
 * before the app's routes and guards, and before the app's error middleware. It reads no body
 * except the back-channel logout's (and uses `req.body` when a parser ran first).
 *
 * @throws {InvalidArgumentError} an option the routes refuse (see `createAuthRoutes`), when built
 * @example
 * app.use(auth(auth0, { baseUrl: "http://localhost:3000", returnTo: "/profile" }))
 */
export const auth = (client: ServerClient, options: AuthOptions = {}): Router => {
  const routes = createNodeAuthRouter(client, options)
  const router = Router()
  router.use((req: Request, res: Response, next: NextFunction) => {
    req.auth0 = bindRequest(client, { req, res })
    loginPaths.set(req, routes.paths.login)
    next()
  })
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const outcome = await routes(req, res, req.body)
    switch (outcome._tag) {
      case "NotMatched":
        return next()
      case "Answered":
        return sendResponse(res, outcome.response)
      case "Failed":
        // The status the routes chose (400 for a bad callback, 401, 500): Express's error
        // handling uses `res.statusCode` when the error has no `status` of its own.
        if (!res.headersSent) res.status(outcome.status)
        return next(outcome.error)
    }
  })
  return router
}

export interface RequireAuthOptions {
  /**
   * For APIs: answer 401 JSON with `WWW-Authenticate: Bearer` (RFC 6750 §3) instead of
   * redirecting to the login. Default `false`.
   */
  readonly api?: boolean | undefined
  /** Where to send the browser to log in. Default: the login path of `auth(...)`. */
  readonly loginPath?: string | undefined
}

/**
 * A guard: lets requests with a session through, and answers the others: for pages, a redirect
 * to the login with this URL as `returnTo` (GET and HEAD; any other method gets 401), for APIs
 * a 401. A failure to read the session (a store outage) goes to `next(error)`.
 *
 * @example
 * app.get("/profile", requireAuth(), async (req, res) => { res.json(await req.auth0.getUser()) })
 * app.get("/api/items", requireAuth({ api: true }), handler)
 */
export const requireAuth = (options: RequireAuthOptions = {}): RequestHandler =>
async (req, res, next) => {
  if (req.auth0 === undefined) {
    return next(new TypeError("requireAuth: req.auth0 is not set; mount app.use(auth(auth0, ...)) before this route"))
  }
  let session: unknown
  try {
    session = await req.auth0.getSession()
  } catch (error) {
    return next(error)
  }
  if (session !== undefined) return next()
  res.set("cache-control", "no-store")
  if (options.api === true || (req.method !== "GET" && req.method !== "HEAD")) {
    res.status(401).set("www-authenticate", "Bearer").json({ error: "unauthorized", error_description: "Login required" })
    return
  }
  const login = options.loginPath ?? loginPaths.get(req) ?? "/auth/login"
  const returnTo = safeReturnTo(req.originalUrl) ?? "/"
  res.redirect(302, `${login}?${new URLSearchParams({ returnTo })}`)
}
