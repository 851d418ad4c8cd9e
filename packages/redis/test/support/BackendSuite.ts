/**
 * The RedisSessionBackend test suite, run once on a single server and once on a Redis Cluster
 * (RedisSessionBackend.test.ts, RedisCluster.test.ts). A {@link Target} says how to reach the
 * deployment; everything a test checks through `admin` uses single-key commands only, which a
 * cluster client routes to the right node.
 */
import { SessionBackend, StoreError } from "@auth0-effect/core"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Example from "../../examples/redis-sessions.js"
import { RedisSessionBackend } from "../../src/index.js"
import { helpers, sessionFor, type Target } from "./Target.js"

export { sessionFor, type Target }

export const backendSuite = (label: string, target: () => Target) => {
  const { exists, freshPrefix, withBackend } = helpers(label, target)

  const connectedClients = () => Effect.promise(() => target().connectedClients())
  /** One connection per client on one server; a cluster client connects to masters as it needs them. */
  const expectConnections = (actual: number, oneEach: number) =>
    target().isCluster ? expect(actual).toBeGreaterThanOrEqual(oneEach) : expect(actual).toBe(oneEach)

describe(`RedisSessionBackend on ${label}`, () => {
  it.live("stores a session as JSON under {prefix}s:{id} and reads it back", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        const data = sessionFor("auth0|ada", "sid-1")
        yield* backend.set("id-1", data, 60)

        expect(yield* backend.get("id-1")).toEqual(Option.some(data))
        expect(yield* backend.get("id-unknown")).toEqual(Option.none())

        const raw = yield* Effect.promise(() => target().admin.get(`${prefix}s:id-1`))
        expect(JSON.parse(raw!)).toEqual(data)
        const ttl = yield* Effect.promise(() => target().admin.ttl(`${prefix}s:id-1`))
        expect(ttl).toBeGreaterThan(55)
        expect(ttl).toBeLessThanOrEqual(60)
        expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sid:sid-1`))).toEqual(["id-1"])
        expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sub:auth0|ada`))).toEqual(["id-1"])
      })
    ))

  it.live("replace overwrites an existing session only: a deleted one stays deleted", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        const data = sessionFor("auth0|ada", "sid-1")
        expect(yield* backend.replace("id-r", data, 60)).toBe(false)
        expect(yield* Effect.promise(() => exists(`${prefix}s:id-r`))).toBe(0)
        yield* backend.set("id-r", data, 60)
        const updated = { ...data, refreshToken: "rotated" }
        expect(yield* backend.replace("id-r", updated, 120)).toBe(true)
        expect(yield* backend.get("id-r")).toEqual(Option.some(updated))
        expect(yield* Effect.promise(() => target().admin.ttl(`${prefix}s:id-r`))).toBeGreaterThan(60)
        expect(yield* backend.deleteByLogoutClaims({ sid: "sid-1" })).toBe(1)
        expect(yield* backend.replace("id-r", updated, 120)).toBe(false)
        expect(yield* backend.get("id-r")).toEqual(Option.none())
      })
    ))

  it.live("uses a0: as the default key prefix", () =>
    Effect.gen(function*() {
      const backend = yield* SessionBackend.SessionBackend
      const id = `default-prefix-${Date.now()}`
      yield* backend.set(id, sessionFor("auth0|prefix"), 30)
      expect(yield* Effect.promise(() => exists(`a0:s:${id}`))).toBe(1)
      yield* backend.delete(id)
      expect(yield* Effect.promise(() => exists(`a0:s:${id}`, `a0:sub:auth0|prefix`))).toBe(0)
    }).pipe(Effect.provide(target().layer({}))))

  it.live("an entry expires after its TTL; its indexes never expire before it", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        yield* backend.set("long", sessionFor("auth0|ttl", "sid-long"), 100)
        yield* backend.set("short", sessionFor("auth0|ttl", "sid-short"), 1)
        expect(Option.isSome(yield* backend.get("short"))).toBe(true)

        // The user's index outlives the longer of the two sessions: the short write did not lower it.
        const subTtl = yield* Effect.promise(() => target().admin.ttl(`${prefix}sub:auth0|ttl`))
        expect(subTtl).toBeGreaterThan(95)
        const sidTtl = yield* Effect.promise(() => target().admin.pttl(`${prefix}sid:sid-short`))
        expect(sidTtl).toBeGreaterThanOrEqual(yield* Effect.promise(() => target().admin.pttl(`${prefix}s:short`)))

        yield* Effect.sleep("1200 millis")
        expect(yield* backend.get("short")).toEqual(Option.none())
        expect(Option.isSome(yield* backend.get("long"))).toBe(true)
      })
    ))

  it.live("a rewrite with a longer TTL extends the indexes too", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        yield* backend.set("id", sessionFor("auth0|grow", "sid-grow"), 5)
        yield* backend.set("id", sessionFor("auth0|grow", "sid-grow"), 500)
        expect(yield* Effect.promise(() => target().admin.ttl(`${prefix}sid:sid-grow`))).toBeGreaterThan(490)
        expect(yield* Effect.promise(() => target().admin.ttl(`${prefix}sub:auth0|grow`))).toBeGreaterThan(490)
      })
    ))

  it.live("rounds a fractional TTL up and treats a TTL of 0 as delete", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        yield* backend.set("id", sessionFor("auth0|frac"), 0.2)
        expect(yield* Effect.promise(() => target().admin.ttl(`${prefix}s:id`))).toBe(1)
        yield* backend.set("id", sessionFor("auth0|frac"), 0)
        expect(yield* backend.get("id")).toEqual(Option.none())
        expect(yield* Effect.promise(() => exists(`${prefix}sub:auth0|frac`))).toBe(0)
      })
    ))

  it.live("delete removes the entry and its members of both indexes, and nothing else", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        yield* backend.set("a", sessionFor("auth0|del", "sid-a"), 60)
        yield* backend.set("b", sessionFor("auth0|del", "sid-b"), 60)
        yield* backend.delete("a")

        expect(yield* backend.get("a")).toEqual(Option.none())
        expect(yield* Effect.promise(() => exists(`${prefix}sid:sid-a`))).toBe(0)
        expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sub:auth0|del`))).toEqual(["b"])
        expect(Option.isSome(yield* backend.get("b"))).toBe(true)
        // Deleting what is not there is fine.
        yield* backend.delete("a")
      })
    ))

  describe("deleteByLogoutClaims", () => {
    it.live("by sid deletes that session only", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          yield* backend.set("laptop", sessionFor("auth0|u", "sid-laptop"), 60)
          yield* backend.set("phone", sessionFor("auth0|u", "sid-phone"), 60)

          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-laptop" })).toBe(1)
          expect(yield* backend.get("laptop")).toEqual(Option.none())
          expect(Option.isSome(yield* backend.get("phone"))).toBe(true)
          expect(yield* Effect.promise(() => exists(`${prefix}sid:sid-laptop`))).toBe(0)
          expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sub:auth0|u`))).toEqual(["phone"])
          // A second logout for the same sid finds nothing.
          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-laptop" })).toBe(0)
        })
      ))

    it.live("by sub deletes every session of that user and no one else's", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          yield* backend.set("u1-a", sessionFor("auth0|u1", "s1"), 60)
          yield* backend.set("u1-b", sessionFor("auth0|u1", "s2"), 60)
          yield* backend.set("u1-c", sessionFor("auth0|u1"), 60)
          yield* backend.set("u2-a", sessionFor("auth0|u2", "s3"), 60)

          expect(yield* backend.deleteByLogoutClaims({ sub: "auth0|u1" })).toBe(3)
          for (const id of ["u1-a", "u1-b", "u1-c"]) {
            expect(yield* backend.get(id)).toEqual(Option.none())
          }
          expect(Option.isSome(yield* backend.get("u2-a"))).toBe(true)
          expect(yield* Effect.promise(() => exists(`${prefix}sub:auth0|u1`, `${prefix}sid:s1`, `${prefix}sid:s2`)))
            .toBe(0)
          expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sub:auth0|u2`))).toEqual(["u2-a"])
        })
      ))

    it.live("by sid and sub deletes nothing when the sub does not match, the session when it does", () =>
      withBackend((backend) =>
        Effect.gen(function*() {
          yield* backend.set("id", sessionFor("auth0|owner", "sid-x"), 60)

          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-x", sub: "auth0|someone-else" })).toBe(0)
          expect(Option.isSome(yield* backend.get("id"))).toBe(true)

          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-x", sub: "auth0|owner" })).toBe(1)
          expect(yield* backend.get("id")).toEqual(Option.none())
        })
      ))

    it.live("with neither sid nor sub deletes nothing", () =>
      withBackend((backend) =>
        Effect.gen(function*() {
          yield* backend.set("id", sessionFor("auth0|n", "sid-n"), 60)
          expect(yield* backend.deleteByLogoutClaims({})).toBe(0)
          expect(Option.isSome(yield* backend.get("id"))).toBe(true)
        })
      ))

    it.live("drops index members whose entry has expired, without counting them", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          yield* backend.set("gone", sessionFor("auth0|stale", "sid-stale"), 60)
          yield* backend.set("live", sessionFor("auth0|stale", "sid-live"), 60)
          // As if the entry had expired: the indexes still name it.
          yield* Effect.promise(() => target().admin.del(`${prefix}s:gone`))

          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-stale" })).toBe(0)
          expect(yield* Effect.promise(() => exists(`${prefix}sid:sid-stale`))).toBe(0)

          expect(yield* backend.deleteByLogoutClaims({ sub: "auth0|stale" })).toBe(1)
          expect(yield* Effect.promise(() => exists(`${prefix}sub:auth0|stale`))).toBe(0)
        })
      ))

    it.live("a session rewritten with a new sid is not logged out by its old sid", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          yield* backend.set("id", sessionFor("auth0|re", "sid-old"), 60)
          yield* backend.set("id", sessionFor("auth0|re", "sid-new"), 60)

          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-old" })).toBe(0)
          expect(Option.isSome(yield* backend.get("id"))).toBe(true)
          expect(yield* Effect.promise(() => exists(`${prefix}sid:sid-old`))).toBe(0)
          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-new" })).toBe(1)
        })
      ))
  })

  it.live("an entry that is not a session reads as none and is deleted", () =>
    withBackend((backend, prefix) =>
      Effect.gen(function*() {
        yield* Effect.promise(() => target().admin.set(`${prefix}s:garbage`, "{not json", "EX", 60))
        yield* Effect.promise(() => target().admin.set(`${prefix}s:wrong-shape`, JSON.stringify({ user: { name: "no sub" } })))

        expect(yield* backend.get("garbage")).toEqual(Option.none())
        expect(yield* backend.get("wrong-shape")).toEqual(Option.none())
        expect(yield* Effect.promise(() => exists(`${prefix}s:garbage`, `${prefix}s:wrong-shape`))).toBe(0)
        // And deleting or logging out around it still works.
        yield* Effect.promise(() => target().admin.set(`${prefix}s:bad`, "[]"))
        yield* Effect.promise(() => target().admin.sadd(`${prefix}sub:auth0|bad`, "bad"))
        expect(yield* backend.deleteByLogoutClaims({ sub: "auth0|bad" })).toBe(0)
        expect(yield* Effect.promise(() => exists(`${prefix}s:bad`, `${prefix}sub:auth0|bad`))).toBe(0)
      })
    ))

  it.live("two app instances with their own clients see each other's writes and deletions", () =>
    Effect.gen(function*() {
      const keyPrefix = freshPrefix()
      const before = yield* connectedClients()
      const instanceA = Context.get(
        yield* Layer.build(target().layer({ keyPrefix })),
        SessionBackend.SessionBackend
      )
      const instanceB = Context.get(
        yield* Layer.build(target().layer({ keyPrefix })),
        SessionBackend.SessionBackend
      )
      expectConnections(yield* connectedClients(), before + 2)

      yield* instanceA.set("s1", sessionFor("auth0|shared", "sid-1"), 60)
      yield* instanceA.set("s2", sessionFor("auth0|shared", "sid-2"), 60)
      expect(Option.isSome(yield* instanceB.get("s1"))).toBe(true)

      yield* instanceB.delete("s1")
      expect(yield* instanceA.get("s1")).toEqual(Option.none())

      // A back-channel logout received by instance B logs the user out on instance A too.
      expect(yield* instanceB.deleteByLogoutClaims({ sub: "auth0|shared" })).toBe(1)
      expect(yield* instanceA.get("s2")).toEqual(Option.none())
    }).pipe(Effect.scoped))

  it.live("quits a client it created when its scope closes, and leaves an app's client open", () =>
    Effect.gen(function*() {
      const before = yield* connectedClients()
      yield* Effect.scoped(
        Effect.gen(function*() {
          yield* Layer.build(target().layer({}))
          expectConnections(yield* connectedClients(), before + 1)
        })
      )
      // QUIT is acknowledged before the server forgets the connection.
      yield* Effect.sleep("100 millis")
      expect(yield* connectedClients()).toBe(before)

      const own = yield* Effect.promise(() => target().newClient())
      yield* Effect.addFinalizer(() => Effect.promise(() => own.quit()))
      const keyPrefix = freshPrefix()
      yield* Effect.scoped(
        Effect.gen(function*() {
          const context = yield* Layer.build(RedisSessionBackend.layer({ client: own, keyPrefix }))
          yield* Context.get(context, SessionBackend.SessionBackend).set("id", sessionFor("auth0|own"), 60)
        })
      )
      expect(own.status).toBe("ready")
      expect(yield* Effect.promise(() => own.exists(`${keyPrefix}s:id`))).toBe(1)
    }).pipe(Effect.scoped))

  it.live("make wires the backend over any client, with the app's prefix", () =>
    Effect.gen(function*() {
      const backend = RedisSessionBackend.make(target().admin, { keyPrefix: "custom:" })
      yield* backend.set("m", sessionFor("auth0|make"), 30)
      expect(yield* Effect.promise(() => exists("custom:s:m", "custom:sub:auth0|make"))).toBe(2)
      yield* backend.delete("m")
      expect(yield* Effect.promise(() => exists("custom:s:m", "custom:sub:auth0|make"))).toBe(0)
    }))

  it.live("a session that JSON cannot hold fails with StoreError corrupt", () =>
    withBackend((backend) =>
      Effect.gen(function*() {
        const data = sessionFor("auth0|big")
        const error = yield* Effect.flip(
          backend.set("id", { ...data, user: { ...data.user, balance: 10n } }, 60)
        )
        expect(error).toBeInstanceOf(StoreError)
        expect(error.reason).toBe("corrupt")
      })
    ))

  it.live("a command that gets no reply in time fails with StoreError unavailable", () =>
    Effect.gen(function*() {
      const backend = yield* SessionBackend.SessionBackend
      // Freeze the server for every client for 1.5 s.
      yield* Effect.promise(() => target().pause(1500))
      const started = Date.now()
      const error = yield* Effect.flip(backend.get("anything"))
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(error._tag).toBe("StoreError")
      expect(error.reason).toBe("unavailable")
      expect(error.message).toMatch(/timed out|no reply/i)

      yield* Effect.sleep("1600 millis")
      expect(yield* backend.get("anything")).toEqual(Option.none())
    }).pipe(Effect.provide(target().layer({ keyPrefix: freshPrefix(), commandTimeoutMs: 300 }))))

  it.live("the layer fails with StoreError unavailable when Redis cannot be reached", () =>
    Effect.gen(function*() {
      // A port nothing listens on: the test server's, plus one, is not guaranteed free, so ask for one.
      const { port, close } = yield* Effect.promise(async () => {
        const { createServer } = await import("node:net")
        const s = createServer()
        await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))
        const address = s.address() as { port: number }
        return { port: address.port, close: () => new Promise<void>((resolve) => s.close(() => resolve())) }
      })
      yield* Effect.promise(close)
      const started = Date.now()
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(target().unreachable(port)))
      )
      // A cluster client also waits for the topology, up to three command timeouts.
      expect(Date.now() - started).toBeLessThan(target().isCluster ? 4_000 : 2_000)
      expect(error).toBeInstanceOf(StoreError)
      expect(error.reason).toBe("unavailable")
    }))

  it.live("the documented example runs: saves, reads and logs out a session", () =>
    Effect.gen(function*() {
      const result = yield* Example.program.pipe(
        Effect.provide(target().layer({ keyPrefix: "example:" }))
      )
      expect(result).toEqual({ user: Option.some("auth0|123"), deleted: 1 })
      expect(yield* Effect.promise(() => exists("example:s:session-id-1"))).toBe(0)
    }))
})
}
