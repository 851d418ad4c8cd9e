/**
 * @auth0-effect/redis: sessions in Redis, shared by every instance of an app.
 *
 * @since 0.1.0
 */
export * as RedisSessionBackend from "./RedisSessionBackend.js"
export { layer, make } from "./RedisSessionBackend.js"
export type { LayerOptions, MakeOptions } from "./RedisSessionBackend.js"
