/**
 * @auth0-effect/express: Auth0 for Express 5.
 *
 * @since 0.1.0
 */
export { auth, type AuthOptions, requireAuth, type RequireAuthOptions } from "./Auth0Express.js"
export { type RequestAuth0, ServerClient, type ServerClientOptions } from "@auth0-effect/node"
export * from "@auth0-effect/core/Errors"
