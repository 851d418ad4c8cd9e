import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Auth0 from "../../src/Auth0.js"
import * as BackchannelLogout from "../../src/BackchannelLogout.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { appLayer, emulatorOptions, login, sdkOptions, withEmulator } from "./harness.js"

const statefulLayer = (emulator: Parameters<typeof sdkOptions>[0]) =>
  Layer.mergeAll(StateStore.memory, TransactionStore.cookie).pipe(
    Layer.provideMerge(Auth0.layer(sdkOptions(emulator))),
    Layer.orDie
  )

const rawSession = Effect.flatMap(StateStore, (store) => store.get)

describe("back-channel logout (OpenID Back-Channel Logout 1.0)", () => {
  it.scopedLive("ends the sessions a valid logout token names, by sid and by sub, and no others", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "ann@example.com" }))
      yield* Effect.promise(() => emulator.createUser({ email: "bob@example.com" }))
      yield* Effect.gen(function*() {
        const laptop = (yield* login(emulator, "ann@example.com")).browser
        const phone = (yield* login(emulator, "ann@example.com")).browser
        const bob = (yield* login(emulator, "bob@example.com")).browser
        const laptopSession = Option.getOrThrow(yield* laptop.request(rawSession))
        const phoneSession = Option.getOrThrow(yield* phone.request(rawSession))
        expect(laptopSession.internal.sid).toBeTypeOf("string")
        expect(laptopSession.internal.sid).not.toBe(phoneSession.internal.sid)

        const bySid = yield* Effect.promise(() => emulator.makeLogoutToken({ sid: laptopSession.internal.sid! }))
        expect(yield* BackchannelLogout.handleBackchannelLogout(bySid)).toBe(1)
        expect(Option.isNone(yield* laptop.request(rawSession))).toBe(true)
        expect(Option.isSome(yield* phone.request(rawSession))).toBe(true)

        const bySub = yield* Effect.promise(() => emulator.makeLogoutToken({ sub: phoneSession.user.sub }))
        expect(yield* BackchannelLogout.handleBackchannelLogout(bySub)).toBe(1)
        expect(Option.isNone(yield* phone.request(rawSession))).toBe(true)
        expect(Option.isSome(yield* bob.request(rawSession))).toBe(true)
      }).pipe(Effect.provide(statefulLayer(emulator)))
    }))

  it.scopedLive("refuses every invalid logout token with a BackchannelLogoutError and deletes nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "cat@example.com" }))
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "cat@example.com")
        const cases: ReadonlyArray<readonly [string, Parameters<typeof emulator.makeLogoutToken>[0], RegExp]> = [
          ["another issuer", { sub, iss: "https://evil.example.com/" }, /iss/],
          ["another audience", { sub, aud: "other-client" }, /aud/],
          ["an expired token", { sub, expiresIn: -3600 }, /expired/],
          ["an iat in the future", { sub, iat: Math.floor(Date.now() / 1000) + 3600 }, /future/],
          ["a nonce", { sub, nonce: "n" }, /nonce/],
          ["no events claim", { sub, events: null }, /events/],
          ["the wrong event", { sub, events: { "http://schemas.openid.net/event/other": {} } }, /events/],
          ["neither sid nor sub", {}, /neither sid nor sub/],
          ["a key not in the JWKS", { sub, foreignKey: true }, /key|signature/],
          ["a wrong typ", { sub, typ: "at+jwt" }, /typ/]
        ]
        for (const [name, options, message] of cases) {
          const token = yield* Effect.promise(() => emulator.makeLogoutToken(options))
          const error = yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(token))
          expect(error._tag, name).toBe("BackchannelLogoutError")
          expect(error.message, name).toMatch(message)
        }
        for (const garbage of ["", "not-a-jwt", "a.b.c"]) {
          expect((yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(garbage)))._tag).toBe("BackchannelLogoutError")
        }
        const unsigned = (yield* Effect.promise(() => emulator.makeLogoutToken({ sub }))).split(".")
        const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${unsigned[1]}.`
        expect((yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(none)))._tag).toBe("BackchannelLogoutError")
        expect(Option.isSome(yield* browser.request(rawSession))).toBe(true)
      }).pipe(Effect.provide(statefulLayer(emulator)))
    }))

  it.scopedLive("with stateless cookie sessions it says why it cannot work", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "dan@example.com" }))
      yield* Effect.gen(function*() {
        const token = yield* Effect.promise(() => emulator.makeLogoutToken({ sub }))
        const error = yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(token))
        expect(error._tag).toBe("BackchannelLogoutError")
        expect(error.message).toMatch(/stateful/i)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))
})
