/**
 * Sessions in a Redis Cluster: the layer creates an ioredis `Cluster` from seed nodes, or uses
 * one the app owns.
 *
 * Run against a local cluster: `REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001 npx tsx examples/redis-cluster.ts`
 */
import type { SessionBackend, StoreError } from "@auth0-effect/core"
import { RedisSessionBackend } from "@auth0-effect/redis"
import type * as Layer from "effect/Layer"
import { Cluster } from "ioredis"

/** `host:port,host:port` as seed nodes; any reachable subset of the cluster will do. */
export const seedNodes = (list: string) =>
  list.split(",").map((address) => {
    const [host = "127.0.0.1", port = "6379"] = address.trim().split(":")
    return { host, port: Number(port) }
  })

const nodes = seedNodes(process.env["REDIS_CLUSTER"] ?? "127.0.0.1:7000")

/** The layer creates, connects and quits the cluster client. */
export const SessionsInCluster: Layer.Layer<SessionBackend.SessionBackend, StoreError> = RedisSessionBackend.layer({
  cluster: { nodes },
  keyPrefix: "myapp:",
  commandTimeoutMs: 500
})

/** Or the app owns the client (and closes it); give it the same fail-fast options. */
export const ownCluster = () => new Cluster(nodes, RedisSessionBackend.clusterOptions(500))

export const SessionsInOwnCluster = (client: Cluster) => RedisSessionBackend.layer({ client, keyPrefix: "myapp:" })
