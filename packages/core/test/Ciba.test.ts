import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import type { Auth0Config } from "../src/Auth0Config.js"
import type { AuthorizationServer } from "../src/AuthorizationServer.js"
import * as Ciba from "../src/Ciba.js"
import * as CibaRules from "../src/CibaRules.js"
import type {
  BackchannelAuthenticationError,
  ConfigurationError,
  DiscoveryError,
  IdTokenValidationError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  TokenEndpointError,
  TransportError
} from "../src/Errors.js"
import { type CibaTenant, ISSUER, json, makeCibaTenant, oauthError, tokens } from "./helpers/cibaTenant.js"

const options: Ciba.LoginBackchannelOptions = { loginHint: { sub: "auth0|ada" }, bindingMessage: "Approve order 42" }

/**
 * Lets the in-process fetch, the body reads and the fiber's resumption finish before the clock
 * moves again: Effect resumes fibers on timers, so this waits a few real timer turns (no clock).
 */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).pipe(Effect.repeatN(8))

/** Moves TestClock one second at a time, letting each poll's I/O finish. */
const tick = (tenant: CibaTenant, seconds: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds; i++) {
      tenant.now += 1
      yield* TestClock.adjust("1 second")
      yield* settle
    }
  })

const withTenant = <A, E>(
  run: (tenant: CibaTenant) => Effect.Effect<A, E, Auth0Config | AuthorizationServer | HttpClient.HttpClient>
) => {
  const tenant = makeCibaTenant()
  return Effect.provide(run(tenant), tenant.layer)
}

describe("Ciba.loginBackchannel", () => {
  it("has an exact error union and needs no session or transaction store", () => {
    type Program = ReturnType<typeof Ciba.loginBackchannel>
    expectTypeOf<Effect.Effect.Context<Program>>().toEqualTypeOf<Auth0Config | AuthorizationServer | HttpClient.HttpClient>()
    expectTypeOf<Effect.Effect.Error<Program>>().toEqualTypeOf<
      | MissingRequiredArgumentError
      | InvalidArgumentError
      | DiscoveryError
      | TransportError
      | InvalidResponseError
      | TokenEndpointError
      | ConfigurationError
      | BackchannelAuthenticationError
      | IdTokenValidationError
    >()
    expectTypeOf<Effect.Effect.Success<Program>>().toEqualTypeOf<Ciba.BackchannelTokens>()
  })

  it.effect("sends Auth0's parameters to /bc-authorize with client authentication", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        const details = [{ type: "payment_initiation", amount: 42 }]
        tenant.token.push(() => tokens({}, { authorization_details: details }))
        const fiber = yield* Effect.fork(Ciba.loginBackchannel({
          ...options,
          scope: "read:orders",
          audience: "https://api.example.com",
          requestedExpiry: 120,
          authorizationDetails: details
        }))
        yield* tick(tenant, 2)
        const result = yield* Fiber.join(fiber)
        const [start] = tenant.requests
        expect(start?.path).toBe("/bc-authorize")
        expect(JSON.parse(start!.form.get("login_hint")!)).toEqual({ format: "iss_sub", iss: ISSUER, sub: "auth0|ada" })
        expect(start!.form.get("binding_message")).toBe("Approve order 42")
        expect(start!.form.get("scope")!.split(" ")).toContain("openid")
        expect(start!.form.get("scope")!.split(" ")).toContain("read:orders")
        expect(start!.form.get("audience")).toBe("https://api.example.com")
        expect(start!.form.get("requested_expiry")).toBe("120")
        expect(JSON.parse(start!.form.get("authorization_details")!)).toEqual(details)
        expect(start!.form.get("client_secret") ?? start!.headers.get("authorization")).toBeTruthy()
        const [poll] = tenant.tokenCalls()
        expect(poll!.form.get("grant_type")).toBe(CibaRules.GRANT_TYPE)
        expect(poll!.form.get("auth_req_id")).toBe("req-1")
        expect(result).toMatchObject({
          accessToken: "at-1",
          refreshToken: "rt-1",
          expiresAt: 2 + 3600,
          authorizationDetails: details,
          claims: { sub: "auth0|ada", name: "Ada" }
        })
      })))

  it.effect("polls every interval, keeps waiting on authorization_pending, adds 5 s after slow_down", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        // interval 2: polls at 2 (pending), 4 (slow_down, interval 7), 11 (pending), 18 (tokens)
        tenant.token.push(
          () => oauthError("authorization_pending"),
          () => oauthError("slow_down"),
          () => oauthError("authorization_pending"),
          () => tokens()
        )
        const fiber = yield* Effect.fork(Ciba.loginBackchannel(options))
        yield* tick(tenant, 17)
        expect(tenant.tokenCalls().map((r) => r.at)).toEqual([2, 4, 11])
        yield* tick(tenant, 1)
        const result = yield* Fiber.join(fiber)
        expect(tenant.tokenCalls().map((r) => r.at)).toEqual([2, 4, 11, 18])
        expect(result.accessToken).toBe("at-1")
      })))

  it.effect("stops at expires_in with a BackchannelAuthenticationError (expired) and polls no more", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.bcAuthorize.push(() => json(200, { auth_req_id: "req-9", expires_in: 10, interval: 3 }))
        const fiber = yield* Effect.fork(Effect.exit(Ciba.loginBackchannel(options)))
        yield* tick(tenant, 30)
        const exit = yield* Fiber.join(fiber)
        expect(tenant.tokenCalls().map((r) => r.at)).toEqual([3, 6, 9])
        expect(exit).toMatchObject(Exit.fail({ _tag: "BackchannelAuthenticationError", reason: "expired", status: undefined }))
      })))

  it.effect("access_denied and expired_token end the polling as typed outcomes", () =>
    Effect.gen(function*() {
      for (const [error, reason] of [["access_denied", "denied"], ["expired_token", "expired"]] as const) {
        const tenant = makeCibaTenant()
        tenant.token.push(() => oauthError("authorization_pending"), () => oauthError(error))
        const exit = yield* Effect.gen(function*() {
          const fiber = yield* Effect.fork(Effect.exit(Ciba.loginBackchannel(options)))
          yield* tick(tenant, 10)
          return yield* Fiber.join(fiber)
        }).pipe(Effect.provide(tenant.layer))
        expect(exit).toMatchObject(Exit.fail({ _tag: "BackchannelAuthenticationError", reason, error, status: 400 }))
        expect(tenant.tokenCalls()).toHaveLength(2)
      }
    }))

  it.effect("other token endpoint errors stay TokenEndpointError", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.token.push(() => oauthError("invalid_grant"))
        const fiber = yield* Effect.fork(Effect.flip(Ciba.loginBackchannel(options)))
        yield* tick(tenant, 2)
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "TokenEndpointError", error: "invalid_grant", status: 400 })
        expect(tenant.tokenCalls()).toHaveLength(1)
      })))

  it.effect("is interruptible: an interrupted login sends no more polls", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Ciba.loginBackchannel(options))
        yield* tick(tenant, 2)
        expect(tenant.tokenCalls()).toHaveLength(1)
        yield* Fiber.interrupt(fiber)
        yield* tick(tenant, 30)
        expect(tenant.tokenCalls()).toHaveLength(1)
      })))

  it.effect("validates the ID token, and it must be about the user asked", () =>
    Effect.gen(function*() {
      for (const [claims, reason] of [[{ sub: "auth0|mallory" }, "subject"], [{ iss: "https://evil.example.com/" }, "issuer"]] as const) {
        const tenant = makeCibaTenant()
        tenant.token.push(() => tokens(claims))
        const error = yield* Effect.gen(function*() {
          const fiber = yield* Effect.fork(Effect.flip(Ciba.loginBackchannel(options)))
          yield* tick(tenant, 2)
          return yield* Fiber.join(fiber)
        }).pipe(Effect.provide(tenant.layer))
        expect(error).toMatchObject({ _tag: "IdTokenValidationError", reason })
      }
    }))

  it.effect("refuses bad options before any request", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        const cases: Array<[unknown, string, string]> = [
          [{ bindingMessage: "x" }, "MissingRequiredArgumentError", "loginHint.sub"],
          [{ loginHint: { sub: " " }, bindingMessage: "x" }, "MissingRequiredArgumentError", "loginHint.sub"],
          [{ loginHint: { sub: "u" } }, "MissingRequiredArgumentError", "bindingMessage"],
          [{ loginHint: { sub: "u" }, bindingMessage: "<b>hi</b>" }, "InvalidArgumentError", "bindingMessage"],
          [{ loginHint: { sub: "u" }, bindingMessage: "x".repeat(65) }, "InvalidArgumentError", "bindingMessage"],
          [{ ...options, requestedExpiry: 0 }, "InvalidArgumentError", "requestedExpiry"],
          [{ ...options, requestedExpiry: 1.5 }, "InvalidArgumentError", "requestedExpiry"],
          [{ ...options, authorizationDetails: [{ amount: 1 }] }, "InvalidArgumentError", "authorizationDetails"],
          [{ ...options, authorizationDetails: { type: "x" } }, "InvalidArgumentError", "authorizationDetails"],
          [{ ...options, audience: "" }, "InvalidArgumentError", "audience"],
          [undefined, "MissingRequiredArgumentError", "options"]
        ]
        for (const [input, tag, argument] of cases) {
          const error = yield* Effect.flip(Ciba.initiateBackchannelAuthentication(input as Ciba.LoginBackchannelOptions))
          expect({ input, tag: error._tag, argument: (error as { argument?: string }).argument }).toEqual({ input, tag, argument })
        }
        expect(tenant.requests).toHaveLength(0)
      })))

  it.effect("a tenant without backchannel_authentication_endpoint fails with DiscoveryError naming it", () =>
    Effect.gen(function*() {
      const tenant = makeCibaTenant()
      tenant.advertiseCiba = false
      const error = yield* Effect.flip(Ciba.loginBackchannel(options)).pipe(Effect.provide(tenant.layer))
      expect(error).toMatchObject({ _tag: "DiscoveryError", field: "backchannel_authentication_endpoint" })
      expect(tenant.requests).toHaveLength(0)
    }))
})

describe("Ciba two-step form (job queues)", () => {
  it.effect("initiate returns authReqId, expiresIn, interval and expiresAt; the default interval is 5", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000)
        tenant.bcAuthorize.push(() => json(200, { auth_req_id: "req-2", expires_in: 300 }))
        const started = yield* Ciba.initiateBackchannelAuthentication(options)
        expect(started).toEqual({ authReqId: "req-2", expiresIn: 300, interval: 5, expiresAt: 1_000 + 300 })
        expect(tenant.tokenCalls()).toHaveLength(0)
      })))

  it.effect("backchannelAuthenticationGrant polls once: pending (interval +5 after slow_down), then complete", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.token.push(() => oauthError("authorization_pending"), () => oauthError("slow_down"), () => tokens())
        expect(yield* Ciba.backchannelAuthenticationGrant({ authReqId: "req-1", interval: 2 })).toEqual({ status: "pending", interval: 2 })
        expect(yield* Ciba.backchannelAuthenticationGrant({ authReqId: "req-1", interval: 2 })).toEqual({ status: "pending", interval: 7 })
        const done = yield* Ciba.backchannelAuthenticationGrant({ authReqId: "req-1", interval: 7 })
        expect(done.status === "complete" && done.tokens.accessToken).toBe("at-1")
        expect(tenant.tokenCalls()).toHaveLength(3)
        const missing = yield* Effect.flip(Ciba.backchannelAuthenticationGrant({ authReqId: "" }))
        expect(missing).toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "authReqId" })
        expect(tenant.tokenCalls()).toHaveLength(3)
      })))

  it.effect("awaitBackchannelAuthentication polls a stored request until done", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.token.push(() => oauthError("authorization_pending"), () => tokens())
        const fiber = yield* Effect.fork(Ciba.awaitBackchannelAuthentication({ authReqId: "req-1", interval: 4, expiresAt: 60 }))
        yield* tick(tenant, 8)
        const result = yield* Fiber.join(fiber)
        expect(result.idToken).toBeTypeOf("string")
        expect(tenant.tokenCalls().map((r) => r.at)).toEqual([4, 8])
      })))
})
