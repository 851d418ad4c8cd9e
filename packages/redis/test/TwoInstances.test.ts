/**
 * Two app instances behind one load balancer share sessions through one Redis. The tenant
 * delivers a back-channel logout to one of them; the session must end on both.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Auth0, BackchannelLogout, Login, RequestCookies, StateStore, TransactionStore, UserSession } from "@auth0-effect/core"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

const CALLBACK = "http://127.0.0.1:3000/callback"
let redis: RedisServer
let emulator: Emulator
let backchannel: Server
let receivedStatus: Array<number> = []

const instance = (emulator: Emulator) =>
  ManagedRuntime.make(
    Layer.mergeAll(StateStore.StateStore.stateful, TransactionStore.TransactionStore.cookie).pipe(
      Layer.provide(RedisSessionBackend.layer({ url: redis.url, keyPrefix: "two-instances:" })),
      Layer.provideMerge(Auth0.layer({
        domain: emulator.origin,
        allowInsecureHttp: true,
        clientId: "app",
        clientSecret: "app-secret-0123456789",
        // Every instance has the same secret, so any of them can read the cookie.
        secret: "shared-secret-of-all-instances-0123456789",
        redirectUri: CALLBACK,
        cookie: { secure: false }
      }))
    )
  )

type Instance = ReturnType<typeof instance>

/** A browser: carries cookies between requests to whichever instance serves them. */
const makeBrowser = () => {
  const cookies = new Map<string, string>()
  return <A, E>(app: Instance, effect: Effect.Effect<A, E, any>) =>
    Effect.gen(function*() {
      const jar = RequestCookies.makeRequestJar(Array.from(cookies, ([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "))
      const exit = yield* Effect.promise(() => app.runPromiseExit(Effect.provideService(effect, RequestCookies.RequestCookies, jar)))
      for (const header of jar.setCookieHeaders()) {
        const [pair = ""] = header.split(";")
        const eq = pair.indexOf("=")
        const name = pair.slice(0, eq)
        if (/Max-Age=0/.test(header)) cookies.delete(name)
        else cookies.set(name, decodeURIComponent(pair.slice(eq + 1)))
      }
      return yield* exit
    })
}

let instanceA: Instance
let instanceB: Instance

beforeAll(async () => {
  redis = await startRedisServer()
  backchannel = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk) => (body += chunk))
    req.on("end", () => {
      const token = new URLSearchParams(body).get("logout_token") ?? ""
      instanceA.runPromiseExit(BackchannelLogout.handleBackchannelLogout(token)).then((exit) => {
        const status = exit._tag === "Success" ? 204 : 400
        receivedStatus.push(status)
        res.writeHead(status).end()
      })
    })
  })
  await new Promise<void>((resolve) => backchannel.listen(0, "127.0.0.1", resolve))
  const port = (backchannel.address() as AddressInfo).port
  emulator = await startEmulator({
    clients: [{
      clientId: "app",
      clientSecret: "app-secret-0123456789",
      redirectUris: [CALLBACK],
      backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout`
    }]
  })
  instanceA = instance(emulator)
  instanceB = instance(emulator)
})

afterAll(async () => {
  await instanceA?.dispose()
  await instanceB?.dispose()
  await emulator?.stop()
  await new Promise((resolve) => backchannel?.close(resolve))
  await redis?.stop()
})

describe("two app instances sharing one Redis", () => {
  it.live("a back-channel logout delivered to one ends the session on both", () =>
    Effect.gen(function*() {
      receivedStatus = []
      yield* Effect.promise(() => emulator.createUser({ email: "eve@example.com" }))
      const browser = makeBrowser()
      // Login starts on A and completes on B (round-robin load balancing).
      const url = yield* browser(instanceA, Login.startInteractiveLogin())
      const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user: "eve@example.com" }))
      yield* browser(instanceB, Login.completeInteractiveLogin(callback))
      const onA = Option.getOrThrow(yield* browser(instanceA, UserSession.getUser))
      const onB = Option.getOrThrow(yield* browser(instanceB, UserSession.getUser))
      expect(onA.sub).toBe(onB.sub)

      const status = yield* Effect.promise(() => emulator.sendBackchannelLogout({ clientId: "app", sub: onA.sub }))
      expect(status).toBe(204)
      expect(receivedStatus).toEqual([204])
      expect(Option.isNone(yield* browser(instanceA, UserSession.getUser))).toBe(true)
      expect(Option.isNone(yield* browser(instanceB, UserSession.getUser))).toBe(true)
    }))
})
