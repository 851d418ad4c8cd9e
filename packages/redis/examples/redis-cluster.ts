/**
 * Sessions in a Redis Cluster: the layer creates an ioredis `Cluster` from seed nodes, or uses
 * one the app owns.
 *
 * Run against a local cluster: `REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001 npx tsx examples/redis-cluster.ts`
 */
import type { SessionBackend, StoreError } from "@auth0-effect/core"
import { RedisSessionBackend } from "@auth0-effect/redis"
import type * as Layer from "effect/Layer"
import { Cluster, type ClusterNode } from "ioredis"

/** `host:port,host:port` as seed nodes; any reachable subset of the cluster will do. */
export const seedNodes = (list: string): Array<{ host: string; port: number }> =>
  list.split(",").map((address) => {
    const [host = "127.0.0.1", port = "6379"] = address.trim().split(":")
    return { host, port: Number(port) }
  })

/** The layer creates, connects (the layer fails if the cluster cannot be reached) and quits the client. */
export const sessionsInCluster = (
  nodes: ReadonlyArray<ClusterNode>
): Layer.Layer<SessionBackend.SessionBackend, StoreError> =>
  RedisSessionBackend.layer({ cluster: { nodes }, keyPrefix: "myapp:", commandTimeoutMs: 500 })

/**
 * Or the app owns the client (and closes it): give it the same fail-fast options, and wait for
 * its `ready` event before serving, since it refuses commands until it knows the slots.
 */
export const ownCluster = async (nodes: ReadonlyArray<ClusterNode>): Promise<Cluster> => {
  const client = new Cluster([...nodes], RedisSessionBackend.clusterOptions(500))
  client.on("error", () => {})
  await new Promise<void>((resolve) => client.once("ready", () => resolve()))
  return client
}

export const sessionsInOwnCluster = (client: Cluster): Layer.Layer<SessionBackend.SessionBackend, StoreError> =>
  RedisSessionBackend.layer({ client, keyPrefix: "myapp:", commandTimeoutMs: 500 })

export const fromEnvironment = () => sessionsInCluster(seedNodes(process.env["REDIS_CLUSTER"] ?? "127.0.0.1:7000"))
