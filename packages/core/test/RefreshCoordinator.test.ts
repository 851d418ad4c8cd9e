import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { StoreError } from "../src/Errors.js"
import * as RefreshCoordinator from "../src/RefreshCoordinator.js"
import { makeMemoryBackend, type SessionBackendService } from "../src/SessionBackend.js"
import * as SessionCrypto from "../src/SessionCrypto.js"
import { sha256Base64Url } from "../src/internal/digest.js"

const HTTP_TIMEOUT = 1_000
const LEASE = RefreshCoordinator.leaseMs(HTTP_TIMEOUT)
const WAIT = RefreshCoordinator.waitMs(HTTP_TIMEOUT)
const crypto = SessionCrypto.make(["a-secret-of-at-least-thirty-two-characters!"])

/** One app instance: its own in-process locks and ledger, over the shared backend. */
const instance = (backend: SessionBackendService) =>
  Effect.map(crypto, (c) => RefreshCoordinator.makeShared(backend, c, RefreshCoordinator.makeLocal(HTTP_TIMEOUT), HTTP_TIMEOUT))

const rotation: RefreshCoordinator.Rotation = {
  refreshToken: "rt-successor",
  tokenSet: { audience: "https://api.example.com", accessToken: "at-2", scope: "read", expiresAt: 3600 }
}

describe("RefreshCoordinator lock", () => {
  it.effect("a waiter gives up after waitMs (StoreError unavailable) without running, polling with backoff", () =>
    Effect.gen(function*() {
      let attempts = 0
      const alwaysHeld: SessionBackendService = {
        ...makeMemoryBackend(),
        acquireLease: () => Effect.sync(() => (attempts++, Option.none()))
      }
      const coordinator = yield* instance(alwaysHeld)
      let ran = false
      const fiber = yield* Effect.fork(coordinator.withLock("k", Effect.sync(() => (ran = true))))
      yield* TestClock.adjust(WAIT - 1)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error).toMatchObject({
        _tag: "StoreError",
        reason: "unavailable"
      })
      expect(ran).toBe(false)
      // 25, 50, 100, 200, then every 250 ms: about WAIT / 250 polls, not a busy loop.
      expect(attempts).toBeLessThan(WAIT / 250 + 6)
      expect(attempts).toBeGreaterThan(4)
    }))

  it.effect("a dead holder's lease lapses after leaseMs and one waiter takes over; the other waits its turn", () =>
    Effect.gen(function*() {
      const backend = makeMemoryBackend()
      // A holder that died: it took the lease and will never release it.
      expect(Option.isSome(yield* backend.acquireLease("rt-lock:k", LEASE))).toBe(true)
      const [a, b] = [yield* instance(backend), yield* instance(backend)]
      let running = 0
      let most = 0
      const runs: Array<number> = []
      const critical = (name: number) =>
        Effect.gen(function*() {
          running++
          most = Math.max(most, running)
          runs.push(name)
          yield* Effect.sleep("300 millis")
          running--
        })
      const fa = yield* Effect.fork(a.withLock("k", critical(1)))
      const fb = yield* Effect.fork(b.withLock("k", critical(2)))
      yield* TestClock.adjust(LEASE - 1)
      expect(runs).toEqual([])
      yield* TestClock.adjust(300)
      expect(runs).toHaveLength(1)
      yield* TestClock.adjust(2_000)
      yield* Fiber.join(fa)
      yield* Fiber.join(fb)
      expect(runs.sort()).toEqual([1, 2])
      expect(most).toBe(1)
      // Released: the next taker gets it at once.
      expect(Option.isSome(yield* backend.acquireLease("rt-lock:k", LEASE))).toBe(true)
    }))

  it.effect("in one process, one key runs one at a time; other keys do not wait", () =>
    Effect.gen(function*() {
      const local = RefreshCoordinator.makeLocal(HTTP_TIMEOUT)
      const order: Array<string> = []
      const step = (name: string) =>
        Effect.sync(() => order.push(`${name}+`)).pipe(
          Effect.zipRight(Effect.sleep("1 second")),
          Effect.zipRight(Effect.sync(() => order.push(`${name}-`)))
        )
      const fibers = yield* Effect.all(
        [local.withLock("k", step("a")), local.withLock("k", step("b")), local.withLock("other", step("c"))].map(Effect.fork)
      )
      yield* TestClock.adjust("3 seconds")
      yield* Effect.all(fibers.map(Fiber.join))
      expect(order.indexOf("a-")).toBeLessThan(order.indexOf("b+"))
      expect(order.indexOf("c+")).toBeLessThan(order.indexOf("a-"))
    }))
})

describe("RefreshCoordinator ledger", () => {
  it.effect("a rotation remembered by one instance is recalled by another, sealed in the backend, for 60 s", () =>
    Effect.gen(function*() {
      const memory = makeMemoryBackend()
      const stored: Array<string> = []
      const backend: SessionBackendService = {
        ...memory,
        remember: (key, value, ttl) => (stored.push(`${key}=${value}`), memory.remember(key, value, ttl))
      }
      const [a, b] = [yield* instance(backend), yield* instance(backend)]
      yield* a.rememberRotation("rt-old", rotation)
      expect(yield* b.recallRotation("rt-old")).toEqual(Option.some(rotation))
      expect(yield* b.recallRotation("rt-other")).toEqual(Option.none())
      expect(stored).toHaveLength(1)
      for (const secret of ["rt-old", "rt-successor", "at-2"]) expect(stored[0]).not.toContain(secret)
      yield* TestClock.adjust(`${RefreshCoordinator.LEDGER_TTL_SECONDS} seconds`)
      expect(yield* b.recallRotation("rt-old")).toEqual(Option.none())
      expect(yield* a.recallRotation("rt-old")).toEqual(Option.none())
    }))

  it.effect("an entry not sealed with the app's secret (another app, tampering) is ignored", () =>
    Effect.gen(function*() {
      const backend = makeMemoryBackend()
      const other = RefreshCoordinator.makeShared(
        backend,
        yield* SessionCrypto.make(["another-apps-secret-of-thirty-two-characters"]),
        RefreshCoordinator.makeLocal(HTTP_TIMEOUT),
        HTTP_TIMEOUT
      )
      yield* other.rememberRotation("rt-old", rotation)
      const ours = yield* instance(backend)
      expect(yield* ours.recallRotation("rt-old")).toEqual(Option.none())
    }))

  it.effect("a backend that fails to remember is logged, not raised; the in-process ledger still has it", () =>
    Effect.gen(function*() {
      const down: SessionBackendService = {
        ...makeMemoryBackend(),
        remember: () => Effect.fail(new StoreError({ reason: "unavailable", message: "Redis SET NX failed" }))
      }
      const coordinator = yield* instance(down)
      yield* coordinator.rememberRotation("rt-old", rotation)
      expect(yield* coordinator.recallRotation("rt-old")).toEqual(Option.some(rotation))
    }))
  it.effect("a rotation the backend refused is written once it is back, and its lease is kept until then", () =>
    Effect.gen(function*() {
      const memory = makeMemoryBackend()
      let up = false
      const released: Array<string> = []
      const backend: SessionBackendService = {
        ...memory,
        remember: (key, value, ttl) =>
          up ? memory.remember(key, value, ttl) : Effect.fail(new StoreError({ reason: "unavailable", message: "down" })),
        releaseLease: (key, token) => Effect.zipRight(Effect.sync(() => released.push(key)), memory.releaseLease(key, token))
      }
      const [a, b] = [yield* instance(backend), yield* instance(backend)]
      // The refresh and its rotation happen under the lock while the backend cannot store it.
      // Callers lock on the refresh token's hash (internal/refreshUse.ts).
      yield* a.withLock(yield* sha256Base64Url("rt-old"), a.rememberRotation("rt-old", rotation))
      expect(yield* b.recallRotation("rt-old")).toEqual(Option.none())
      // Releasing now would let b present the spent token: the lease is left to lapse.
      expect(released).toEqual([])
      up = true
      yield* TestClock.adjust(RefreshCoordinator.LEDGER_RETRY_MS)
      expect(yield* b.recallRotation("rt-old")).toEqual(Option.some(rotation))
    }))
})
