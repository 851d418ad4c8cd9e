/**
 * @auth0-effect/node: the Node adapter.
 *
 * @since 0.1.0
 */
export { ServerClient } from "./ServerClient.js"
export { nodeCookieAdapter, type NodeStoreOptions } from "./NodeCookies.js"
export {
  createAuthRoutes,
  createNodeAuthRouter,
  type NodeAuthRouter,
  type NodeAuthRoutes,
  type NodeAuthRoutesOptions,
  type NodeRouteOutcome,
  sendResponse
} from "./NodeRoutes.js"
export { bindRequest, type RequestAuth0 } from "./RequestAuth0.js"
export { safeReturnTo } from "@auth0-effect/core/WebRoutes"
export type { ServerClientOptions } from "@auth0-effect/core/ServerClient"
export { Auth0Error } from "@auth0-effect/core/Errors"
export * from "@auth0-effect/core/Errors"
