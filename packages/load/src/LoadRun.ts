/**
 * The load and soak run: the emulator (refresh token rotation on, access tokens that live a few
 * seconds), a Redis (one server or a cluster), two app instances as separate Node processes, and
 * N virtual users who log in, then for T seconds load pages of parallel requests spread at
 * random over both instances. Optionally Redis is restarted mid-run. Bounded in users, time and
 * requests in flight; loopback only; everything it starts it stops.
 */
import { type ChildProcess, fork } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"
import { performance } from "node:perf_hooks"
import { startEmulator } from "@auth0-effect/testing"
import type { AppConfig, AppMessage, Timings } from "./App.js"
import { type RedisDeployment, startCluster, startSingle } from "./RedisProcesses.js"
import { type LoadReport, summarize } from "./Report.js"
import { type CallRecord, type Operation, OPERATIONS, VirtualUser } from "./VirtualUser.js"

export interface LoadOptions {
  /** Virtual users. Default 200. */
  readonly users?: number
  /** Length of the request phase, in seconds. Default 60. */
  readonly seconds?: number
  readonly redis?: "single" | "cluster"
  /** Access token lifetime at the emulator. Default 3 s. */
  readonly accessTokenTtlSeconds?: number
  /** Requests per page, sent at once. Default 3. */
  readonly pageSize?: number
  /** Pause between a user's pages, in ms: uniform in [min, max]. Default [200, 600]. */
  readonly thinkMs?: readonly [number, number]
  /** Single node only: stop Redis at `atSeconds` into the run for `downSeconds`. */
  readonly outage?: { readonly atSeconds: number; readonly downSeconds: number } | undefined
  readonly seed?: number
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void
}

export type { LoadReport }

const API_A = "https://api-a.load.test/"
const API_B = "https://api-b.load.test/"
const CONNECTION = "google-oauth2"
const REDIRECT_URI = "http://127.0.0.1/callback"
/** Built App.js: this module runs from dist/ (pnpm load) or src/ (vitest); both sit beside dist/. */
const APP_ENTRY = fileURLToPath(new URL("../dist/App.js", import.meta.url))

/** A small seeded PRNG (mulberry32), so a run's choices can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Instance {
  readonly child: ChildProcess
  readonly origin: string
}

const startInstance = async (config: AppConfig): Promise<Instance> => {
  const child = fork(APP_ENTRY, [], {
    env: { ...process.env, LOAD_APP_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("app instance did not start within 20 s")), 20_000)
    child.once("exit", (code) => reject(new Error(`app instance exited with ${code}`)))
    child.once("message", (message: AppMessage) => {
      clearTimeout(timer)
      if ("port" in message) resolve(message.port)
      else reject(new Error("unexpected first message"))
    })
  })
  return { child, origin: `http://127.0.0.1:${port}` }
}

const timingsOf = (instance: Instance): Promise<Timings> =>
  new Promise((resolve) => {
    const onMessage = (message: AppMessage) => {
      if ("timings" in message) {
        instance.child.off("message", onMessage)
        resolve(message.timings)
      }
    }
    instance.child.on("message", onMessage)
    instance.child.send("timings")
  })

const stopInstance = async (instance: Instance) => {
  if (instance.child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => instance.child.once("exit", () => resolve()))
  instance.child.send("stop")
  const timer = setTimeout(() => instance.child.kill("SIGKILL"), 5_000)
  await exited
  clearTimeout(timer)
}

/** Runs `f` over `items` with at most `limit` at a time. */
const pool = async <A>(items: ReadonlyArray<A>, limit: number, f: (item: A) => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await f(items[next++]!)
  }))
}

export const runLoad = async (options: LoadOptions = {}): Promise<LoadReport> => {
  const users = options.users ?? 200
  const seconds = options.seconds ?? 60
  const ttl = options.accessTokenTtlSeconds ?? 3
  const pageSize = options.pageSize ?? 3
  const [thinkMin, thinkMax] = options.thinkMs ?? [200, 600]
  const redisKind = options.redis ?? "single"
  const random = prng(options.seed ?? 9)
  const log = options.log ?? (() => {})
  if (options.outage && redisKind !== "single") throw new Error("the Redis restart runs on a single node")

  const clientSecret = randomBytes(24).toString("base64url")
  const emulator = await startEmulator({
    accessTokenTtlSeconds: ttl,
    clients: [{
      clientId: "load-app",
      clientSecret,
      redirectUris: [REDIRECT_URI],
      refreshTokenRotation: true,
      refreshTokenPolicies: [
        { audience: API_A, scopes: ["read:a"] },
        { audience: API_B, scopes: ["read:b"] },
        { audience: "{origin}/me/", scopes: ["create:me:connected_accounts", "read:me:connected_accounts"] }
      ]
    }],
    apis: [{ audience: API_A, scopes: ["read:a"] }, { audience: API_B, scopes: ["read:b"] }]
  })
  let redis: RedisDeployment | undefined
  const instances: Array<Instance> = []
  try {
    redis = redisKind === "single" ? await startSingle() : await startCluster()
    const config: AppConfig = {
      domain: emulator.domain,
      clientId: "load-app",
      clientSecret,
      secret: randomBytes(32).toString("base64url"),
      redirectUri: REDIRECT_URI,
      apiA: API_A,
      apiB: API_B,
      myAccount: emulator.myAccountAudience,
      connection: CONNECTION,
      redis: redis.target,
      keyPrefix: "load:",
      commandTimeoutMs: 1_000
    }
    instances.push(...(await Promise.all([startInstance(config), startInstance(config)])))
    const origins = instances.map((instance) => instance.origin)
    log(`redis ${redisKind}, instances ${origins.join(" ")}, emulator ${emulator.origin}`)

    const people: Array<VirtualUser> = []
    for (let i = 0; i < users; i++) {
      const { sub } = await emulator.createUser({ email: `user${i}@load.test` })
      await emulator.addConnectedAccount(sub, { connection: CONNECTION, scopes: ["calendar.readonly"] })
      people.push(new VirtualUser(i, sub, origins))
    }
    await pool(people, 10, (user) => user.login((url) => emulator.login(url, { user: user.sub }), random))
    log(`${users} users logged in`)

    emulator.resetCounts()
    await Promise.all(instances.map(timingsOf))
    const records: Array<CallRecord> = []
    const started = performance.now()
    const deadline = started + seconds * 1_000
    const outage = {
      downAt: undefined as number | undefined,
      upAt: undefined as number | undefined,
      sessionsBefore: 0,
      sessionsMissingAfter: 0
    }

    const outageDone = options.outage && redis
      ? (async (deployment: RedisDeployment, plan: { atSeconds: number; downSeconds: number }) => {
        await sleep(plan.atSeconds * 1_000)
        const before = await deployment.keys(`${config.keyPrefix}s:*`)
        outage.downAt = performance.now() - started
        await deployment.stopServer()
        log(`redis stopped at ${(outage.downAt / 1_000).toFixed(1)} s`)
        await sleep(plan.downSeconds * 1_000)
        await deployment.startServer()
        outage.upAt = performance.now() - started
        // Every session that was in Redis when it stopped must be there after the restart.
        const after = await deployment.keys(`${config.keyPrefix}s:*`)
        outage.sessionsBefore = before.size
        outage.sessionsMissingAfter = [...before].filter((key) => !after.has(key)).length
        log(`redis back at ${(outage.upAt / 1_000).toFixed(1)} s`)
      })(redis, options.outage)
      : Promise.resolve()

    await Promise.all(people.map(async (user) => {
      // Spread the users' first pages over the first think interval.
      await sleep(random() * thinkMax)
      while (performance.now() < deadline) {
        const page: Array<Operation> = Array.from({ length: pageSize }, () => OPERATIONS[Math.floor(random() * OPERATIONS.length)]!)
        page.push("/raw")
        const results = await Promise.all(
          page.map((operation) => user.call(Math.floor(random() * origins.length), operation, started))
        )
        records.push(...results)
        await sleep(thinkMin + random() * (thinkMax - thinkMin))
      }
    }))
    await outageDone
    const elapsedSeconds = (performance.now() - started) / 1_000
    const counts = {
      refresh: emulator.requestCount("/oauth/token", "refresh_token"),
      tokenVault: emulator.requestCount("/oauth/token", "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"),
      myAccount: emulator.requestCount("/me/v1"),
      refreshTokenReuses: emulator.refreshTokenReuseDetections()
    }
    const timings = await Promise.all(instances.map(timingsOf))
    log(`request phase over after ${elapsedSeconds.toFixed(1)} s, ${records.length} calls; probing sessions`)

    // A session is lost when its user's calls stopped working: probe each on both instances.
    const lost: Array<{ readonly user: number; readonly tag: string }> = []
    await pool(people, 20, async (user) => {
      for (let instance = 0; instance < origins.length; instance++) {
        for (const path of ["/session", "/token-a"] as const) {
          const { body } = await user.request(instance, path)
          if (body["ok"] !== true) {
            const reason = typeof body["reason"] === "string" ? `(${body["reason"]})` : ""
            lost.push({ user: user.index, tag: `${String(body["tag"])}${reason} on ${path}` })
            return
          }
        }
      }
    })

    return summarize({
      options: { users, seconds, ttl, pageSize, thinkMs: [thinkMin, thinkMax], redis: redisKind, outage: options.outage },
      records,
      elapsedSeconds,
      counts,
      timings,
      lost: lost.sort((a, b) => a.user - b.user),
      outage
    })
  } finally {
    await Promise.all(instances.map(stopInstance))
    await redis?.stop()
    await emulator.stop()
  }
}
