/**
 * The Promise facade over Redis sessions recovers from a Redis that was down at first use (the
 * runtime's failed build is not kept), keeps one runtime (one Redis connection) once built, and
 * `dispose()` closes that connection so a script can exit. Real redis-server, real emulator.
 */
import { StateStore, StoreError } from "@auth0-effect/core"
import { BaseServerClient, type ServerClientOptions } from "@auth0-effect/core/ServerClient"
import { webServerClientAdapter, type WebStoreOptions } from "@auth0-effect/core/WebCookies"
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Layer from "effect/Layer"
import { Redis } from "ioredis"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

// This file kills its own server, so it must not share one with other test files.
let redis: RedisServer
let emulator: Emulator
const APP = "http://127.0.0.1:3998"

class Client extends BaseServerClient<WebStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, webServerClientAdapter)
  }
}

const makeClient = (keyPrefix: string) =>
  new Client({
    ...emulator.sdkOptions({ clientId: "redis-app" }),
    sessionStore: StateStore.StateStore.stateful.pipe(Layer.provide(RedisSessionBackend.layer({ url: redis.url, keyPrefix })))
  })

/** Cookies carried from call to call, as a browser would. */
const makeBrowser = () => {
  const cookies = new Map<string, string>()
  return async <A>(f: (options: WebStoreOptions) => Promise<A>, path = "/"): Promise<A> => {
    const options = {
      request: new Request(new URL(path, APP), { headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } }),
      headers: new Headers()
    }
    try {
      return await f(options)
    } finally {
      for (const line of options.headers.getSetCookie()) {
        const [pair = ""] = line.split(";")
        const eq = pair.indexOf("=")
        if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
        else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
    }
  }
}

/** Connections the SDK holds to Redis: every client but the probe itself. */
const sdkConnections = async () => {
  const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await probe.connect()
    const list = (await probe.client("LIST")) as unknown as string
    return list.trim().split("\n").filter((line) => line.length > 0).length - 1
  } finally {
    probe.disconnect()
  }
}

beforeAll(async () => {
  redis = await startRedisServer()
  emulator = await startEmulator({
    clients: [{ clientId: "redis-app", clientSecret: "redis-app-secret", redirectUris: [`${APP}/callback`] }]
  })
  await emulator.createUser({ email: "rae@example.com" })
})

afterAll(async () => {
  await emulator?.stop()
  await redis?.stop()
})

describe("ServerClient over Redis sessions", () => {
  it("Redis down at first use: calls reject with StoreError(unavailable); once Redis is back the next calls work", async () => {
    await redis.kill()
    const auth0 = makeClient("recovery:")
    try {
      const browser = makeBrowser()
      for (const call of [() => browser((o) => auth0.getUser(o)), () => browser((o) => auth0.startInteractiveLogin({}, o))]) {
        const error = await call().then(() => expect.fail("resolved"), (e: unknown) => e)
        expect(error).toBeInstanceOf(StoreError)
        expect((error as StoreError).reason).toBe("unavailable")
      }

      await redis.restart()
      expect(await browser((o) => auth0.getUser(o))).toBeUndefined()
      const url = await browser((o) => auth0.startInteractiveLogin({}, o))
      const callback = await emulator.login(url.toString(), { user: "rae@example.com" })
      await browser((o) => auth0.completeInteractiveLogin(callback, o), callback)
      expect((await browser((o) => auth0.getUser(o)))?.email).toBe("rae@example.com")

      // One runtime once built: the calls above share one Redis connection.
      expect(await sdkConnections()).toBe(1)
      for (let i = 0; i < 5; i++) await browser((o) => auth0.getUser(o))
      expect(await sdkConnections()).toBe(1)
    } finally {
      await auth0.dispose()
    }
  })

  it("dispose() quits the Redis connection (a script can exit); await using does the same", async () => {
    const auth0 = makeClient("dispose:")
    const browser = makeBrowser()
    expect(await browser((o) => auth0.getUser(o))).toBeUndefined()
    expect(await sdkConnections()).toBe(1)
    await auth0.dispose()
    expect(await sdkConnections()).toBe(0)

    {
      await using scoped = makeClient("dispose:")
      expect(await browser((o) => scoped.getUser(o))).toBeUndefined()
      expect(await sdkConnections()).toBe(1)
    }
    expect(await sdkConnections()).toBe(0)
  })
})
