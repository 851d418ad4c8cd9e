/**
 * docs/redis.md and docs/session-stores.md: sessions in Redis, shared by every instance of an app.
 *
 * `RedisSessionBackend.layer` is the `SessionBackend` that `StateStore.stateful` needs
 * (`RedisSessions` and `Sessions` below). `program` then works with the backend directly, as the
 * stateful store does on each request.
 *
 * Compiled by the type check, and run against a real redis-server by
 * packages/redis/test/RedisSessionBackend.test.ts.
 */
import { Session, SessionBackend } from "@auth0-effect/core"
import { StateStore } from "@auth0-effect/core/StateStore"
import { RedisSessionBackend } from "@auth0-effect/redis"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Redis } from "ioredis"
import { Auth0Config } from "@auth0-effect/core/Auth0Config"

/** The stateful session store on Redis (docs/redis.md). */
export const RedisSessions = StateStore.stateful.pipe(
  Layer.provide(RedisSessionBackend.layer({ url: process.env.REDIS_URL, keyPrefix: "myapp:" }))
)

const config = Auth0Config.fromInput({
  domain: "tenant.eu.auth0.com",
  clientId: "my-client-id",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? ""
})

/** The same with the configuration it needs, as docs/session-stores.md wires it. */
export const Sessions = StateStore.stateful.pipe(
  Layer.provide(RedisSessionBackend.layer({ url: process.env.REDIS_URL })),
  Layer.provide(config)
)

/** A client the app owns: give it the options the layer would use (fail fast while disconnected). */
export const ownClient = (url: string) =>
  new Redis(url, RedisSessionBackend.clientOptions(1000))

/** One client per process; quit when the app's runtime shuts down. */
export const SessionsInRedis: Layer.Layer<SessionBackend.SessionBackend, never> = RedisSessionBackend.layer({
  url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
  keyPrefix: "example:",
  commandTimeoutMs: 500
}).pipe(
  // Without Redis the app cannot keep sessions: fail loudly at start-up rather than per request.
  Layer.orDie
)

/**
 * The Promise facade's `sessionStore` option: stateful sessions in Redis. The client is created
 * and connected when the ServerClient's runtime is first built, and quit by `dispose()`.
 */
export const SessionStoreInRedis = StateStore.stateful.pipe(
  Layer.provide(RedisSessionBackend.layer({ url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", keyPrefix: "myapp:" }))
)

const session: Session.SessionData = {
  user: { sub: "auth0|123", name: "Ada Lovelace" },
  refreshToken: "v1.refresh-token",
  tokenSets: [{ audience: "https://api.example.com", accessToken: "at", scope: "read:notes", expiresAt: 2_000_000_000 }],
  connectionTokenSets: [],
  internal: { sid: "auth0-sid-abc", createdAt: 1_700_000_000 }
}

export const program = Effect.gen(function*() {
  const backend = yield* SessionBackend.SessionBackend

  // Instance A saves a session for a day...
  yield* backend.set("session-id-1", session, 60 * 60 * 24)

  // ...instance B reads it (same Redis, same prefix).
  const user = Option.map(yield* backend.get("session-id-1"), (s) => s.user.sub)
  yield* Console.log("user:", Option.getOrElse(user, () => "(no session)"))

  // A back-channel logout token for `sid` ends the session on every instance.
  const deleted = yield* backend.deleteByLogoutClaims({ sid: "auth0-sid-abc", sub: "auth0|123" })
  yield* Console.log("logged out sessions:", deleted)
  return { user, deleted }
}).pipe(
  // Redis down or too slow: a typed error, not "no session" and not a hang.
  Effect.tapErrorTag("StoreError", (error) =>
    Console.error(`session store unavailable (${error.reason}): ${error.message}`)
  )
)

/** Redis down: answer 503 and let the client retry; the user is not logged out. */
export const orUnavailable =
  program.pipe(Effect.catchTag("StoreError", (e) => Effect.succeed({ status: 503, reason: e.reason })))
