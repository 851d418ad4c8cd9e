import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import type { LoginTransaction } from "../src/Session.js"
import { makeMemory, MEMORY_MAX_TRANSACTIONS, TransactionStore } from "../src/TransactionStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { testConfig } from "./helpers/config.js"

const login = (state: string, createdAt = 0): LoginTransaction => ({
  kind: "login",
  state,
  codeVerifier: "v".repeat(43),
  nonce: "n",
  redirectUri: "https://app.example.com/callback",
  scope: "openid",
  createdAt
})

const memory = Effect.provide(makeMemory(), testConfig())

describe("TransactionStore.memory", () => {
  it.effect("binds each transaction to the browser that started it (a cookie key, HttpOnly, Secure, Lax)", () =>
    Effect.gen(function*() {
      const store = yield* memory
      const tab = makeCookieBrowser()
      yield* tab.request(store.set(login("one")))
      yield* tab.request(store.set(login("two")))
      const [header] = tab.lastSetCookies()
      expect(header).toMatch(/^__Host-a0_txkey=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax$/)
      expect(Option.isSome(yield* tab.request(store.get("one")))).toBe(true)

      const other = makeCookieBrowser()
      expect(yield* other.request(store.get("two"))).toEqual(Option.none())
      // A wrong key neither reads nor deletes it.
      const forger = makeCookieBrowser([["__Host-a0_txkey", "A".repeat(43)]])
      yield* forger.request(store.delete("two"))
      expect(yield* forger.request(store.get("two"))).toEqual(Option.none())
      expect(Option.isSome(yield* tab.request(store.get("two")))).toBe(true)
    }))

  it.effect("20,000 anonymous starts keep the store at its bound, dropping the oldest", () =>
    Effect.gen(function*() {
      const store = yield* memory
      const browsers = []
      for (let i = 0; i < 20_000; i++) {
        const browser = makeCookieBrowser()
        yield* browser.request(store.set(login(`state-${i}`)))
        if (i === 0 || i === 19_999) browsers.push(browser)
      }
      expect(store.size()).toBe(MEMORY_MAX_TRANSACTIONS)
      expect(yield* browsers[0]!.request(store.get("state-0"))).toEqual(Option.none())
      expect(Option.isSome(yield* browsers[1]!.request(store.get("state-19999")))).toBe(true)
    }), 60_000)

  it.effect("expired transactions are swept on the next start", () =>
    Effect.gen(function*() {
      const store = yield* memory
      const browser = makeCookieBrowser()
      for (let i = 0; i < 100; i++) yield* browser.request(store.set(login(`old-${i}`)))
      yield* TestClock.adjust("1 hour")
      yield* browser.request(store.set(login("new", 3600)))
      expect(store.size()).toBe(1)
    }))

  it.effect("the layer needs only a config", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(Effect.flatMap(TransactionStore, (s) => s.set(login("s"))))
      expect(Option.isSome(yield* browser.request(Effect.flatMap(TransactionStore, (s) => s.get("s"))))).toBe(true)
    }).pipe(Effect.provide(TransactionStore.memory.pipe(Layer.provide(testConfig())))))
})
