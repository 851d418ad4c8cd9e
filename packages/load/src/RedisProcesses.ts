/**
 * The Redis the load test runs on, started and stopped by it: one `redis-server` with an
 * append-only file fsynced on every write (so a restart keeps every session written before
 * it), or a 3-master Redis Cluster joined with `redis-cli --cluster create`. Loopback only,
 * free ports, a temp dir removed on stop.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

export interface RedisDeployment {
  readonly kind: "single" | "cluster"
  /** What App.ts passes to RedisSessionBackend.layer. */
  readonly target: { readonly url: string } | { readonly cluster: ReadonlyArray<{ host: string; port: number }> }
  /** Single node only: stops the server (SIGTERM) and resolves once it has exited. */
  readonly stopServer: () => Promise<void>
  /** Single node only: starts it again on the same port and data dir. */
  readonly startServer: () => Promise<void>
  /** Single node only: the keys matching `pattern` (SCAN, not KEYS). */
  readonly keys: (pattern: string) => Promise<Set<string>>
  readonly stop: () => Promise<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const cli = async (port: number, ...args: Array<string>) =>
  (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" })).stdout

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const exited = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once("exit", () => resolve())
  })

const spawnServer = (port: number, dir: string, extra: Array<string>) =>
  spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...extra], {
    stdio: "ignore"
  })

export const startSingle = async (): Promise<RedisDeployment> => {
  const dir = mkdtempSync(join(tmpdir(), "a0-load-redis-"))
  const port = await freePort()
  let proc: ChildProcess | undefined
  const startServer = async () => {
    proc = spawnServer(port, dir, ["--appendonly", "yes", "--appendfsync", "always"])
    await waitFor(`redis-server on ${port} did not answer`, async () => (await cli(port, "ping")).includes("PONG"))
  }
  const stopServer = async () => {
    const current = proc
    proc = undefined
    if (!current) return
    current.kill("SIGTERM")
    await exited(current)
  }
  await startServer()
  return {
    kind: "single",
    target: { url: `redis://127.0.0.1:${port}` },
    stopServer,
    startServer,
    keys: async (pattern) => {
      const out = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--scan", "--pattern", pattern], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024
      })
      return new Set(out.stdout.split("\n").filter((line) => line.length > 0))
    },
    stop: async () => {
      await stopServer()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const startCluster = async (masters = 3): Promise<RedisDeployment> => {
  const dir = mkdtempSync(join(tmpdir(), "a0-load-cluster-"))
  const ports: Array<number> = []
  while (ports.length < masters) {
    const port = await freePort()
    // The cluster bus listens on port + 10000.
    if (port <= 55_000 && !ports.includes(port)) ports.push(port)
  }
  const procs = ports.map((port) =>
    spawnServer(port, dir, [
      "--appendonly", "no", "--cluster-enabled", "yes",
      "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000"
    ])
  )
  const stop = async () => {
    for (const proc of procs) proc.kill("SIGKILL")
    await Promise.all(procs.map(exited))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      await waitFor(`cluster node ${port} did not answer`, async () => (await cli(port, "ping")).includes("PONG"))
    }
    await run("redis-cli", [
      "--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"
    ])
    await waitFor("Redis Cluster not ok", async () => {
      const infos = await Promise.all(ports.map((port) => cli(port, "cluster", "info")))
      return infos.every((info) => info.includes("cluster_state:ok"))
    })
  } catch (error) {
    await stop()
    throw error
  }
  const unsupported = () => Promise.reject(new Error("restarts are a single-node scenario"))
  return {
    kind: "cluster",
    target: { cluster: ports.map((port) => ({ host: "127.0.0.1", port })) },
    stopServer: unsupported,
    startServer: unsupported,
    keys: unsupported,
    stop
  }
}
