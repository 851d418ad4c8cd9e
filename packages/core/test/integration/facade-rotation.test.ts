/**
 * The Promise facade with refresh token rotation: two `BaseServerClient`s (two instances) with
 * cookie sessions and a shared `coordinationBackend`, against the emulator with rotation on. A
 * browser's old cookie on the other instance sends no second refresh; `invalidateAccessToken`
 * makes the next call fetch a fresh token.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Layer from "effect/Layer"
import { makeRequestJar, type CookieJar } from "../../src/RequestCookies.js"
import { BaseServerClient } from "../../src/ServerClient.js"
import { makeMemoryBackend, SessionBackend } from "../../src/SessionBackend.js"
import { applySetCookie } from "../helpers/cookieBrowser.js"
import { API, APP_CALLBACK, emulatorOptions, sdkOptions } from "./harness.js"

type StoreOptions = { readonly jar: CookieJar }

let emulator: Emulator
beforeAll(async () => {
  const options = emulatorOptions()
  emulator = await startEmulator({ ...options, clients: options.clients!.map((c) => ({ ...c, refreshTokenRotation: true })) })
  await emulator.createUser({ email: "ada@example.com" })
})
afterAll(() => emulator?.stop())

/** A browser: one jar per request from its cookies; the response's Set-Cookie applied after. */
const makeBrowser = (initial: Iterable<readonly [string, string]> = []) => {
  const cookies = new Map<string, string>(initial)
  const send = async <A>(call: (storeOptions: StoreOptions) => Promise<A>): Promise<A> => {
    const jar = makeRequestJar(Array.from(cookies, ([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "))
    try {
      return await call({ jar })
    } finally {
      for (const header of jar.setCookieHeaders()) applySetCookie(cookies, header)
    }
  }
  return { cookies, send }
}

describe("facade with rotation", () => {
  it("two clients with cookie sessions and one coordinationBackend: the old cookie on the other instance sends no refresh", async () => {
    const backend = makeMemoryBackend()
    const make = () =>
      new BaseServerClient<StoreOptions>(
        { ...sdkOptions(emulator), coordinationBackend: Layer.succeed(SessionBackend, backend) },
        { jar: (o) => o.jar, commit: () => {} }
      )
    const [a, b] = [make(), make()]
    try {
      const browser = makeBrowser()
      const url = await browser.send((o) => a.startInteractiveLogin({}, o))
      const callback = await emulator.login(url.href, { user: "ada@example.com" })
      expect(callback.startsWith(APP_CALLBACK)).toBe(true)
      await browser.send((o) => a.completeInteractiveLogin(callback, o))
      const oldCookies = new Map(browser.cookies)
      emulator.resetCounts()

      const first = await browser.send((o) => a.getAccessToken({ audience: API }, o))
      const late = makeBrowser(oldCookies)
      expect((await late.send((o) => b.getAccessToken({ audience: API }, o))).accessToken).toBe(first.accessToken)
      expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)

      // The app's API rejected the token: drop it, and the next call gets a fresh one (with the successor).
      await late.send((o) => b.invalidateAccessToken({ audience: API, accessToken: first.accessToken }, o))
      const fresh = await late.send((o) => b.getAccessToken({ audience: API }, o))
      expect(fresh.accessToken).not.toBe(first.accessToken)
      expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(2)
      expect(emulator.refreshTokenReuseDetections()).toBe(0)
      expect(emulator.requestCount("/oauth/token")).toBe(2)
    } finally {
      await Promise.all([a.dispose(), b.dispose()])
    }
  })
})
