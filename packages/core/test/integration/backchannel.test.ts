import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Auth0 from "../../src/Auth0.js"
import * as BackchannelLogout from "../../src/BackchannelLogout.js"
import { StoreError } from "../../src/Errors.js"
import { makeMemoryBackend, SessionBackend, type SessionBackendService } from "../../src/SessionBackend.js"
import { StateStore } from "../../src/StateStore.js"
import * as StatefulStateStore from "../../src/StatefulStateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { appLayer, emulatorOptions, login, sdkOptions, withEmulator } from "./harness.js"

const statefulLayer = (emulator: Parameters<typeof sdkOptions>[0]) =>
  Layer.mergeAll(StateStore.memory, TransactionStore.cookie).pipe(
    Layer.provideMerge(Auth0.layer(sdkOptions(emulator))),
    Layer.orDie
  )

/** One app instance over the given session backend (several instances may share one). */
const instanceOver = (emulator: Parameters<typeof sdkOptions>[0], backend: SessionBackendService) =>
  Layer.mergeAll(StateStore.stateful, TransactionStore.cookie).pipe(
    Layer.provide(Layer.succeed(SessionBackend, backend)),
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
          ["a wrong typ", { sub, typ: "at+jwt" }, /typ/],
          ["no jti (REQUIRED, §2.4)", { sub, jti: null }, /jti is missing/],
          ["an empty jti", { sub, jti: "" }, /jti is missing/],
          ["several audiences without azp", { sub, aud: ["app", "other-client"] }, /azp is required/],
          ["an azp of another client", { sub, azp: "other-client" }, /azp "other-client" is not the client id/],
          ["several audiences with another azp", { sub, aud: ["app", "other-client"], azp: "other-client" }, /azp/],
          ["an nbf an hour from now", { sub, nbf: Math.floor(Date.now() / 1000) + 3600 }, /nbf/]
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

  it.scopedLive("accepts several audiences with our azp, typ JWT or none, and nbf passed", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "eve@example.com" }))
      yield* Effect.gen(function*() {
        const tokens: ReadonlyArray<Parameters<typeof emulator.makeLogoutToken>[0]> = [
          { sub, aud: ["app", "https://api.example.com"], azp: "app" },
          { sub, typ: "JWT" },
          { sub, typ: null },
          { sub, typ: "application/logout+jwt" },
          { sub, nbf: Math.floor(Date.now() / 1000) - 10 }
        ]
        for (const options of tokens) {
          const { browser } = yield* login(emulator, "eve@example.com")
          const token = yield* Effect.promise(() => emulator.makeLogoutToken(options))
          expect(yield* BackchannelLogout.handleBackchannelLogout(token), JSON.stringify(options)).toBe(1)
          expect(Option.isNone(yield* browser.request(rawSession))).toBe(true)
        }
      }).pipe(Effect.provide(statefulLayer(emulator)))
    }))

  it.scopedLive("refuses a token signed with an algorithm the tenant does not advertise (§2.6 step 2)", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "fay@example.com" }))
      const shared = makeMemoryBackend()
      const browser = (yield* login(emulator, "fay@example.com").pipe(Effect.provide(instanceOver(emulator, shared)))).browser
      // Another instance starts while the tenant advertises ES256 only; the token is RS256 under
      // a key the JWKS does publish, so only the advertised-algorithm rule can refuse it.
      const discovery = yield* Effect.promise(() =>
        fetch(`${emulator.origin}/.well-known/openid-configuration`).then((r) => r.json() as Promise<Record<string, unknown>>)
      )
      emulator.fault("/.well-known/openid-configuration", {
        status: 200,
        body: JSON.stringify({ ...discovery, id_token_signing_alg_values_supported: ["ES256"] })
      })
      const token = yield* Effect.promise(() => emulator.makeLogoutToken({ sub }))
      const error = yield* Effect.flip(
        BackchannelLogout.handleBackchannelLogout(token).pipe(Effect.provide(instanceOver(emulator, shared)))
      )
      expect(error).toMatchObject({ _tag: "BackchannelLogoutError" })
      expect(error.message).toMatch(/algorithm "RS256" is not one the provider advertises/)
      expect(Option.isSome(yield* browser.request(rawSession).pipe(Effect.provide(instanceOver(emulator, shared))))).toBe(true)
    }))

  it.scopedLive("replay: the same token delivered again after a new login is refused, and the new session survives", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "gus@example.com" }))
      yield* Effect.gen(function*() {
        const first = (yield* login(emulator, "gus@example.com")).browser
        const sid = Option.getOrThrow(yield* first.request(rawSession)).internal.sid!
        // The attacker captured this delivery (a log, a proxy) and keeps it for later.
        const captured = yield* Effect.promise(() => emulator.makeLogoutToken({ sub, sid }))
        const bySub = yield* Effect.promise(() => emulator.makeLogoutToken({ sub }))
        expect(yield* BackchannelLogout.handleBackchannelLogout(captured)).toBe(1)
        expect(yield* BackchannelLogout.handleBackchannelLogout(bySub)).toBe(0)
        expect(Option.isNone(yield* first.request(rawSession))).toBe(true)

        // The user logs in again; the attacker replays both tokens while they are still unexpired.
        const again = (yield* login(emulator, "gus@example.com")).browser
        for (const replay of [captured, bySub, captured]) {
          const error = yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(replay))
          expect(error).toMatchObject({ _tag: "BackchannelLogoutError" })
          expect(error.message).toMatch(/used before/)
        }
        expect(Option.getOrThrow(yield* again.request(rawSession)).user.sub).toBe(sub)
      }).pipe(Effect.provide(statefulLayer(emulator)))
    }))

  it.scopedLive("replay to another instance sharing the backend is refused too", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "hal@example.com" }))
      const shared = makeMemoryBackend()
      const instanceA = yield* Layer.build(instanceOver(emulator, shared))
      const instanceB = yield* Layer.build(instanceOver(emulator, shared))
      const token = yield* Effect.promise(() => emulator.makeLogoutToken({ sub }))

      const first = (yield* login(emulator, "hal@example.com").pipe(Effect.provide(instanceA))).browser
      expect(yield* BackchannelLogout.handleBackchannelLogout(token).pipe(Effect.provide(instanceA))).toBe(1)
      expect(Option.isNone(yield* first.request(rawSession).pipe(Effect.provide(instanceB)))).toBe(true)

      const again = (yield* login(emulator, "hal@example.com").pipe(Effect.provide(instanceB))).browser
      const error = yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(token).pipe(Effect.provide(instanceB)))
      expect(error.message).toMatch(/used before/)
      expect(Option.isSome(yield* again.request(rawSession).pipe(Effect.provide(instanceA)))).toBe(true)
      expect(Option.isSome(yield* again.request(rawSession).pipe(Effect.provide(instanceB)))).toBe(true)
    }))

  it.scopedLive("a deletion that fails remembers nothing: the tenant's retry of the same token works, once", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "ivy@example.com" }))
      const memory = makeMemoryBackend()
      let failDeletes = 1
      const remembered: Array<{ key: string; ttl: number }> = []
      const flaky: SessionBackendService = {
        ...memory,
        deleteByLogoutClaims: (claims) =>
          failDeletes-- > 0
            ? Effect.fail(new StoreError({ reason: "unavailable", message: "backend down" }))
            : memory.deleteByLogoutClaims(claims),
        remember: (key, value, ttl) =>
          Effect.zipRight(Effect.sync(() => remembered.push({ key, ttl })), memory.remember(key, value, ttl))
      }
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ivy@example.com")
        const token = yield* Effect.promise(() => emulator.makeLogoutToken({ sub, jti: `long-${"j".repeat(4096)}`, expiresIn: 120 }))
        expect(yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(token))).toMatchObject({ _tag: "StoreError" })
        expect(remembered).toHaveLength(0)
        expect(Option.isSome(yield* browser.request(rawSession))).toBe(true)

        expect(yield* BackchannelLogout.handleBackchannelLogout(token)).toBe(1)
        expect(Option.isNone(yield* browser.request(rawSession))).toBe(true)
        expect((yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(token))).message).toMatch(/used before/)

        // Remembered under a fixed-size digest of (iss, jti), never the jti itself, until exp + leeway.
        expect(remembered).toHaveLength(1)
        const [{ key, ttl }] = remembered as [{ key: string; ttl: number }]
        expect(key).toMatch(/^logout-jti:[A-Za-z0-9_-]{43}$/)
        expect(key).toBe(yield* StatefulStateStore.logoutTokenKey(emulator.issuer, `long-${"j".repeat(4096)}`))
        expect(ttl).toBeGreaterThan(60)
        expect(ttl).toBeLessThanOrEqual(120 + 60 + 1)
      }).pipe(Effect.provide(instanceOver(emulator, flaky)))
    }))

  it.effect("logout token keys cannot collide across issuer/jti splits", () =>
    Effect.gen(function*() {
      const a = yield* StatefulStateStore.logoutTokenKey("https://t.example/", "x:y")
      const b = yield* StatefulStateStore.logoutTokenKey("https://t.example/x:", "y")
      const c = yield* StatefulStateStore.logoutTokenKey("https://t.example/", "x:y")
      expect(a).not.toBe(b)
      expect(a).toBe(c)
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
