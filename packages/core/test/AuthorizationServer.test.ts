import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as jose from "jose"
import * as AuthorizationServer from "../src/AuthorizationServer.js"

const ORIGIN = "https://tenant.example.com"

const makeKey = async (kid: string) => {
  const { publicKey, privateKey } = await jose.generateKeyPair("RS256", { extractable: true })
  return { kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } }
}

/** A tenant whose discovery and JWKS answers the test scripts; counts requests per path. */
const makeTenant = (options: { issuer?: string } = {}) => {
  const counts = new Map<string, number>()
  const state = {
    keys: [] as Array<Record<string, unknown>>,
    failures: [] as Array<number>,
    counts,
    fetch: (async (input: RequestInfo | URL) => {
      const url = new URL(input instanceof Request ? input.url : input.toString())
      counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1)
      const failure = state.failures.shift()
      if (failure !== undefined) {
        if (failure === 0) throw new TypeError("fetch failed")
        return new Response("unavailable", { status: failure })
      }
      if (url.pathname === "/.well-known/openid-configuration") {
        return Response.json({
          issuer: options.issuer ?? `${ORIGIN}/`,
          authorization_endpoint: `${ORIGIN}/authorize`,
          token_endpoint: `${ORIGIN}/oauth/token`,
          jwks_uri: `${ORIGIN}/.well-known/jwks.json`
        }, { headers: { "content-type": "application/json; charset=utf-8" } })
      }
      return Response.json({ keys: state.keys })
    }) as typeof globalThis.fetch
  }
  return state
}

const serviceFor = (tenant: ReturnType<typeof makeTenant>) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    return AuthorizationServer.make(
      { discoveryUrl: `${ORIGIN}/.well-known/openid-configuration`, issuer: `${ORIGIN}/`, ttlSeconds: 600, timeoutMs: 1000 },
      client
    )
  }).pipe(Effect.provide(FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, tenant.fetch)))))

describe("discovery and JWKS", () => {
  it.effect("caches discovery for its TTL, then fetches it again", () =>
    Effect.gen(function*() {
      const tenant = makeTenant()
      const server = yield* serviceFor(tenant)
      expect((yield* server.metadata).token_endpoint).toBe(`${ORIGIN}/oauth/token`)
      yield* server.metadata
      expect(tenant.counts.get("/.well-known/openid-configuration")).toBe(1)
      yield* TestClock.adjust("11 minutes")
      yield* server.metadata
      expect(tenant.counts.get("/.well-known/openid-configuration")).toBe(2)
    }))

  it.effect("refuses a document whose issuer is not the expected one (RFC 8414 §3.3)", () =>
    Effect.gen(function*() {
      const server = yield* serviceFor(makeTenant({ issuer: "https://evil.example.com/" }))
      const error = yield* Effect.flip(server.metadata)
      expect(error._tag).toBe("DiscoveryError")
      expect(error.message).toContain("does not match the expected issuer")
    }))

  it.effect("retries a GET on 5xx and transport errors with backoff, then succeeds", () =>
    Effect.gen(function*() {
      const tenant = makeTenant()
      tenant.failures.push(503, 0)
      const server = yield* serviceFor(tenant)
      const fiber = yield* Effect.fork(server.metadata)
      yield* TestClock.adjust("10 seconds")
      expect((yield* Fiber.join(fiber)).issuer).toBe(`${ORIGIN}/`)
      expect(tenant.counts.get("/.well-known/openid-configuration")).toBe(3)
    }))

  it.effect("gives up after three attempts with a typed error", () =>
    Effect.gen(function*() {
      const tenant = makeTenant()
      tenant.failures.push(502, 502, 502)
      const server = yield* serviceFor(tenant)
      const fiber = yield* Effect.fork(Effect.flip(server.metadata))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("DiscoveryError")
      expect(error.message).toContain("502")
      expect(tenant.counts.get("/.well-known/openid-configuration")).toBe(3)
    }))

  it.effect("an unknown kid refetches the JWKS once, so a rotated key works", () =>
    Effect.gen(function*() {
      const tenant = makeTenant()
      const oldKey = yield* Effect.promise(() => makeKey("old"))
      const newKey = yield* Effect.promise(() => makeKey("new"))
      tenant.keys = [oldKey.jwk]
      const server = yield* serviceFor(tenant)
      yield* server.keyFor({ alg: "RS256", kid: "old" })
      expect(tenant.counts.get("/.well-known/jwks.json")).toBe(1)
      tenant.keys = [oldKey.jwk, newKey.jwk]
      const key = yield* server.keyFor({ alg: "RS256", kid: "new" })
      expect(key).toBeDefined()
      expect(tenant.counts.get("/.well-known/jwks.json")).toBe(2)
      // Known keys are served from the cache.
      yield* server.keyFor({ alg: "RS256", kid: "new" })
      expect(tenant.counts.get("/.well-known/jwks.json")).toBe(2)
    }))

  it.effect("made-up kids cannot make us hammer the JWKS: one refetch per cooldown", () =>
    Effect.gen(function*() {
      const tenant = makeTenant()
      tenant.keys = [(yield* Effect.promise(() => makeKey("k1"))).jwk]
      const server = yield* serviceFor(tenant)
      for (let i = 0; i < 20; i++) {
        const error = yield* Effect.flip(server.keyFor({ alg: "RS256", kid: `forged-${i}` }))
        expect(error).toMatchObject({ _tag: "DiscoveryError", reason: "unknown_key" })
      }
      expect(tenant.counts.get("/.well-known/jwks.json")).toBe(2)
      yield* TestClock.adjust(`${AuthorizationServer.JWKS_REFETCH_COOLDOWN_SECONDS} seconds`)
      yield* Effect.flip(server.keyFor({ alg: "RS256", kid: "forged-again" }))
      expect(tenant.counts.get("/.well-known/jwks.json")).toBe(3)
    }))
})
