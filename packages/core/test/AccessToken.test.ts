import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as jose from "jose"
import * as AccessToken from "../src/AccessToken.js"
import * as Logout from "../src/Logout.js"
import { StateStore } from "../src/StateStore.js"
import { flowLayer, json, logIn, makeFakeTenant, ORIGIN } from "./helpers/fakeTenant.js"

const API = "https://api.example.com"
const session = Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.getOrThrow))
const unsignedJwt = (claims: Record<string, unknown>) =>
  `${jose.base64url.encode(JSON.stringify({ alg: "RS256" }))}.${jose.base64url.encode(JSON.stringify(claims))}.sig`

describe("getAccessToken", () => {
  it.effect("serves a fresh covering token from the session; refreshes once it expires (leeway counted)", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn({ tokenSets: [{ audience: API, accessToken: "stored", scope: "read write", expiresAt: 3600 }] })
      expect((yield* AccessToken.getAccessToken({ audience: API, scope: "read" })).accessToken).toBe("stored")
      expect(tenant.count("/oauth/token")).toBe(0)
      // 30 s default leeway: at 3571 s the token counts as expired.
      yield* TestClock.adjust("3571 seconds")
      const refreshed = yield* AccessToken.getAccessToken({ audience: API, scope: "read" })
      expect(refreshed.accessToken).not.toBe("stored")
      expect(tenant.count("/oauth/token", "refresh_token")).toBe(1)
      const form = new URLSearchParams(tenant.seen.at(-1)!.body)
      expect(form.get("audience")).toBe(API)
      expect(form.get("scope")).toBe("read")
      expect(form.get("refresh_token")).toBe("rt-1")
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a refresh without id_token, refresh_token or scope keeps the stored ones and stores the requested scope", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn({ idToken: "stored-id-token" })
      tenant.answer("/oauth/token", () => json(200, { access_token: "at-x", token_type: "Bearer", expires_in: 600 }))
      const token = yield* AccessToken.getAccessToken({ audience: API, scope: "read:x" })
      expect(token).toEqual({ accessToken: "at-x", audience: API, scope: "read:x", expiresAt: 600, tokenType: "Bearer" })
      const stored = yield* session
      expect(stored.idToken).toBe("stored-id-token")
      expect(stored.refreshToken).toBe("rt-1")
      // Cached under the scope: no second request.
      yield* AccessToken.getAccessToken({ audience: API, scope: "read:x" })
      expect(tenant.count("/oauth/token")).toBe(1)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a rotated refresh token replaces the old one", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      tenant.answer("/oauth/token", () => json(200, { access_token: "at", expires_in: 60, refresh_token: "rt-2", scope: "a" }))
      yield* AccessToken.getAccessToken({ audience: API, scope: "a" })
      expect((yield* session).refreshToken).toBe("rt-2")
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("stores the scope the server returned, not the one asked for (Auth0 drops scopes outside policy), and remembers the refusal", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      tenant.answer("/oauth/token", () => json(200, { access_token: "at", expires_in: 600, scope: "read" }))
      const token = yield* AccessToken.getAccessToken({ audience: API, scope: "read admin" })
      expect(token.scope).toBe("read")
      expect((yield* session).tokenSets).toEqual([
        { audience: API, accessToken: "at", scope: "read", requestedScope: "read admin", expiresAt: 600 }
      ])
      // The same request again (scope order aside) is served by that set: no second refresh.
      for (let i = 0; i < 4; i++) {
        expect((yield* AccessToken.getAccessToken({ audience: API, scope: i % 2 ? "admin read" : "read admin" })).accessToken).toBe("at")
      }
      expect(tenant.count("/oauth/token", "refresh_token")).toBe(1)
      // Until it expires.
      yield* TestClock.adjust("571 seconds")
      yield* AccessToken.getAccessToken({ audience: API, scope: "read admin" })
      expect(tenant.count("/oauth/token", "refresh_token")).toBe(2)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a JWT access token for another audience is refused, not cached", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      tenant.answer("/oauth/token", () =>
        json(200, { access_token: unsignedJwt({ aud: [`${ORIGIN}/userinfo`, "https://default.example.com"] }), expires_in: 600 }))
      const error = yield* Effect.flip(AccessToken.getAccessToken({ audience: API }))
      expect(error).toMatchObject({ _tag: "AccessTokenError", reason: "audience_mismatch" })
      expect((yield* session).tokenSets).toEqual([])
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("an OAuth error from the refresh is an AccessTokenError carrying it", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      tenant.answer("/oauth/token", () => json(403, { error: "invalid_grant", error_description: "Unknown or invalid refresh token." }))
      const error = yield* Effect.flip(AccessToken.getAccessToken({ audience: API }))
      expect(error).toMatchObject({
        _tag: "AccessTokenError",
        reason: "refresh_failed",
        error: "invalid_grant",
        errorDescription: "Unknown or invalid refresh token."
      })
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("without a refresh token: AccessTokenError missing_refresh_token; without a session: MissingSessionError", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      expect((yield* Effect.flip(AccessToken.getAccessToken())).
        _tag).toBe("MissingSessionError")
      yield* logIn({ refreshToken: undefined })
      expect(yield* Effect.flip(AccessToken.getAccessToken({ audience: API }))).toMatchObject({
        _tag: "AccessTokenError",
        reason: "missing_refresh_token"
      })
      expect(tenant.count("/oauth/token")).toBe(0)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("uses the configured scope map for the audience (MRRT defaults)", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      yield* AccessToken.getAccessToken({ audience: API, scope: "write" })
      expect(new URLSearchParams(tenant.seen.at(-1)!.body).get("scope")).toBe("read write")
    }).pipe(Effect.provide(flowLayer(tenant, { authorizationParams: { scope: { [API]: "read" } } })))
  })
})

describe("logout", () => {
  it.effect("falls back to /v2/logout with client_id and returnTo when discovery has no end_session_endpoint", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      const url = yield* Logout.logout({ returnTo: "https://app.example.com/bye" })
      expect(url.toString()).toBe(
        `${ORIGIN}/v2/logout?client_id=test-client-id&returnTo=${encodeURIComponent("https://app.example.com/bye")}`
      )
      expect(Option.isNone(yield* Effect.flatMap(StateStore, (s) => s.get))).toBe(true)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("refuses a returnTo that is not an absolute http(s) URL, keeping the session", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* logIn()
      for (const returnTo of ["/relative", "javascript:alert(1)", "not a url"]) {
        expect(yield* Effect.flip(Logout.logout({ returnTo }))).toMatchObject({ _tag: "InvalidArgumentError", argument: "returnTo" })
      }
      expect((yield* session).user.sub).toBe("auth0|user-1")
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})
