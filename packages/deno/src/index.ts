/**
 * @auth0-effect/deno: the Deno adapter. Runtime-agnostic underneath (only `Request`, `Response`
 * and `Headers`), so it also runs on any other fetch-style runtime.
 *
 * @since 0.1.0
 */
export { ServerClient } from "./ServerClient.js"
export type { ServerClientOptions } from "@auth0-effect/core/ServerClient"
export { webCookieAdapter, type WebStoreOptions } from "@auth0-effect/core/WebCookies"
export {
  type AuthHandler,
  type AuthHandlerOptions,
  type AuthRoute,
  type AuthRoutesClient,
  createAuthHandler,
  safeReturnTo
} from "@auth0-effect/core/WebRoutes"
export * from "@auth0-effect/core/Errors"
