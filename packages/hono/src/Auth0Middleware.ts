/**
 * The Hono middleware: mounts the auth routes (core's Web-standard `WebRoutes`, so every route
 * it has is served here too) and puts the request-scoped SDK on `c.var.auth0`.
 *
 * @since 0.1.0
 */
import { type AuthHandlerOptions, type AuthRoute, type AuthRouter, createAuthRouter } from "@auth0-effect/core/WebRoutes"
import type { Context, MiddlewareHandler } from "hono"
import { createMiddleware } from "hono/factory"
import { Auth0RouteError } from "./Auth0RouteError.js"
import { bindRequest, type RequestAuth0, type WebClient } from "./RequestAuth0.js"

/** The variables the middleware sets: declare them in your app's `Env` (`new Hono<Auth0Env>()`). */
export interface Auth0Variables {
  readonly auth0: RequestAuth0
}

/** The `Env` of an app (or a route) that uses the middleware. */
export interface Auth0Env {
  Variables: Auth0Variables
}

/** The routes' options, as core's `createAuthHandler` takes them; failures go to `app.onError` (back-channel logout's excepted), not to a hook. */
export type Auth0RoutesOptions = Omit<AuthHandlerOptions, "onError">

export interface Auth0MiddlewareOptions {
  /**
   * The client, or how to get it from the context: on Cloudflare Workers the configuration is
   * in `c.env`, known only once a request comes (return the same client for the same env).
   */
  readonly client: WebClient | ((c: Context) => WebClient)
  /**
   * The auth routes (login, callback, logout, and every other route core's `WebRoutes` mounts),
   * with their paths and options; `false` mounts none (the app writes its own). Default `{}`.
   */
  readonly routes?: Auth0RoutesOptions | false | undefined
}

interface Failure {
  readonly error: unknown
  readonly route: AuthRoute
  readonly status: number
}

/** Copies the cookies (and the `Cache-Control` that goes with them) a flow wrote into `from` onto the context's response. */
const copyCookies = (c: Context, from: Headers): void => {
  const cookies = from.getSetCookie()
  if (cookies.length === 0) return
  for (const cookie of cookies) c.header("set-cookie", cookie, { append: true })
  const cacheControl = from.get("cache-control")
  if (cacheControl !== null) c.header("cache-control", cacheControl)
}

/**
 * The middleware. Register it before the routes that use `c.var.auth0`:
 * `app.use(auth0({ client }))`. A request for an auth route is answered here; a failed route
 * throws an {@link Auth0RouteError} to `app.onError` with the failed flow's cookies kept, except
 * back-channel logout, whose refusal is always the routes' own 400 with an OAuth error JSON
 * (the tenant, not a browser, reads it). Any
 * other request gets `c.var.auth0` and goes on; the cookies its flows set are copied onto the
 * response the app returns, or onto the one `app.onError` renders.
 *
 * @throws {InvalidArgumentError} (when built, for a client given as a value) a route option that
 *   core's `createAuthHandler` refuses
 * @example
 * const app = new Hono<Auth0Env>()
 * app.use(auth0({ client: new ServerClient(options) }))
 * app.get("/me", async (c) => c.json((await c.var.auth0.getUser()) ?? null))
 */
export const auth0 = (options: Auth0MiddlewareOptions): MiddlewareHandler<Auth0Env> => {
  const routes = options.routes ?? {}
  const loginPath = (routes === false ? undefined : routes.loginPath) ?? "/auth/login"
  const failures = new WeakMap<Request, Failure>()
  const routeOptions: AuthHandlerOptions | undefined = routes === false ? undefined : {
    ...routes,
    onError: (error, { request, route, status }) => {
      // The tenant calls back-channel logout and reads its OAuth error JSON (Back-Channel Logout
      // §2.8), not the page the app's `app.onError` renders: that answer is always the routes'.
      if (route === "backchannelLogout") return undefined
      failures.set(request, { error, route, status })
      return new Response(null, { status })
    }
  }
  const routers = new WeakMap<WebClient, AuthRouter>()
  const routerOf = (client: WebClient): AuthRouter | undefined => {
    if (routeOptions === undefined) return undefined
    let router = routers.get(client)
    if (router === undefined) {
      router = createAuthRouter(client, routeOptions)
      routers.set(client, router)
    }
    return router
  }
  // A client given as a value: bad route options fail here, when the app is built.
  if (typeof options.client !== "function") routerOf(options.client)

  return createMiddleware<Auth0Env>(async (c, next) => {
    const client = typeof options.client === "function" ? options.client(c) : options.client
    const request = c.req.raw
    const routed = await routerOf(client)?.handle(request)
    if (routed !== undefined) {
      const failure = failures.get(request)
      if (failure === undefined) return routed
      failures.delete(request)
      copyCookies(c, routed.headers)
      // Materialize the response the cookies are on: when other middleware runs around this one,
      // Hono merges its headers into whatever `app.onError` returns, even a bare `new Response`.
      void c.res
      throw new Auth0RouteError(failure.route, failure.error, failure.status, routed.headers.getSetCookie())
    }
    const headers = new Headers()
    c.set("auth0", bindRequest(client, { request, headers }, loginPath))
    await next()
    copyCookies(c, headers)
  })
}
