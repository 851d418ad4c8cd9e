/**
 * @auth0-effect/fastify: Auth0 for Fastify 5.
 *
 * @since 0.1.0
 */
export { auth0Plugin, type Auth0PluginOptions, requireAuth, type RequireAuthOptions } from "./Auth0Fastify.js"
export { type RequestAuth0, ServerClient, type ServerClientOptions } from "@auth0-effect/node"
export * from "@auth0-effect/core/Errors"
