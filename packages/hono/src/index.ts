/**
 * @auth0-effect/hono: Auth0 for Hono 4 on Node, Bun, Deno and Cloudflare Workers. The `auth0()`
 * middleware mounts the auth routes and puts the request's SDK on `c.var.auth0`; `requireAuth()`
 * guards APIs and pages; failed routes throw {@link Auth0RouteError} to `app.onError`.
 *
 * @since 0.1.0
 */
export { ServerClient } from "./ServerClient.js"
export type { ServerClientOptions } from "@auth0-effect/core/ServerClient"
export { auth0, type Auth0Env, type Auth0MiddlewareOptions, type Auth0RoutesOptions, type Auth0Variables } from "./Auth0Middleware.js"
export { Auth0RouteError } from "./Auth0RouteError.js"
export { requireAuth, type RequireAuthOptions } from "./Guard.js"
export type { RequestAuth0, WebClient } from "./RequestAuth0.js"
export { type AuthRoute, safeReturnTo, statusOf } from "@auth0-effect/core/WebRoutes"
export * from "@auth0-effect/core/Errors"
