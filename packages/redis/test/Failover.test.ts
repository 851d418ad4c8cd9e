/**
 * A Redis Cluster with a replica per master loses a master: its replica takes over its slots,
 * and the backend (with the client the layer creates) finds the new master by itself. While the
 * slots have no master, calls on them fail fast with StoreError unavailable; sessions that had
 * reached the replica survive.
 */
import { SessionBackend, StoreError } from "@auth0-effect/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { RedisSessionBackend } from "../src/index.js"
import { sessionFor } from "./support/Target.js"
import { type RedisCluster, startRedisCluster } from "./support/RedisCluster.js"

let cluster: RedisCluster

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 })
}, 40_000)

afterAll(async () => {
  await cluster?.stop()
})

const PREFIX = "failover:"
const ids = Array.from({ length: 9 }, (_, i) => `session-${i}`)

describe("RedisSessionBackend on a cluster when a master dies", () => {
  it.live("fails fast while the slots have no master, then serves every replicated session from the promoted replica", () =>
    Effect.gen(function*() {
      const backend = yield* SessionBackend.SessionBackend
      for (const id of ids) yield* backend.set(id, sessionFor("auth0|failover", `sid-${id}`), 300)
      yield* Effect.promise(() => cluster.waitForReplication())

      const victim = yield* Effect.promise(() => cluster.masterOf(`${PREFIX}s:${ids[0]}`))
      yield* Effect.promise(() => cluster.kill(victim))

      // Until the replica is promoted, a call on the dead master's slots fails, and fast.
      const started = Date.now()
      const error = yield* Effect.flip(backend.get(ids[0]!))
      expect(error).toBeInstanceOf(StoreError)
      expect(error.reason).toBe("unavailable")
      expect(Date.now() - started).toBeLessThan(2_000)

      // The replica takes over once the others have marked the master failed (node timeout 1 s).
      const promoted = yield* Effect.tryPromise(() => cluster.masterOf(`${PREFIX}s:${ids[0]}`)).pipe(
        Effect.filterOrFail((port) => port !== victim),
        Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("15 seconds")))
      )
      expect(cluster.ports).toContain(promoted)
      yield* Effect.promise(() => cluster.waitUntilOk(15_000))

      // The client finds the new topology by itself: no restart, no new client.
      const back = yield* backend.get(ids[0]!).pipe(
        Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo("10 seconds")))
      )
      expect(back).toEqual(Option.some(sessionFor("auth0|failover", `sid-${ids[0]}`)))
      for (const id of ids) expect(Option.isSome(yield* backend.get(id))).toBe(true)
      yield* backend.set("after-failover", sessionFor("auth0|failover", "sid-after"), 300)
      expect(yield* backend.deleteByLogoutClaims({ sub: "auth0|failover" })).toBe(ids.length + 1)
    }).pipe(Effect.provide(RedisSessionBackend.layer({ keyPrefix: PREFIX, cluster: { nodes: cluster.nodes } }))), 30_000)
})
