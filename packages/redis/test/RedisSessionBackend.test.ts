import { afterAll, beforeAll } from "@effect/vitest"
import { Redis } from "ioredis"
import { RedisSessionBackend } from "../src/index.js"
import { backendSuite, type Target } from "./support/BackendSuite.js"
import { coordinationSuite } from "./support/CoordinationSuite.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

let server: RedisServer
let target: Target

beforeAll(async () => {
  server = await startRedisServer()
  const admin = new Redis(server.url)
  target = {
    isCluster: false,
    admin,
    layer: (options) => RedisSessionBackend.layer({ ...options, url: server.url }),
    unreachable: (port) => RedisSessionBackend.layer({ url: `redis://127.0.0.1:${port}` }),
    newClient: async () => new Redis(server.url),
    connectedClients: async () => Number(/connected_clients:(\d+)/.exec(await admin.info("clients"))?.[1]),
    pause: async (ms) => void (await admin.call("CLIENT", "PAUSE", String(ms), "ALL")),
    mastersOf: async () => 1
  }
})

afterAll(async () => {
  await target?.admin.quit()
  await server?.stop()
})

backendSuite("one server", () => target)
coordinationSuite("one server", () => target)
