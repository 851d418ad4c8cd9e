/**
 * Sessions in Redis, shared by every instance of an app.
 *
 * In an app, `RedisSessionBackend.layer` is what `StateStore.stateful` needs:
 *
 *   StateStore.StateStore.stateful.pipe(Layer.provide(RedisSessionBackend.layer({ url })))
 *
 * This file works with the `SessionBackend` directly (what the stateful store does on each
 * request), because @auth0-effect/core does not export `StateStore` from its index yet.
 *
 * Run against a local Redis: `REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/redis-sessions.ts`
 */
import { Session, SessionBackend } from "@auth0-effect/core"
import { StateStore } from "@auth0-effect/core/StateStore"
import { RedisSessionBackend } from "@auth0-effect/redis"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

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

if (process.argv[1] && import.meta.url.endsWith(process.argv[1])) {
  void Effect.runPromise(program.pipe(Effect.provide(SessionsInRedis)))
}
