/**
 * Login CSRF with the memory transaction store (RFC 9700 §4.7.1), played against the emulator:
 * the attacker starts a login in their own browser, signs in as themselves, stops at the
 * callback and sends the victim's browser to it. Without a binding to the browser, the victim
 * would now be logged in as the attacker.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Login from "../../src/Login.js"
import * as Auth0 from "../../src/Auth0.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { emulatorOptions, sdkOptions, withEmulator } from "./harness.js"

describe("login CSRF with TransactionStore.memory", () => {
  it.scopedLive("the attacker's callback in the victim's browser fails with MissingTransactionError and logs nobody in", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "attacker@example.com" }))
      const layer = Layer.mergeAll(StateStore.memory, TransactionStore.memory).pipe(
        Layer.provideMerge(Auth0.layer(sdkOptions(emulator))),
        Layer.orDie
      )
      const program = Effect.gen(function*() {
        const attacker = makeCookieBrowser()
        const victim = makeCookieBrowser()
        const url = yield* attacker.request(Login.startInteractiveLogin({}))
        const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user: "attacker@example.com" }))

        const error = yield* Effect.flip(victim.request(Login.completeInteractiveLogin(callback)))
        expect(error._tag).toBe("MissingTransactionError")
        expect(yield* victim.request(UserSession.getUser)).toEqual(Option.none())
        expect([...victim.cookies.keys()]).toEqual([])
        // The code was never redeemed: nothing was sent to the token endpoint.
        expect(emulator.requestCount("/oauth/token")).toBe(0)

        // The browser that started the login completes it.
        yield* attacker.request(Login.completeInteractiveLogin(callback))
        expect(Option.isSome(yield* attacker.request(UserSession.getUser))).toBe(true)
      })
      yield* program.pipe(Effect.provide(layer))
    }), 60_000)
})
