/**
 * Passwordless login against the emulator: email and SMS codes through the passwordless OTP
 * grant, and email magic links through the login callback. Codes and links are single use; a
 * wrong code counts, and after the attempt limit even the right one fails; a failed completion
 * leaves the session as it was.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessToken from "../../src/AccessToken.js"
import { InvalidArgumentError, TokenEndpointError } from "../../src/Errors.js"
import * as Passwordless from "../../src/Passwordless.js"
import { StateStore } from "../../src/StateStore.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, appLayer, emulatorOptions, withEmulator } from "./harness.js"

const readSession = Effect.flatMap(StateStore, (store) => store.get)

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions())
  const layer = appLayer(emulator)
  const browser = makeCookieBrowser()
  const request = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(browser.request(effect), layer) as Effect.Effect<A, E>
  return { emulator, browser, request }
})

describe("passwordless (Auth0 /passwordless/start and the passwordless OTP grant)", () => {
  it.scopedLive("an email code logs a new user in once; the user is created; its refresh token works", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup
      yield* request(Passwordless.startPasswordless({ connection: "email", email: "new@example.com" }))
      expect(emulator.requestCount("/passwordless/start")).toBe(1)
      const code = emulator.lastPasswordlessCode("new@example.com")!
      expect(code).toMatch(/^\d{6}$/)
      yield* request(Passwordless.completePasswordless({ connection: "email", email: "new@example.com", verificationCode: code }))
      const session = Option.getOrThrow(yield* request(readSession))
      expect(session.user.email).toBe("new@example.com")
      expect(session.user.sub).toMatch(/^email\|/)
      expect(session.refreshToken).toBeDefined()
      const token = yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
      expect(token.scope).toContain("read:items")

      const replay = yield* Effect.flip(
        request(Passwordless.completePasswordless({ connection: "email", email: "new@example.com", verificationCode: code }))
      )
      expect((replay as TokenEndpointError).error).toBe("invalid_grant")
      expect(String(replay)).not.toContain(code)
      expect(Option.getOrThrow(yield* request(readSession)).user.sub).toBe(session.user.sub)
    }))

  it.scopedLive("wrong codes count: after three, the right code fails too, and the session is untouched", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup
      yield* request(Passwordless.startPasswordless({ connection: "sms", phoneNumber: "+14155550100" }))
      const code = emulator.lastPasswordlessCode("+14155550100")!
      const wrong = code === "111111" ? "222222" : "111111"
      for (let i = 0; i < 3; i++) {
        const error = yield* Effect.flip(
          request(Passwordless.completePasswordless({ connection: "sms", phoneNumber: "+14155550100", verificationCode: wrong }))
        )
        expect((error as TokenEndpointError).status).toBe(403)
      }
      const late = yield* Effect.flip(
        request(Passwordless.completePasswordless({ connection: "sms", phoneNumber: "+14155550100", verificationCode: code }))
      )
      expect((late as TokenEndpointError).errorDescription).toContain("maximum number of attempts")
      expect(Option.isNone(yield* request(readSession))).toBe(true)

      yield* request(Passwordless.startPasswordless({ connection: "sms", phoneNumber: "+14155550100" }))
      const fresh = emulator.lastPasswordlessCode("+14155550100")!
      yield* request(Passwordless.completePasswordless({ connection: "sms", phoneNumber: "+14155550100", verificationCode: fresh }))
      const user = Option.getOrThrow(yield* request(readSession)).user
      expect(user.sub).toMatch(/^sms\|/)
      expect(user.name).toBe("+14155550100")
    }))

  it.scopedLive("a magic link completes through the callback with its appState, once", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup
      yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada" }))
      yield* request(Passwordless.startPasswordless({
        connection: "email",
        email: "ada@example.com",
        send: "link",
        appState: { returnTo: "/inbox" }
      }))
      const link = emulator.lastMagicLink("ada@example.com")!
      expect(emulator.lastPasswordlessCode("ada@example.com")).toBeUndefined()
      const callback = yield* Effect.promise(() => emulator.login(link, {}))
      const result = yield* request(Passwordless.completePasswordlessMagicLink(callback))
      expect(result.appState).toEqual({ returnTo: "/inbox" })
      const session = Option.getOrThrow(yield* request(readSession))
      expect(session.user.name).toBe("Ada")
      expect(session.refreshToken).toBeDefined()
      const second = yield* Effect.flip(Effect.tryPromise({ try: () => emulator.login(link, {}), catch: (e) => (e as Error).message }))
      expect(second).toContain("HTTP 400")
    }))

  it.scopedLive("bad input fails before any request", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup
      const bad: Array<Effect.Effect<unknown, { readonly _tag: string }, any>> = [
        Passwordless.startPasswordless({ connection: "email", email: "not an email" }),
        Passwordless.startPasswordless({ connection: "sms", phoneNumber: "0155 5501" }),
        Passwordless.startPasswordless({ connection: "email", email: "a@example.com", language: "en;x" }),
        Passwordless.completePasswordless({ connection: "email", email: "a@example.com", verificationCode: " " })
      ]
      for (const program of bad) {
        const error = yield* Effect.flip(request(program))
        expect(error._tag === "InvalidArgumentError" || error._tag === "MissingRequiredArgumentError").toBe(true)
      }
      expect(yield* Effect.flip(request(Passwordless.startPasswordless({ connection: "email", email: "x" })))).toBeInstanceOf(
        InvalidArgumentError
      )
      expect(emulator.requestCount("/passwordless/start") + emulator.requestCount("/oauth/token")).toBe(0)
    }))
})
