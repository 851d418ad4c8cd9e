import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import type {
  AccessTokenForConnectionError,
  ConfigurationError,
  DiscoveryError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingSessionError,
  StoreError,
  TransportError
} from "../src/Errors.js"
import { StateStore } from "../src/StateStore.js"
import * as TokenVault from "../src/TokenVault.js"
import { type FakeTenant, flowLayer, json, logIn, makeFakeTenant } from "./helpers/fakeTenant.js"

type Services = Effect.Effect.Context<ReturnType<typeof TokenVault.getAccessTokenForConnection>>

const loggedIn = <A, E>(
  run: (tenant: FakeTenant) => Effect.Effect<A, E, Services>,
  session: Parameters<typeof logIn>[0] = {}
): Effect.Effect<A, E> => {
  const tenant = makeFakeTenant()
  return Effect.zipRight(Effect.orDie(logIn(session)), run(tenant)).pipe(Effect.provide(flowLayer(tenant)))
}

const exchanges = (tenant: FakeTenant) => tenant.count("/oauth/token", TokenVault.GRANT_TYPE)

describe("TokenVault.getAccessTokenForConnection", () => {
  it.effect("exchanges the session's refresh token with the Token Vault grant", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000)
        const token = yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2", loginHint: "ada@example.com" })
        expect(token).toEqual({
          accessToken: "fat-1",
          connection: "google-oauth2",
          scope: "https://www.googleapis.com/auth/calendar",
          expiresAt: 1000 + 3600,
          tokenType: "Bearer"
        })
        const form = Object.fromEntries(new URLSearchParams(tenant.seen.find((r) => r.url.pathname === "/oauth/token")!.body))
        expect(form).toEqual({
          grant_type: "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
          subject_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
          subject_token: "rt-1",
          requested_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
          connection: "google-oauth2",
          login_hint: "ada@example.com",
          client_id: "test-client-id",
          client_secret: "test-client-secret"
        })
      })
    ))

  it.effect("caches the token in the session until expires_in (less the leeway) has passed", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const first = yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
        const stored = Option.getOrThrow(yield* (yield* StateStore).get).connectionTokenSets
        expect(stored).toEqual([{ connection: "google-oauth2", accessToken: "fat-1", scope: first.scope, expiresAt: 3600 }])

        yield* TestClock.adjust("3569 seconds")
        expect(yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })).toEqual(first)
        expect(exchanges(tenant)).toBe(1)

        // Within the 30 s leeway of expiry: exchanged again, and the old entry replaced.
        yield* TestClock.adjust("1 second")
        const second = yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
        expect(second.accessToken).toBe("fat-2")
        expect(exchanges(tenant)).toBe(2)
        expect(Option.getOrThrow(yield* (yield* StateStore).get).connectionTokenSets.map((s) => s.accessToken)).toEqual(["fat-2"])
      })
    ))

  it.effect("caches per connection and per login hint", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
        yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2", loginHint: "work@example.com" })
        yield* TokenVault.getAccessTokenForConnection({ connection: "github" })
        expect(exchanges(tenant)).toBe(3)
        yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2", loginHint: "work@example.com" })
        yield* TokenVault.getAccessTokenForConnection({ connection: "github" })
        yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
        expect(exchanges(tenant)).toBe(3)
      })
    ))

  it.effect("without expires_in the token is returned but not cached", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.expiresIn = undefined
        yield* TokenVault.getAccessTokenForConnection({ connection: "github" })
        yield* TokenVault.getAccessTokenForConnection({ connection: "github" })
        expect(exchanges(tenant)).toBe(2)
      })
    ))

  it.effect("concurrent calls share one exchange", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.latencyMs = 50
        const tokens = yield* Effect.all(
          Array.from({ length: 20 }, () => TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })),
          { concurrency: "unbounded" }
        )
        expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(["fat-1"]))
        expect(exchanges(tenant)).toBe(1)
      })
    ))

  it.effect("Auth0's refusal is an AccessTokenForConnectionError with its error and description", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/oauth/token", () =>
          json(401, {
            error: "federated_connection_refresh_token_not_found",
            error_description: "Federated connection Refresh Token not found."
          }))
        const error = yield* Effect.flip(TokenVault.getAccessTokenForConnection({ connection: "github" }))
        expect(error).toMatchObject({
          _tag: "AccessTokenForConnectionError",
          connection: "github",
          error: "federated_connection_refresh_token_not_found",
          errorDescription: "Federated connection Refresh Token not found."
        })
        // Failures are not cached.
        expect((yield* TokenVault.getAccessTokenForConnection({ connection: "github" })).accessToken).toMatch(/^fat-/)
        expect(exchanges(tenant)).toBe(2)
      })
    ))

  it.effect("a session without a refresh token: AccessTokenForConnectionError missing_refresh_token, no request", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(TokenVault.getAccessTokenForConnection({ connection: "github" }))
        expect(error).toMatchObject({ _tag: "AccessTokenForConnectionError", error: "missing_refresh_token", connection: "github" })
        expect(tenant.seen).toHaveLength(0)
      }), { refreshToken: undefined }))

  it.effect("logged out: MissingSessionError; an empty connection: InvalidArgumentError", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      expect((yield* Effect.flip(TokenVault.getAccessTokenForConnection({ connection: "github" })))._tag).toBe("MissingSessionError")
      expect(yield* Effect.flip(TokenVault.getAccessTokenForConnection({ connection: "" }))).toMatchObject({
        _tag: "InvalidArgumentError",
        argument: "connection"
      })
      expect(tenant.seen).toHaveLength(0)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it("its error union is exact", () => {
    expectTypeOf<Effect.Effect.Error<ReturnType<typeof TokenVault.getAccessTokenForConnection>>>().toEqualTypeOf<
      | ConfigurationError
      | InvalidArgumentError
      | MissingSessionError
      | AccessTokenForConnectionError
      | TransportError
      | InvalidResponseError
      | DiscoveryError
      | StoreError
    >()
  })
})
