/**
 * The part of the backend suite that refresh coordination and the cluster layout rely on:
 * leases, remembered values, and back-channel logout across slots, including a logout caught in
 * the middle of a login's write. Run on one server and on a cluster, like BackendSuite.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { Cluster, Redis } from "ioredis"
import { RedisSessionBackend } from "../../src/index.js"
import { helpers, sessionFor, type Target } from "./Target.js"

/** A MULTI that writes a session entry (`SET ...:s:...`). */
const writesEntry: Matcher = (name, args) => name === "SET" && String(args[0]).includes(":s:")

type Matcher = (name: string, args: ReadonlyArray<string | number>) => boolean

/** A switch a test flips: `reached` resolves when the client stalls, `release` lets it go on. */
const makeGate = () => {
  let release!: () => void
  let stalled!: () => void
  const opened = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (stalled = resolve))
  return { opened, reached, release, stalled }
}

/**
 * The client, except that a MULTI with a command `matches` accepts signals `gate.stalled` and
 * waits for the gate before it is sent: an operation caught between its phases.
 */
const stallBefore = <C extends Redis | Cluster>(client: C, matches: Matcher, gate: ReturnType<typeof makeGate>): C =>
  new Proxy(client, {
    get(target, property) {
      if (property === "multi") {
        return () => {
          const transaction = target.multi()
          const send = transaction.exec.bind(transaction)
          const queue = transaction.call.bind(transaction)
          let stall = false
          transaction.call = ((name: string, ...args: Array<string | number>) => {
            if (matches(name, args)) stall = true
            return queue(name, ...args)
          }) as typeof transaction.call
          transaction.exec = (async () => {
            if (stall) {
              gate.stalled()
              await gate.opened
            }
            return send()
          }) as typeof transaction.exec
          return transaction
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === "function" ? value.bind(target) : value
    }
  })

export const coordinationSuite = (label: string, target: () => Target) => {
  const { exists, freshPrefix, withBackend } = helpers(`${label}-coordination`, target)

  describe(`RedisSessionBackend coordination on ${label}`, () => {
  describe("leases", () => {
    it.live("a lease is exclusive until released by its own token, and a foreign token frees nothing", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          const first = yield* backend.acquireLease("refresh:one", 10_000)
          expect(Option.isSome(first)).toBe(true)
          expect(yield* backend.acquireLease("refresh:one", 10_000)).toEqual(Option.none())
          // Another key is another lease.
          expect(Option.isSome(yield* backend.acquireLease("refresh:two", 10_000))).toBe(true)

          yield* backend.releaseLease("refresh:one", "not-the-holders-token")
          expect(yield* backend.acquireLease("refresh:one", 10_000)).toEqual(Option.none())
          expect(yield* Effect.promise(() => exists(`${prefix}lease:refresh:one`))).toBe(1)

          yield* backend.releaseLease("refresh:one", Option.getOrThrow(first))
          const second = yield* backend.acquireLease("refresh:one", 10_000)
          expect(Option.isSome(second)).toBe(true)
          expect(second).not.toEqual(first)
          // The old holder releasing late does not free the new holder's lease.
          yield* backend.releaseLease("refresh:one", Option.getOrThrow(first))
          expect(yield* backend.acquireLease("refresh:one", 10_000)).toEqual(Option.none())
        })
      ))

    it.live("a lease lapses after its TTL, so a waiter takes over from a holder that died", () =>
      withBackend((backend) =>
        Effect.gen(function*() {
          expect(Option.isSome(yield* backend.acquireLease("refresh:dead", 300))).toBe(true)
          expect(yield* backend.acquireLease("refresh:dead", 300)).toEqual(Option.none())
          yield* Effect.sleep("450 millis")
          expect(Option.isSome(yield* backend.acquireLease("refresh:dead", 300))).toBe(true)
        })
      ))

    it.live("only one of many concurrent acquirers gets the lease", () =>
      withBackend((backend) =>
        Effect.gen(function*() {
          const results = yield* Effect.all(
            Array.from({ length: 20 }, () => backend.acquireLease("refresh:race", 10_000)),
            { concurrency: "unbounded" }
          )
          expect(results.filter(Option.isSome)).toHaveLength(1)
        })
      ))
  })

  describe("remember and recall", () => {
    it.live("remember sets a value only if absent, with a TTL; recall reads it", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          expect(yield* backend.recall("rotated:abc")).toEqual(Option.none())
          expect(yield* backend.remember("rotated:abc", "successor-1", 60)).toBe(true)
          expect(yield* backend.remember("rotated:abc", "successor-2", 60)).toBe(false)
          expect(yield* backend.recall("rotated:abc")).toEqual(Option.some("successor-1"))
          const ttl = yield* Effect.promise(() => target().admin.ttl(`${prefix}kv:rotated:abc`))
          expect(ttl).toBeGreaterThan(55)
          expect(ttl).toBeLessThanOrEqual(60)

          expect(yield* backend.remember("jti:short", "seen", 0.3)).toBe(true)
          yield* Effect.sleep("1100 millis")
          expect(yield* backend.recall("jti:short")).toEqual(Option.none())
          expect(yield* backend.remember("jti:short", "again", 60)).toBe(true)
        })
      ))
  })

  describe("back-channel logout across slots", () => {
    it.live("by sub and by sid reach sessions whose entries live on different masters", () =>
      withBackend((backend, prefix) =>
        Effect.gen(function*() {
          const ids = Array.from({ length: 12 }, (_, i) => `spread-${i}`)
          for (const [i, id] of ids.entries()) yield* backend.set(id, sessionFor("auth0|spread", `sid-${i % 3}`), 60)
          yield* backend.set("other", sessionFor("auth0|other", "sid-0"), 60)
          const masters = yield* Effect.promise(() => target().mastersOf(ids.map((id) => `${prefix}s:${id}`)))
          expect(masters).toBe(target().isCluster ? 3 : 1)

          // sid-0 is shared with another user's session: only with the sub does it narrow to one user.
          expect(yield* backend.deleteByLogoutClaims({ sid: "sid-1", sub: "auth0|spread" })).toBe(4)
          expect(yield* backend.deleteByLogoutClaims({ sub: "auth0|spread" })).toBe(8)
          for (const id of ids) expect(yield* backend.get(id)).toEqual(Option.none())
          expect(Option.isSome(yield* backend.get("other"))).toBe(true)
          expect(yield* Effect.promise(() => exists(`${prefix}sub:auth0|spread`, `${prefix}sid:sid-1`, `${prefix}sid:sid-2`)))
            .toBe(0)
          expect(yield* Effect.promise(() => target().admin.smembers(`${prefix}sid:sid-0`))).toEqual(["other"])
        })
      ))

    it.live("a logout that runs while a login is being written never leaves the new session out of its index", () =>
      Effect.gen(function*() {
        const keyPrefix = freshPrefix()
        // The login's instance stalls right before the command that writes the entry.
        const gate = makeGate()
        const login = RedisSessionBackend.make(stallBefore(target().admin, writesEntry, gate), { keyPrefix })
        const logout = RedisSessionBackend.make(target().admin, { keyPrefix })

        const writing = yield* Effect.fork(login.set("new-login", sessionFor("auth0|late", "sid-late"), 60))
        yield* Effect.promise(() => gate.reached)
        // The tenant's logout for that sid arrives now: the entry is not there yet.
        expect(yield* logout.deleteByLogoutClaims({ sid: "sid-late" })).toBe(0)
        gate.release()
        yield* writing.await

        // The session exists (it was written after the logout), so the next logout must find it.
        expect(Option.isSome(yield* logout.get("new-login"))).toBe(true)
        expect(yield* Effect.promise(() => target().admin.sismember(`${keyPrefix}sid:sid-late`, "new-login"))).toBe(1)
        expect(yield* logout.deleteByLogoutClaims({ sid: "sid-late" })).toBe(1)
      }))

    it.live("a logout that drops a member just as its login completes puts it back", () =>
      Effect.gen(function*() {
        const keyPrefix = freshPrefix()
        const loginGate = makeGate()
        const logoutGate = makeGate()
        const login = RedisSessionBackend.make(stallBefore(target().admin, writesEntry, loginGate), { keyPrefix })
        const removesMembers: Matcher = (name) => name === "SREM"
        const logout = RedisSessionBackend.make(stallBefore(target().admin, removesMembers, logoutGate), { keyPrefix })

        // The login has joined the sid index but not written its entry yet...
        const writing = yield* Effect.fork(login.set("new-login", sessionFor("auth0|late", "sid-late"), 60))
        yield* Effect.promise(() => loginGate.reached)
        // ...a logout reads the index, finds no entry, and is about to drop the member...
        const loggingOut = yield* Effect.fork(logout.deleteByLogoutClaims({ sid: "sid-late" }))
        yield* Effect.promise(() => Promise.race([logoutGate.reached, Effect.runPromise(loggingOut.await)]))
        // ...when the login completes (entry written, index joined again)...
        loginGate.release()
        yield* writing.await
        // ...and then the logout drops the member.
        logoutGate.release()
        expect(yield* loggingOut.await).toEqual(Exit.succeed(0))

        expect(yield* Effect.promise(() => target().admin.sismember(`${keyPrefix}sid:sid-late`, "new-login"))).toBe(1)
        expect(yield* logout.deleteByLogoutClaims({ sid: "sid-late" })).toBe(1)
      }))
  })
})
}
