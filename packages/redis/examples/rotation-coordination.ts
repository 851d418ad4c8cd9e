/**
 * Refresh token rotation on several instances (docs/redis.md). Compiled by `tsc -p tsconfig.test.json`.
 *
 * With Redis sessions, refreshes coordinate through Redis with no extra option: a lease per
 * refresh token and the sealed rotated-token ledger. With cookie sessions, name the Redis that
 * refreshes coordinate through.
 */
import { Auth0, StateStore } from "@auth0-effect/core"
import { RedisSessionBackend } from "@auth0-effect/redis"
import * as Layer from "effect/Layer"

const options = {
  domain: "tenant.eu.auth0.com",
  clientId: "my-client-id",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? ""
}
const redis = { url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", keyPrefix: "myapp:" }

/** Sessions in Redis: one refresh per burst across every instance. */
export const RedisSessions = StateStore.StateStore.stateful.pipe(
  Layer.provide(RedisSessionBackend.layer(redis)),
  Layer.provideMerge(Auth0.layer(options))
)

/** Cookie sessions, refreshes coordinated through Redis. */
export const CookieSessions = StateStore.StateStore.cookie.pipe(
  Layer.provideMerge(Auth0.layer(options, { coordination: RedisSessionBackend.layer(redis) }))
)
