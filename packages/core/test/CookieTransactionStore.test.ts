import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as CookieNames from "../src/CookieNames.js"
import * as CookieTransactionStore from "../src/CookieTransactionStore.js"
import type { ConnectTransaction, LoginTransaction, Transaction } from "../src/Session.js"
import { TRANSACTION_TTL_SECONDS, TransactionStore } from "../src/TransactionStore.js"
import { makeCookieBrowser } from "./helpers/cookieBrowser.js"
import { type TestConfigOverrides, testConfig } from "./helpers/config.js"
import { checkEffect } from "./helpers/property.js"
import { incompressible } from "./helpers/sessions.js"

const store = (overrides?: TestConfigOverrides) => TransactionStore.cookie.pipe(Layer.provide(testConfig(overrides)))

const login = (state: string, createdAt = 0): LoginTransaction => ({
  kind: "login",
  state,
  codeVerifier: "v".repeat(43),
  nonce: "nonce-" + state,
  redirectUri: "https://app.example.com/callback",
  scope: "openid profile email offline_access",
  appState: { returnTo: "/dashboard" },
  createdAt
})

const connect = (state: string, createdAt = 0): ConnectTransaction => ({
  kind: "connect",
  state,
  codeVerifier: "c".repeat(43),
  authSession: "auth-session-1",
  redirectUri: "https://app.example.com/connect/callback",
  connection: "google-oauth2",
  createdAt
})

const setTx = (tx: Transaction) => Effect.flatMap(TransactionStore, (s) => s.set(tx))
const getTx = (state: string) => Effect.flatMap(TransactionStore, (s) => s.get(state))
const deleteTx = (state: string) => Effect.flatMap(TransactionStore, (s) => s.delete(state))

describe("CookieTransactionStore", () => {
  it.effect("two transactions started in two tabs are both retrievable; deleting one leaves the other", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx(login("stateTabOne")))
      yield* browser.request(setTx(connect("stateTabTwo")))
      expect([...browser.cookies.keys()].sort()).toEqual(["__Host-a0_tx.stateTabOne", "__Host-a0_tx.stateTabTwo"])

      expect(yield* browser.request(getTx("stateTabTwo"))).toEqual(Option.some(connect("stateTabTwo")))
      expect(yield* browser.request(getTx("stateTabOne"))).toEqual(Option.some(login("stateTabOne")))

      yield* browser.request(deleteTx("stateTabOne"))
      expect(browser.lastSetCookies()[0]).toMatch(/^__Host-a0_tx\.stateTabOne=; .*Max-Age=0/)
      expect(yield* browser.request(getTx("stateTabOne"))).toEqual(Option.none())
      expect(yield* browser.request(getTx("stateTabTwo"))).toEqual(Option.some(connect("stateTabTwo")))
    }).pipe(Effect.provide(store())))

  it.effect("keeps at most MAX_TRANSACTIONS cookies, evicting the oldest, so the Cookie header stays bounded", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser([["__Host-a0_tx.garbage", "not-a-transaction"]])
      const total = CookieTransactionStore.MAX_TRANSACTIONS + 4
      for (let i = 0; i < total; i++) {
        yield* TestClock.adjust("1 second")
        yield* browser.request(setTx(login(`state-${i}`, i + 1)))
      }
      const txCookies = [...browser.cookies.keys()].filter((name) => name.startsWith("__Host-a0_tx."))
      expect(txCookies).toHaveLength(CookieTransactionStore.MAX_TRANSACTIONS)
      expect(txCookies).not.toContain("__Host-a0_tx.garbage")
      for (let i = 0; i < total; i++) {
        const found = yield* browser.request(getTx(`state-${i}`))
        expect(Option.isSome(found)).toBe(i >= total - CookieTransactionStore.MAX_TRANSACTIONS)
      }
    }).pipe(Effect.provide(store())))

  it.effect("any base64url state keys its own cookie", () =>
    checkEffect([FastCheck.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)], (state) =>
      Effect.gen(function*() {
        const browser = makeCookieBrowser()
        yield* browser.request(setTx(login(state)))
        expect([...browser.cookies.keys()]).toEqual([CookieNames.transactionCookieName("__Host-a0_tx.", state)])
        expect(yield* browser.request(getTx(state))).toEqual(Option.some(login(state)))
      }), { numRuns: 100 }).pipe(Effect.provide(store())))

  it.effect("cookie attributes: SameSite=Lax even when sessions are Strict; HttpOnly; Secure; Max-Age 1 hour", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx(login("s1")))
      const [header] = browser.lastSetCookies()
      expect(header!.split("; ").slice(1)).toEqual([
        "Path=/",
        "Domain=example.com",
        `Max-Age=${TRANSACTION_TTL_SECONDS}`,
        "HttpOnly",
        "Secure",
        "SameSite=Lax"
      ])
    }).pipe(Effect.provide(store({ cookie: { sameSite: "strict", domain: "example.com" } }))))

  it.effect("Secure off only when configured off", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx(login("s1")))
      expect(browser.lastSetCookies()[0]).not.toContain("Secure")
      expect(browser.lastSetCookies()[0]).toContain("HttpOnly")
    }).pipe(Effect.provide(store({ cookie: { secure: false } }))))

  it.effect("a transaction expires after TRANSACTION_TTL_SECONDS and its cookie is removed", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx(login("s1")))
      yield* TestClock.adjust("59 minutes")
      expect(Option.isSome(yield* browser.request(getTx("s1")))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(yield* browser.request(getTx("s1"))).toEqual(Option.none())
      expect(browser.cookies.size).toBe(0)
    }).pipe(Effect.provide(store())))

  describe("bad cookies read as none (and are removed)", () => {
    it.effect("tampered, foreign, or copied under another state's name", () =>
      Effect.gen(function*() {
        const original = makeCookieBrowser()
        yield* original.request(setTx(login("s1")))
        const token = original.cookies.get("__Host-a0_tx.s1")!
        for (const [name, value, state] of [
          ["__Host-a0_tx.s1", token.slice(0, 40) + (token[40] === "A" ? "B" : "A") + token.slice(41), "s1"],
          ["__Host-a0_tx.s1", "hello", "s1"],
          ["__Host-a0_tx.s2", token, "s2"]
        ] as const) {
          const browser = makeCookieBrowser([[name, value]])
          expect(yield* browser.request(getTx(state))).toEqual(Option.none())
          expect(browser.cookies.size).toBe(0)
        }
      }).pipe(Effect.provide(store())))

    it.effect("states that are not base64url are never looked up and never throw", () =>
      checkEffect([FastCheck.string({ maxLength: 300 })], (state) =>
        Effect.gen(function*() {
          const browser = makeCookieBrowser([[`__Host-a0_tx.${state}`, "x"]])
          const found = yield* browser.request(getTx(state))
          expect(found).toEqual(Option.none())
          yield* browser.request(deleteTx(state))
        }), { numRuns: 1000 }).pipe(Effect.provide(store())))
  })

  it.effect("saving a transaction whose state cannot key a cookie fails with StoreError", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      const error = yield* Effect.flip(browser.request(setTx(login("a=b; Path=/"))))
      expect(error._tag).toBe("StoreError")
      expect(browser.lastSetCookies()).toEqual([])
    }).pipe(Effect.provide(store())))

  it.effect("a transaction too large for one cookie fails with StoreError too_large; the message never carries the state", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      const state = "theStateValueMustNotBeLogged"
      const error = yield* Effect.flip(browser.request(setTx({ ...login(state), appState: incompressible(5_000) })))
      expect(error.reason).toBe("too_large")
      expect(error.message).not.toContain(state)
      expect(JSON.stringify(error)).not.toContain(state)
    }).pipe(Effect.provide(store())))

  it.effect("a start that cannot fit the header budget next to the session fails too_large without the state", () =>
    Effect.gen(function*() {
      const state = "anotherStateValueNotForLogs"
      const browser = makeCookieBrowser([["__Host-a0_session", "s".repeat(1_500)]])
      const error = yield* Effect.flip(browser.request(setTx(login(state))))
      expect(error.reason).toBe("too_large")
      expect(error.message).toContain("cookie.maxHeaderBytes (1024)")
      expect(error.message).not.toContain(state)
      expect(browser.lastSetCookies()).toEqual([])
    }).pipe(Effect.provide(store({ cookie: { maxHeaderBytes: 1024 } }))))

  it.effect("a configured prefix names the transaction cookies", () =>
    Effect.gen(function*() {
      const browser = makeCookieBrowser()
      yield* browser.request(setTx(login("s1")))
      expect([...browser.cookies.keys()]).toEqual(["__Host-myapp_tx-s1"])
      expect(Option.isSome(yield* browser.request(getTx("s1")))).toBe(true)
    }).pipe(Effect.provide(store({ cookie: { transactionPrefix: "__Host-myapp_tx-" } }))))
})
