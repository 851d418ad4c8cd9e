/**
 * A throwaway `redis-server` child process per test file: a free port on 127.0.0.1, no
 * persistence, killed when the file ends. CI installs the binary with `.ci/install-redis.sh`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as net from "node:net"

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGKILLs the server (no goodbye to clients, like a crash) and waits for it to exit. */
  readonly kill: () => Promise<void>
  /** Starts the server again on the same port and waits until it answers PING. */
  readonly restart: () => Promise<void>
  /**
   * SIGSTOPs the server: it keeps its data and its connections but answers nothing, like a host
   * that froze or a network partition, until {@link resume}.
   */
  readonly pause: () => void
  /** SIGCONTs a paused server. */
  readonly resume: () => void
  /** Whether the server answers PING now. */
  readonly ping: () => Promise<boolean>
  readonly stop: () => Promise<void>
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

export const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" })
    let reply = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.on("error", () => done(false))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (chunk) => {
      reply += chunk.toString()
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"))
    })
  })

export const assertInstalled = (binary = "redis-server") => {
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8" })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${binary} is not on PATH: the Redis tests need a real server. ` +
        "Install it with `.ci/install-redis.sh` (Debian's redis-server package) and run the tests again."
    )
  }
}

export const startRedisServer = async (): Promise<RedisServer> => {
  assertInstalled()
  const port = await freePort()
  let child: ChildProcess | undefined
  let log = ""

  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve()
      else proc.once("exit", () => resolve())
    })

  const start = async () => {
    log = ""
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    child = proc
    proc.stdout?.on("data", (chunk) => (log += chunk.toString()))
    proc.stderr?.on("data", (chunk) => (log += chunk.toString()))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}:\n${log}`)
      if (await ping(port)) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    proc.kill("SIGKILL")
    throw new Error(`redis-server did not answer PING on port ${port} within 10 s:\n${log}`)
  }

  const kill = async () => {
    const proc = child
    child = undefined
    if (!proc) return
    proc.kill("SIGKILL")
    await exited(proc)
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill()
      await start()
    },
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    ping: () => ping(port),
    stop: kill
  }
}
