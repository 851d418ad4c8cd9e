/**
 * Bounded resources against a hostile or absent tenant: a 64 MiB discovery document is not read
 * whole, oversized token and My Account answers are refused, and while the tenant is down a
 * burst of unauthenticated back-channel logout POSTs cannot turn into a burst of discovery
 * requests (a failed load is remembered for {@link AuthorizationServer.FAILED_LOAD_RETRY_AFTER_SECONDS}).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as jose from "jose"
import * as AccessToken from "../src/AccessToken.js"
import * as AuthorizationServer from "../src/AuthorizationServer.js"
import * as BackchannelLogout from "../src/BackchannelLogout.js"
import { MAX_BODY_BYTES } from "../src/internal/http.js"
import { type FakeTenant, flowLayer, json, logIn, makeFakeTenant } from "./helpers/fakeTenant.js"
import { type HostileTenant, startHostileTenant } from "./helpers/hostileTenant.js"

const DISCOVERY = "/.well-known/openid-configuration"

describe("response bodies are capped (real HTTP)", () => {
  let tenant: HostileTenant
  beforeAll(async () => {
    tenant = await startHostileTenant()
  })
  afterAll(() => tenant.close())

  it.live("a 64 MiB discovery document is refused after the first MiB: TransportError(too_large), one request, most bytes never sent", () =>
    Effect.gen(function*() {
      tenant.discoveryBytes = 64 * 1024 * 1024
      const server = AuthorizationServer.make({
        discoveryUrl: `${tenant.origin}${DISCOVERY}`,
        issuer: `${tenant.origin}/`,
        ttlSeconds: 600,
        timeoutMs: 10_000,
        allowInsecureHttp: true
      }, yield* HttpClient.HttpClient)
      const error = yield* Effect.flip(server.metadata)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "too_large", method: "GET", url: `${tenant.origin}${DISCOVERY}` })
      expect(tenant.count(DISCOVERY)).toBe(1)
      // Let the server notice the closed connection.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      expect(tenant.discoveryBytesWritten).toBeGreaterThan(MAX_BODY_BYTES)
      expect(tenant.discoveryBytesWritten).toBeLessThan(16 * 1024 * 1024)
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      Effect.ensuring(Effect.sync(() => {
        tenant.discoveryBytes = undefined
      }))
    ), 30_000)
})

describe("response bodies are capped (scripted tenant)", () => {
  it.effect("a token response over the cap is a TransportError(too_large), never parsed", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn({ refreshToken: "rt-1" })
      tenant.answer("/oauth/token", () =>
        json(200, { access_token: "a".repeat(MAX_BODY_BYTES + 10), token_type: "Bearer", expires_in: 60 }))
      const error = yield* Effect.flip(AccessToken.getAccessToken({ audience: "https://api.example.com" }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "too_large", method: "POST" })
      expect(error.message).not.toContain("aaaa")
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a body just under the cap is read", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn({ refreshToken: "rt-1" })
      const token = "a".repeat(MAX_BODY_BYTES - 200)
      tenant.answer("/oauth/token", () => json(200, { access_token: token, token_type: "Bearer", expires_in: 60, scope: "" }))
      expect((yield* AccessToken.getAccessToken({ audience: "https://api.example.com" })).accessToken).toBe(token)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})

/** The scripted tenant, with a switch that makes every request fail as a refused connection would. */
const downTenant = () => {
  const tenant = makeFakeTenant()
  const state = { down: true, discoveryRequests: 0 }
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString())
    if (url.pathname === DISCOVERY) state.discoveryRequests += 1
    if (state.down) throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) })
    return tenant.fetch(input, init)
  }) as typeof globalThis.fetch
  return { tenant: { ...tenant, fetch } as FakeTenant, state }
}

/** Moves the TestClock in small steps, letting the scripted fetch's promises settle between them. */
const advance = (millis: number, step = 100) =>
  Effect.gen(function*() {
    for (let t = 0; t < millis; t += step) {
      yield* TestClock.adjust(`${step} millis`)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
    }
  })

describe("a failed discovery is remembered for a short time", () => {
  let logoutToken = ""
  beforeAll(async () => {
    const { privateKey } = await jose.generateKeyPair("RS256")
    logoutToken = await new jose.SignJWT({ events: { "http://schemas.openid.net/event/backchannel-logout": {} }, sid: "s", jti: "j" })
      .setProtectedHeader({ alg: "RS256", typ: "logout+jwt", kid: "k" })
      .sign(privateKey)
  })

  it.effect("20 back-channel logout POSTs while the tenant is down make at most 3 discovery requests; the next one after the window retries", () => {
    const { tenant, state } = downTenant()
    return Effect.gen(function*() {
      const burst = yield* Effect.fork(Effect.all(
        Array.from({ length: 20 }, () => Effect.flip(BackchannelLogout.handleBackchannelLogout(logoutToken))),
        { concurrency: "unbounded" }
      ))
      yield* advance(3_000)
      const errors = yield* Fiber.join(burst)
      expect(errors).toHaveLength(20)
      for (const error of errors) expect(error).toMatchObject({ _tag: "TransportError", reason: "unreachable", code: "ECONNREFUSED" })
      expect(state.discoveryRequests).toBe(3)

      // Still inside the window: answered from the remembered failure, no request.
      yield* Effect.flip(BackchannelLogout.handleBackchannelLogout(logoutToken))
      expect(state.discoveryRequests).toBe(3)

      // After the window, the next call tries again; the tenant is back, so discovery loads.
      yield* advance(AuthorizationServer.FAILED_LOAD_RETRY_AFTER_SECONDS * 1000)
      state.down = false
      const after = yield* Effect.fork(Effect.flip(BackchannelLogout.handleBackchannelLogout(logoutToken)))
      yield* advance(1_000)
      const error = yield* Fiber.join(after)
      expect(state.discoveryRequests).toBe(4)
      // Discovery worked this time: the failure is now the scripted tenant's missing JWKS, not the transport.
      expect(error._tag).not.toBe("TransportError")
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a failed JWKS is remembered too, and metadata() shares the discovery failure", () => {
    const { tenant, state } = downTenant()
    return Effect.gen(function*() {
      const server = yield* AuthorizationServer.AuthorizationServer
      const first = yield* Effect.fork(Effect.flip(server.metadata))
      yield* advance(2_000)
      yield* Fiber.join(first)
      expect(state.discoveryRequests).toBe(3)
      for (let i = 0; i < 5; i++) yield* Effect.flip(server.metadata)
      yield* Effect.flip(server.keyFor({ alg: "RS256", kid: "k" }))
      expect(state.discoveryRequests).toBe(3)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})
