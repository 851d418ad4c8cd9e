/**
 * A replayed logout token (issue 8 #7, Back-Channel Logout §2.4 `jti`, §2.6 step 9) across two
 * app instances sharing one Redis: the tenant's token ends the session on instance A; the user
 * logs in again; an attacker who kept the token delivers it to instance B. B must refuse it, and
 * the new session must survive on both.
 */
import { Auth0, BackchannelLogout, Login, RequestCookies, StateStore, TransactionStore, UserSession } from "@auth0-effect/core"
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { Redis } from "ioredis"
import { RedisSessionBackend } from "../src/index.js"
import { type RedisServer, startRedisServer } from "./support/RedisServer.js"

const CALLBACK = "http://127.0.0.1:3000/callback"
const PREFIX = "replay:"
let redis: RedisServer
let emulator: Emulator

const instance = () =>
  ManagedRuntime.make(
    Layer.mergeAll(StateStore.StateStore.stateful, TransactionStore.TransactionStore.cookie).pipe(
      Layer.provide(RedisSessionBackend.layer({ url: redis.url, keyPrefix: PREFIX })),
      Layer.provideMerge(Auth0.layer({ ...emulator.sdkOptions({ clientId: "app", redirectUri: CALLBACK }), clientSecret: "app-secret-0123456789" }))
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
        if (/Max-Age=0/.test(header)) cookies.delete(pair.slice(0, eq))
        else cookies.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)))
      }
      return yield* exit
    })
}

const login = (start: Instance, finish: Instance, user: string) =>
  Effect.gen(function*() {
    const browser = makeBrowser()
    const url = yield* browser(start, Login.startInteractiveLogin())
    const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user }))
    yield* browser(finish, Login.completeInteractiveLogin(callback))
    return browser
  })

let instanceA: Instance
let instanceB: Instance

beforeAll(async () => {
  redis = await startRedisServer()
  emulator = await startEmulator({ clients: [{ clientId: "app", clientSecret: "app-secret-0123456789", redirectUris: [CALLBACK] }] })
  instanceA = instance()
  instanceB = instance()
})

afterAll(async () => {
  await instanceA?.dispose()
  await instanceB?.dispose()
  await emulator?.stop()
  await redis?.stop()
})

describe("a replayed logout token, two instances on one Redis", () => {
  it.live("the replay delivered to the other instance is refused and the new login survives", () =>
    Effect.gen(function*() {
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "rex@example.com" }))
      const first = yield* login(instanceA, instanceA, "rex@example.com")
      const token = yield* Effect.promise(() => emulator.makeLogoutToken({ clientId: "app", sub, expiresIn: 300 }))

      const handle = (app: Instance) => Effect.promise(() => app.runPromiseExit(BackchannelLogout.handleBackchannelLogout(token)))
      const delivered = yield* handle(instanceA)
      expect(delivered).toMatchObject({ _tag: "Success", value: 1 })
      expect(Option.isNone(yield* first(instanceB, UserSession.getUser))).toBe(true)

      const again = yield* login(instanceB, instanceB, "rex@example.com")
      for (const app of [instanceB, instanceA]) {
        const replay = yield* handle(app)
        expect(replay._tag).toBe("Failure")
        if (replay._tag === "Failure") {
          expect(String(replay.cause)).toMatch(/BackchannelLogoutError.*used before/s)
        }
      }
      expect(Option.getOrThrow(yield* again(instanceA, UserSession.getUser)).sub).toBe(sub)
      expect(Option.getOrThrow(yield* again(instanceB, UserSession.getUser)).sub).toBe(sub)

      // In Redis: one fixed-size key per token (a digest of iss and jti), expiring with the token.
      const client = new Redis(redis.url)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.disconnect()))
      const keys = yield* Effect.promise(() => client.keys(`${PREFIX}kv:logout-jti:*`))
      expect(keys).toHaveLength(1)
      expect(keys[0]).toMatch(new RegExp(`^${PREFIX}kv:logout-jti:[A-Za-z0-9_-]{43}$`))
      const ttl = yield* Effect.promise(() => client.ttl(keys[0]!))
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(300 + 60 + 1)
    }).pipe(Effect.scoped))
})
