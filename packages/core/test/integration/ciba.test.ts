import { describe, expect, it } from "@effect/vitest"
import type { Emulator } from "@auth0-effect/testing"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Auth0 from "../../src/Auth0.js"
import * as Ciba from "../../src/Ciba.js"
import * as CibaRules from "../../src/CibaRules.js"
import { API, emulatorOptions, sdkOptions, withEmulator } from "./harness.js"

/** Waits (real time, no assertion on it) until the emulator shows a pending request for `sub`. */
const pendingFor = (emulator: Emulator, sub: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const found = emulator.pendingBackchannelRequests().find((r) => r.sub === sub)
      if (found) return found
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error(`no pending backchannel request for ${sub}`))
  })

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions({ ciba: { intervalSeconds: 1 } }))
  const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada" }))
  return { emulator, sub, layer: Auth0.layer(sdkOptions(emulator)) }
})

describe("CIBA against the emulator", () => {
  it.scopedLive("loginBackchannel: the user approves on their device; validated tokens with authorization_details", () =>
    Effect.gen(function*() {
      const { emulator, sub, layer } = yield* setup
      const details = [{ type: "payment_initiation", amount: 42, currency: "EUR" }]
      const fiber = yield* Effect.fork(Ciba.loginBackchannel({
        loginHint: { sub },
        bindingMessage: "Pay 42 EUR: 7F3K",
        audience: API,
        scope: "profile read:items",
        authorizationDetails: details
      }).pipe(Effect.provide(layer)))
      const pending = yield* pendingFor(emulator, sub)
      expect(pending).toMatchObject({ bindingMessage: "Pay 42 EUR: 7F3K", audience: API, authorizationDetails: details })
      yield* Effect.promise(() => emulator.approveBackchannel({ user: "ada@example.com" }))
      const tokens = yield* Fiber.join(fiber)
      expect(tokens.claims.sub).toBe(sub)
      expect(tokens.claims["name"]).toBe("Ada")
      expect(tokens.authorizationDetails).toEqual(details)
      expect(tokens.scope?.split(" ")).toContain("read:items")
      expect(emulator.requestCount("/bc-authorize")).toBe(1)
      expect(emulator.requestCount("/oauth/token", CibaRules.GRANT_TYPE)).toBeGreaterThanOrEqual(1)
    }))

  it.scopedLive("loginBackchannel: a rejected request fails with BackchannelAuthenticationError (denied)", () =>
    Effect.gen(function*() {
      const { emulator, sub, layer } = yield* setup
      const fiber = yield* Effect.fork(Effect.flip(Ciba.loginBackchannel({ loginHint: { sub }, bindingMessage: "Sign in" }).pipe(Effect.provide(layer))))
      const pending = yield* pendingFor(emulator, sub)
      yield* Effect.promise(() => emulator.denyBackchannel(pending.authReqId))
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "BackchannelAuthenticationError", reason: "denied", error: "access_denied" })
    }))

  it.scopedLive("two-step form: initiate, poll once (pending, slow_down), approve, poll once (complete)", () =>
    Effect.gen(function*() {
      const { emulator, sub, layer } = yield* setup
      yield* Effect.gen(function*() {
        const started = yield* Ciba.initiateBackchannelAuthentication({ loginHint: { sub }, bindingMessage: "Job 1", requestedExpiry: 120 })
        expect(started).toMatchObject({ interval: 1, expiresIn: 120 })
        expect(yield* Ciba.backchannelAuthenticationGrant({ authReqId: started.authReqId, interval: started.interval }))
          .toEqual({ status: "pending", interval: 1 })
        emulator.slowDownBackchannelPolls()
        expect(yield* Ciba.backchannelAuthenticationGrant({ authReqId: started.authReqId, interval: started.interval }))
          .toEqual({ status: "pending", interval: 6 })
        yield* Effect.promise(() => emulator.approveBackchannel(started.authReqId))
        const done = yield* Ciba.backchannelAuthenticationGrant({ authReqId: started.authReqId, interval: 6 })
        expect(done.status === "complete" ? done.tokens.claims.sub : undefined).toBe(sub)
        expect(emulator.requestCount("/oauth/token", CibaRules.GRANT_TYPE)).toBe(3)
      }).pipe(Effect.provide(layer))
    }))

  it.scopedLive("a login hint for an unknown user is the tenant's TokenEndpointError, not a hang", () =>
    Effect.gen(function*() {
      const { layer } = yield* setup
      const error = yield* Effect.flip(Ciba.loginBackchannel({ loginHint: { sub: "auth0|nobody" }, bindingMessage: "Sign in" }).pipe(Effect.provide(layer)))
      expect(error).toMatchObject({ _tag: "TokenEndpointError", error: "unknown_user_id" })
    }))
})
