import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import { resolve } from "../src/Auth0Config.js"
import * as CookieNames from "../src/CookieNames.js"
import { testOptions } from "./helpers/config.js"

const cookieOf = (cookie: Record<string, unknown> | undefined) =>
  Effect.map(resolve({ ...testOptions, cookie }), (config) => config.options.cookie)

describe("CookieNames", () => {
  it("__Host- only when Secure, without Domain, on Path / (RFC 6265bis §4.1.3.2)", () => {
    expect(CookieNames.defaultSessionName({ secure: true, path: "/" })).toBe("__Host-a0_session")
    expect(CookieNames.defaultTransactionPrefix({ secure: true, path: "/" })).toBe("__Host-a0_tx.")
    expect(CookieNames.transactionKeyName({ secure: true, path: "/" })).toBe("__Host-a0_txkey")
    for (const scope of [{ secure: false, path: "/" }, { secure: true, path: "/", domain: "example.com" }, { secure: true, path: "/app" }]) {
      expect(CookieNames.defaultSessionName(scope)).toBe("__a0_session")
      expect(CookieNames.defaultTransactionPrefix(scope)).toBe("__a0_tx.")
      expect(CookieNames.transactionKeyName(scope)).toBe("__a0_txkey")
    }
  })

  it.prop("a default name carries __Host- exactly when the browser would accept it", [
    FastCheck.boolean(),
    FastCheck.option(FastCheck.constantFrom("example.com", "app.example.com"), { nil: undefined }),
    FastCheck.constantFrom("/", "/app", "/auth/")
  ], ([secure, domain, path]) => {
    const name = CookieNames.defaultSessionName({ secure, domain, path })
    expect(name.startsWith(CookieNames.HOST_PREFIX)).toBe(secure && domain === undefined && path === "/")
  })

  it("session cookie names are exact: the name and .0 .. .49, nothing by prefix", () => {
    const is = (n: string) => CookieNames.isSessionCookie("__a0_session", n)
    expect(["__a0_session", "__a0_session.0", "__a0_session.49"].every(is)).toBe(true)
    expect(["__a0_session.50", "__a0_session.00", "__a0_sessionX", "__a0_session.", "__a0_session.1x"].some(is)).toBe(false)
  })

  it.effect("the config resolves the names: defaults by scope, or as configured", () =>
    Effect.gen(function*() {
      expect(yield* cookieOf(undefined)).toMatchObject({
        name: "__Host-a0_session",
        transactionPrefix: "__Host-a0_tx.",
        maxHeaderBytes: 8192
      })
      expect(yield* cookieOf({ secure: false })).toMatchObject({ name: "__a0_session", transactionPrefix: "__a0_tx." })
      expect(yield* cookieOf({ domain: "example.com" })).toMatchObject({ name: "__a0_session", transactionPrefix: "__a0_tx." })
      expect(yield* cookieOf({ name: "app_session", transactionPrefix: "__Host-app_tx-", maxHeaderBytes: 4096 }))
        .toMatchObject({ name: "app_session", transactionPrefix: "__Host-app_tx-", maxHeaderBytes: 4096 })
    }))

  it.effect("a transaction prefix that is not a cookie-name token, or a budget under 1 KiB, is refused", () =>
    Effect.gen(function*() {
      for (const cookie of [{ transactionPrefix: "tx;" }, { transactionPrefix: "tx " }, { maxHeaderBytes: 100 }]) {
        const exit = yield* Effect.exit(cookieOf(cookie))
        expect(Exit.isFailure(exit)).toBe(true)
      }
    }))
})
