import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Login from "../../src/Login.js"
import * as UserSession from "../../src/UserSession.js"
import { appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

/**
 * Bad input gets a typed error and loses nothing: whatever goes wrong in a second login's
 * callback, the session of the first login is still there, and the transaction is consumed.
 */
describe("a failed callback never destroys the session", () => {
  type Case = {
    readonly name: string
    readonly fault?: { status?: number; body?: string; contentType?: string; delayMs?: number }
    readonly tamper?: (callback: URL, state: string) => string
    readonly expected: Record<string, unknown>
  }
  const cases: ReadonlyArray<Case> = [
    { name: "token endpoint answers 503", fault: { status: 503, body: "" }, expected: { _tag: "TokenEndpointError", status: 503, error: "server_error" } },
    {
      name: "token endpoint answers an OAuth error",
      fault: { status: 400, body: JSON.stringify({ error: "invalid_grant", error_description: "code expired" }), contentType: "application/json; charset=utf-8" },
      expected: { _tag: "TokenEndpointError", status: 400, error: "invalid_grant", errorDescription: "code expired" }
    },
    { name: "token endpoint answers 200 with HTML", fault: { status: 200, body: "<html>oops</html>", contentType: "text/html" }, expected: { _tag: "InvalidResponseError", status: 200 } },
    { name: "token endpoint answers 200 without access_token", fault: { status: 200, body: "{\"token_type\":\"Bearer\"}", contentType: "application/json" }, expected: { _tag: "InvalidResponseError" } },
    { name: "token endpoint does not answer within the timeout", fault: { delayMs: 1500 }, expected: { _tag: "TransportError" } },
    {
      name: "the provider returns an error",
      tamper: (_callback, state) => `http://127.0.0.1:3000/callback?error=access_denied&error_description=User%20said%20no&state=${state}`,
      expected: { _tag: "AuthorizationError", error: "access_denied", errorDescription: "User said no" }
    },
    { name: "the code is missing", tamper: (_c, state) => `http://127.0.0.1:3000/callback?state=${state}`, expected: { _tag: "MissingRequiredArgumentError", argument: "code" } },
    {
      name: "the code is repeated",
      tamper: (callback) => `${callback.toString()}&code=other`,
      expected: { _tag: "InvalidArgumentError", argument: "code" }
    },
    { name: "the state is unknown", tamper: (callback) => callback.toString().replace(/state=[^&]+/, "state=forged"), expected: { _tag: "MissingTransactionError" } },
    { name: "the state is missing", tamper: (callback) => callback.toString().replace(/[?&]state=[^&]+/, ""), expected: { _tag: "MissingRequiredArgumentError", argument: "state" } },
    {
      name: "the code is wrong",
      tamper: (callback) => callback.toString().replace(/code=[^&]+/, "code=forged-code"),
      expected: { _tag: "TokenEndpointError", error: "invalid_grant" }
    },
    {
      name: "the iss parameter names another issuer (RFC 9207)",
      tamper: (callback) => {
        callback.searchParams.set("iss", "https://evil.example.com/")
        return callback.toString()
      },
      expected: { _tag: "InvalidArgumentError", argument: "iss" }
    },
    { name: "the URL is malformed", tamper: () => "http://[::1", expected: { _tag: "InvalidArgumentError", argument: "url" } }
  ]

  for (const c of cases) {
    it.scopedLive(c.name, () =>
      Effect.gen(function*() {
        const emulator = yield* withEmulator(emulatorOptions())
        yield* Effect.promise(() => emulator.createUser({ email: "first@example.com" }))
        yield* Effect.promise(() => emulator.createUser({ email: "second@example.com" }))
        yield* Effect.gen(function*() {
          const { browser } = yield* login(emulator, "first@example.com")
          const before = Option.getOrThrow(yield* browser.request(UserSession.getSession))

          const url = yield* browser.request(Login.startInteractiveLogin())
          const state = url.searchParams.get("state")!
          const callback = new URL(yield* Effect.promise(() => emulator.login(url.toString(), { user: "second@example.com" })))
          if (c.fault) emulator.fault("/oauth/token", { times: 1, ...c.fault })
          const target = c.tamper ? c.tamper(callback, state) : callback.toString()
          const error = yield* Effect.flip(browser.request(Login.completeInteractiveLogin(target)))
          expect(error).toMatchObject(c.expected)

          const after = Option.getOrThrow(yield* browser.request(UserSession.getSession))
          expect(after).toEqual(before)
          // A transaction whose callback was handled is gone, even though it failed.
          if (!c.tamper || c.expected["_tag"] === "TokenEndpointError" || c.expected["_tag"] === "AuthorizationError") {
            const replay = yield* Effect.flip(browser.request(Login.completeInteractiveLogin(callback)))
            expect(replay._tag).toBe("MissingTransactionError")
          }
        }).pipe(Effect.provide(appLayer(emulator, { httpTimeoutMs: 500 })))
      }))
  }
})
