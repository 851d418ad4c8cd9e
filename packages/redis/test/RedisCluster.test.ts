/**
 * The same backend suite as RedisSessionBackend.test.ts, on a real 3-master Redis Cluster with
 * the ioredis `Cluster` client.
 */
import { SessionBackend } from "@auth0-effect/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Cluster } from "ioredis"
import * as Example from "../examples/redis-cluster.js"
import { RedisSessionBackend } from "../src/index.js"
import { backendSuite, sessionFor, type Target } from "./support/BackendSuite.js"
import { coordinationSuite } from "./support/CoordinationSuite.js"
import { type RedisCluster, startRedisCluster } from "./support/RedisCluster.js"

let cluster: RedisCluster
let target: Target

const connect = async () => {
  const client = new Cluster([...cluster.nodes])
  client.on("error", () => {})
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve())
    client.once("end", () => reject(new Error("cluster client ended before ready")))
  })
  return client
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 })
  const admin = await connect()
  const masters = () => admin.nodes("master")
  target = {
    isCluster: true,
    admin,
    layer: (options) => RedisSessionBackend.layer({ ...options, cluster: { nodes: cluster.nodes } }),
    unreachable: (port) => RedisSessionBackend.layer({ cluster: { nodes: [{ host: "127.0.0.1", port }] } }),
    newClient: connect,
    connectedClients: async () => {
      const counts = await Promise.all(
        masters().map(async (node) => Number(/connected_clients:(\d+)/.exec(await node.info("clients"))?.[1]))
      )
      return counts.reduce((sum, n) => sum + n, 0)
    },
    pause: async (ms) => {
      await Promise.all(masters().map((node) => node.call("CLIENT", "PAUSE", String(ms), "ALL")))
    },
    mastersOf: async (keys) => new Set(await Promise.all(keys.map((key) => cluster.masterOf(key)))).size
  }
}, 30_000)

afterAll(async () => {
  await target?.admin.quit()
  await cluster?.stop()
})

backendSuite("a cluster", () => target)
coordinationSuite("a cluster", () => target)

describe("the cluster example", () => {
  it("parses seed nodes", () => {
    expect(Example.seedNodes("10.0.0.1:7000, 10.0.0.2")).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "10.0.0.2", port: 6379 }
    ])
  })

  it.live("runs with a client the layer creates and with one the app owns", () =>
    Effect.gen(function*() {
      const write = Effect.flatMap(SessionBackend.SessionBackend, (backend) => backend.set("example", sessionFor("auth0|ex", "sid-ex"), 60))
      const read = Effect.flatMap(SessionBackend.SessionBackend, (backend) => backend.get("example"))
      yield* write.pipe(Effect.provide(Example.sessionsInCluster(cluster.nodes)))
      const own = yield* Effect.promise(() => Example.ownCluster(cluster.nodes))
      yield* Effect.addFinalizer(() => Effect.promise(() => own.quit()))
      const found = yield* read.pipe(Effect.provide(Example.sessionsInOwnCluster(own)))
      expect(Option.map(found, (data) => data.user.sub)).toEqual(Option.some("auth0|ex"))
      expect(own.status).toBe("ready")
    }).pipe(Effect.scoped))
})
