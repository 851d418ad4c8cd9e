/**
 * A throwaway Redis Cluster per test file: `masters` (default 3) `redis-server --cluster-enabled
 * yes` processes on free ports of 127.0.0.1, each with `replicasPerMaster` replicas, joined with
 * `redis-cli --cluster create` and ready once every node reports `cluster_state:ok`. Node
 * configs live in a temp dir removed on stop. No persistence. CI installs both binaries with
 * `.ci/install-redis.sh` (Debian's redis-server package depends on redis-tools, which has redis-cli).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { assertInstalled, freePort, ping } from "./RedisServer.js"

const run = promisify(execFile)

export interface RedisCluster {
  /** Every node's port, masters first as created (replica roles may change after a failover). */
  readonly ports: ReadonlyArray<number>
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** The port of the master serving `key`'s slot right now. */
  readonly masterOf: (key: string) => Promise<number>
  /** SIGKILLs one node (like a crash) and waits for it to exit. */
  readonly kill: (port: number) => Promise<void>
  /** Waits until every replica has every write its master acknowledged so far. */
  readonly waitForReplication: () => Promise<void>
  /** Waits until every live node reports `cluster_state:ok`. */
  readonly waitUntilOk: (timeoutMs?: number) => Promise<void>
  readonly stop: () => Promise<void>
}

export interface ClusterOptions {
  readonly masters?: number
  readonly replicasPerMaster?: number
  /** How long a master may be unreachable before its replica takes over. Default 1000 ms. */
  readonly nodeTimeoutMs?: number
}

const cli = async (port: number, ...args: Array<string>) =>
  (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" })).stdout

export const startRedisCluster = async (options: ClusterOptions = {}): Promise<RedisCluster> => {
  assertInstalled("redis-server")
  assertInstalled("redis-cli")
  const masters = options.masters ?? 3
  const replicas = options.replicasPerMaster ?? 0
  const dir = mkdtempSync(join(tmpdir(), "a0-redis-cluster-"))
  const children = new Map<number, ChildProcess>()
  const ports: Array<number> = []
  for (let i = 0; i < masters * (1 + replicas); i++) {
    let port = await freePort()
    // The cluster bus listens on port + 10000: both must be free.
    while (port > 55_000 || ports.includes(port)) port = await freePort()
    ports.push(port)
  }

  const stop = async () => {
    await Promise.all(Array.from(children.keys(), (port) => kill(port)))
    rmSync(dir, { recursive: true, force: true })
  }

  const kill = async (port: number) => {
    const proc = children.get(port)
    children.delete(port)
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
    proc.kill("SIGKILL")
    await exited
  }

  const waitUntilOk = async (timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await Promise.all(
        Array.from(children.keys(), (port) => cli(port, "cluster", "info").catch(() => ""))
      )
      if (states.every((info) => info.includes("cluster_state:ok"))) return
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ok within ${timeoutMs} ms:\n${states.join("\n")}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  try {
    for (const port of ports) {
      const proc = spawn("redis-server", [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout", String(options.nodeTimeoutMs ?? 1_000), "--dir", dir
      ], { stdio: "ignore" })
      children.set(port, proc)
    }
    const deadline = Date.now() + 10_000
    for (const port of ports) {
      while (!(await ping(port))) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} did not answer PING within 10 s`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    await run("redis-cli", [
      "--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas", String(replicas), "--cluster-yes"
    ], { encoding: "utf8" })
    await waitUntilOk()
    if (replicas > 0) {
      // A replica can only take over once it has synced with its master.
      const until = Date.now() + 15_000
      for (;;) {
        const roles = await Promise.all(ports.map((port) => cli(port, "info", "replication")))
        const synced = roles.filter((info) => info.includes("role:slave") && info.includes("master_link_status:up"))
        if (synced.length === masters * replicas) break
        if (Date.now() > until) throw new Error("Redis Cluster replicas did not sync within 15 s")
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {
    ports,
    nodes: ports.map((port) => ({ host: "127.0.0.1", port })),
    masterOf: async (key) => {
      const live = Array.from(children.keys())
      const slot = Number((await cli(live[0]!, "cluster", "keyslot", key)).trim())
      const shards = (await cli(live[0]!, "cluster", "nodes")).split("\n")
      for (const line of shards) {
        const [, address = "", flags = "", , , , , state, ...ranges] = line.split(" ")
        if (!flags.includes("master") || flags.includes("fail") || state !== "connected") continue
        for (const range of ranges) {
          const [from, to = from] = range.split("-").map(Number)
          if (from !== undefined && to !== undefined && slot >= from && slot <= to) {
            return Number(address.split("@")[0]!.split(":")[1])
          }
        }
      }
      throw new Error(`no master serves slot ${slot}`)
    },
    kill,
    waitForReplication: async () => {
      const deadline = Date.now() + 10_000
      for (;;) {
        const infos = await Promise.all(Array.from(children.keys(), (port) => cli(port, "info", "replication")))
        const behind = infos.filter((info) => {
          if (!info.includes("role:master")) return false
          const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1])
          const replicaOffsets = Array.from(info.matchAll(/slave\d+:.*offset=(\d+)/g), (m) => Number(m[1]))
          return replicaOffsets.length < replicas || replicaOffsets.some((at) => at < offset)
        })
        if (behind.length === 0) return
        if (Date.now() > deadline) throw new Error("replicas did not catch up within 10 s")
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    waitUntilOk,
    stop
  }
}
