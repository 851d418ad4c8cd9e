/**
 * The Web-standard cookie adapter through the real facade: a response whose headers carry the
 * SDK's cookies (here a rolling renewal) gets `Cache-Control: private, no-store`, so no shared
 * cache keeps the sealed session; one without SDK cookies keeps the app's own Cache-Control.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { BaseServerClient, NO_STORE } from "../src/ServerClient.js"
import { StateStore } from "../src/StateStore.js"
import { webCookieAdapter, type WebStoreOptions } from "../src/WebCookies.js"
import { testOptions } from "./helpers/config.js"

const HOUR_MS = 3_600_000

/** The real clock, an hour behind. */
const anHourAgo: Clock.Clock = (() => {
  const real = Clock.make()
  const millis = () => real.unsafeCurrentTimeMillis() - HOUR_MS
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
})()

const cookiesOf = (headers: Headers) =>
  headers.getSetCookie().map((line) => line.slice(0, line.indexOf(";"))).join("; ")

describe("webCookieAdapter", () => {
  it("a rolling renewal gets Cache-Control: private, no-store; a response without SDK cookies keeps the app's", async () => {
    const client = new BaseServerClient<WebStoreOptions>(testOptions, webCookieAdapter)
    try {
      const login: WebStoreOptions = { request: new Request("https://app.example.com/"), headers: new Headers() }
      const createdAt = Math.floor((Date.now() - HOUR_MS) / 1000)
      const save = Effect.flatMap(StateStore, (store) =>
        store.set({ user: { sub: "u1" }, tokenSets: [], connectionTokenSets: [], internal: { createdAt } }))
      await client.run(Effect.withClock(save, anHourAgo), login)
      expect(login.headers.get("cache-control")).toBe(NO_STORE)

      const renewal: WebStoreOptions = {
        request: new Request("https://app.example.com/", { headers: { cookie: cookiesOf(login.headers) } }),
        headers: new Headers({ "cache-control": "public, max-age=600" })
      }
      expect((await client.getUser(renewal))?.sub).toBe("u1")
      expect(renewal.headers.getSetCookie()).toHaveLength(1)
      expect(renewal.headers.get("cache-control")).toBe("private, no-store")

      const plain: WebStoreOptions = {
        request: new Request("https://app.example.com/", { headers: { cookie: cookiesOf(renewal.headers) } }),
        headers: new Headers({ "cache-control": "public, max-age=600" })
      }
      expect((await client.getUser(plain))?.sub).toBe("u1")
      expect(plain.headers.getSetCookie()).toEqual([])
      expect(plain.headers.get("cache-control")).toBe("public, max-age=600")
    } finally {
      await client.dispose()
    }
  })
})
