import { Session, SessionBackend, StoreError } from "@auth0-effect/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { Redis } from "ioredis"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

// This file kills its own server, so it must not share one with other test files.
let server: RedisServer

beforeAll(async () => {
  server = await startRedisServer()
})

afterAll(async () => {
  await server?.stop()
})

const session: Session.SessionData = {
  user: { sub: "auth0|outage" },
  tokenSets: [],
  connectionTokenSets: [],
  internal: { sid: "sid-outage", createdAt: 1_700_000_000 }
}

/** Runs `effect`, expecting it to fail with StoreError "unavailable" well within `withinMs`. */
const failsFast = <A>(effect: Effect.Effect<A, StoreError>, withinMs: number) =>
  Effect.gen(function*() {
    const started = Date.now()
    const error = yield* Effect.flip(effect)
    const elapsed = Date.now() - started
    expect(error).toBeInstanceOf(StoreError)
    expect(error._tag).toBe("StoreError")
    expect(error.reason).toBe("unavailable")
    expect(elapsed).toBeLessThan(withinMs)
    return error
  })

/** Reconnecting takes up to a second (the client's backoff); retry the call for a few. */
const onceBack = <A>(effect: Effect.Effect<A, StoreError>) =>
  Effect.retry(effect, Schedule.spaced("100 millis").pipe(Schedule.upTo("5 seconds")))

const everyOperation = (backend: SessionBackend.SessionBackendService): Array<Effect.Effect<unknown, StoreError>> => [
  backend.get("id"),
  backend.set("id", session, 60),
  backend.delete("id"),
  backend.deleteByLogoutClaims({ sid: "sid-outage" })
]

describe("RedisSessionBackend when Redis goes away", () => {
  it.live("fails every operation with StoreError unavailable, then works again once Redis is back", () =>
    Effect.gen(function*() {
      const backend = yield* SessionBackend.SessionBackend
      yield* backend.set("id", session, 60)
      expect(Option.isSome(yield* backend.get("id"))).toBe(true)

      yield* Effect.promise(() => server.kill())
      for (const operation of everyOperation(backend)) {
        const error = yield* failsFast(operation, 2_000)
        expect(error.message).toMatch(/^Redis [A-Z]+ failed/)
      }
      // Still failing fast a moment later, while the client keeps trying to reconnect.
      yield* Effect.sleep("1500 millis")
      yield* failsFast(backend.get("id"), 2_000)

      yield* Effect.promise(() => server.restart())
      // The server started empty (no persistence): the session is gone, but the backend works.
      expect(yield* onceBack(backend.get("id"))).toEqual(Option.none())
      yield* backend.set("id", session, 60)
      expect(yield* backend.get("id")).toEqual(Option.some(session))
      expect(yield* backend.deleteByLogoutClaims({ sid: "sid-outage" })).toBe(1)
    }).pipe(Effect.provide(RedisSessionBackend.layer({ url: server.url, keyPrefix: "outage:" }))))

  it.live("bounds every call by commandTimeoutMs even over an app's client that queues while offline", () =>
    Effect.gen(function*() {
      // ioredis defaults: offline queue on, 20 retries per request; left alone it would wait for Redis.
      const client = new Redis(server.url)
      client.on("error", () => {})
      yield* Effect.addFinalizer(() => Effect.sync(() => client.disconnect()))
      yield* Effect.promise(() => client.ping())
      const backend = RedisSessionBackend.make(client, { keyPrefix: "queued:", commandTimeoutMs: 400 })
      yield* backend.set("id", session, 60)

      yield* Effect.promise(() => server.kill())
      for (const operation of everyOperation(backend)) {
        const error = yield* failsFast(operation, 1_500)
        expect(error.message).toMatch(/no reply within|Connection is closed/)
      }

      yield* Effect.promise(() => server.restart())
      // The client replays what it queued, so the timed-out SET may still land now: the reason
      // the layer's own client runs with the offline queue off.
      yield* onceBack(backend.get("id"))
      yield* backend.set("after", session, 60)
      expect(yield* backend.get("after")).toEqual(Option.some(session))
    }).pipe(Effect.scoped))
})
