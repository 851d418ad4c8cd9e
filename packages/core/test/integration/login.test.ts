import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as jose from "jose"
import * as AccessToken from "../../src/AccessToken.js"
import * as Login from "../../src/Login.js"
import * as Logout from "../../src/Logout.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, APP_CALLBACK, appLayer, emulatorOptions, login, OTHER_API, withEmulator } from "./harness.js"

describe("login, MRRT refresh and logout against the emulator", () => {
  it.scopedLive("runs the whole cycle", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada" }))
      const program = Effect.gen(function*() {
        const { browser, result } = yield* login(emulator, "ada@example.com", {
          appState: { returnTo: "/profile" },
          authorizationParams: { audience: API, scope: "read:items" }
        })
        expect(result.appState).toEqual({ returnTo: "/profile" })

        const user = Option.getOrThrow(yield* browser.request(UserSession.getUser))
        expect(user.sub).toBe(sub)
        expect(user["email"]).toBe("ada@example.com")
        expect(user["nonce"]).toBeUndefined()
        const session = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(session).not.toHaveProperty("internal")
        expect(session.refreshToken).toBeTypeOf("string")
        expect(session.tokenSets).toHaveLength(1)
        expect(session.tokenSets[0]!.audience).toBe(API)
        expect(session.tokenSets[0]!.scope.split(" ")).toContain("read:items")

        // The login token is fresh and covers read:items: no request.
        emulator.resetCounts()
        const first = yield* browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
        expect(first.accessToken).toBe(session.tokenSets[0]!.accessToken)
        expect(emulator.requestCount("/oauth/token")).toBe(0)

        // Another API through the same refresh token (MRRT); write:other is outside the policy and dropped.
        const other = yield* browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other write:other" }))
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
        expect(other.scope.split(" ")).toContain("read:other")
        expect(other.scope.split(" ")).not.toContain("write:other")
        expect(jose.decodeJwt(other.accessToken).aud).toContain(OTHER_API)

        // Stored with the scope Auth0 returned: a request within it is served from the session.
        const again = yield* browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" }))
        expect(again.accessToken).toBe(other.accessToken)
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)

        // Rotation is off: the refresh token stays; the refreshed ID token is for the same user.
        const after = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(jose.decodeJwt(after.idToken!).sub).toBe(sub)
        expect(after.refreshToken).toBe(session.refreshToken)
        expect(after.tokenSets.map((s) => s.audience).sort()).toEqual([API, OTHER_API])

        const logoutUrl = yield* browser.request(Logout.logout({ returnTo: "http://127.0.0.1:3000/" }))
        expect(logoutUrl.origin + logoutUrl.pathname).toBe(`${emulator.origin}/oidc/logout`)
        expect(logoutUrl.searchParams.get("client_id")).toBe("app")
        expect(logoutUrl.searchParams.get("id_token_hint")).toBe(after.idToken)
        expect(logoutUrl.searchParams.get("post_logout_redirect_uri")).toBe("http://127.0.0.1:3000/")
        expect(Option.isNone(yield* browser.request(UserSession.getSession))).toBe(true)
        const loggedOut = yield* Effect.flip(browser.request(AccessToken.getAccessToken()))
        expect(loggedOut._tag).toBe("MissingSessionError")
      })
      yield* program.pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("50 concurrent getAccessToken calls on an expired token send one refresh", () =>
    Effect.gen(function*() {
      // 1-second tokens inside the 30-second refresh leeway: every stored token counts as expired.
      const emulator = yield* withEmulator(emulatorOptions({ accessTokenTtlSeconds: 1 }))
      yield* Effect.promise(() => emulator.createUser({ email: "bo@example.com" }))
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "bo@example.com", { authorizationParams: { audience: API } })
        emulator.resetCounts()
        const tokens = yield* browser.request(
          Effect.all(Array.from({ length: 50 }, () => AccessToken.getAccessToken({ audience: API, scope: "read:items" })), {
            concurrency: "unbounded"
          })
        )
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
        expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
        // Coalescing keeps nothing: the next call refreshes again.
        yield* browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(2)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("two logins started in two tabs both complete", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "cy@example.com" }))
      yield* Effect.gen(function*() {
        const browser = makeCookieBrowser()
        const first = yield* browser.request(Login.startInteractiveLogin({ appState: "tab-1" }))
        const second = yield* browser.request(Login.startInteractiveLogin({ appState: "tab-2" }))
        const secondCallback = yield* Effect.promise(() => emulator.login(second.toString(), { user: "cy@example.com" }))
        const firstCallback = yield* Effect.promise(() => emulator.login(first.toString(), { user: "cy@example.com" }))
        expect((yield* browser.request(Login.completeInteractiveLogin(secondCallback))).appState).toBe("tab-2")
        expect((yield* browser.request(Login.completeInteractiveLogin(firstCallback))).appState).toBe("tab-1")
        // Each transaction is gone once used.
        const replay = yield* Effect.flip(browser.request(Login.completeInteractiveLogin(firstCallback)))
        expect(replay._tag).toBe("MissingTransactionError")
        expect([...browser.cookies.keys()].filter((name) => name.startsWith("__a0_tx."))).toEqual([])
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("PAR, max_age and private_key_jwt", () =>
    Effect.gen(function*() {
      const { privateKey, publicKey } = yield* Effect.promise(() => jose.generateKeyPair("RS256", { extractable: true }))
      const publicJwk = { ...(yield* Effect.promise(() => jose.exportJWK(publicKey))), kid: "app-key", alg: "RS256", use: "sig" }
      const privateJwk = { ...(yield* Effect.promise(() => jose.exportJWK(privateKey))), kid: "app-key" }
      const emulator = yield* withEmulator(emulatorOptions({
        clients: [{
          clientId: "app",
          jwks: { keys: [publicJwk as JsonWebKey] },
          redirectUris: [APP_CALLBACK],
          refreshTokenPolicies: [{ audience: API, scopes: ["read:items"] }]
        }]
      }))
      yield* Effect.promise(() => emulator.createUser({ email: "di@example.com" }))
      yield* Effect.gen(function*() {
        const browser = makeCookieBrowser()
        const url = yield* browser.request(Login.startInteractiveLogin({ authorizationParams: { max_age: 600 } }))
        expect(url.searchParams.get("request_uri")).toMatch(/^urn:ietf:params:oauth:request_uri:/)
        expect(url.searchParams.get("code_challenge")).toBeNull()
        const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user: "di@example.com" }))
        yield* browser.request(Login.completeInteractiveLogin(callback))
        const token = yield* browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
        expect(jose.decodeJwt(token.accessToken).aud).toContain(API)
      }).pipe(Effect.provide(appLayer(emulator, {
        clientSecret: undefined,
        clientAssertionSigningKey: privateJwk,
        pushedAuthorizationRequests: true
      })))
    }))

  it.scopedLive("client_secret_basic and refresh token rotation", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions({
        clients: [{
          clientId: "app",
          clientSecret: "basic-secret with spaces & symbols",
          redirectUris: [APP_CALLBACK],
          refreshTokenRotation: true,
          refreshTokenPolicies: [{ audience: API, scopes: ["read:items"] }, { audience: OTHER_API, scopes: ["read:other"] }]
        }]
      }))
      yield* Effect.promise(() => emulator.createUser({ email: "ed@example.com" }))
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ed@example.com", { authorizationParams: { audience: API } })
        const before = Option.getOrThrow(yield* browser.request(UserSession.getSession)).refreshToken
        yield* browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" }))
        const after = Option.getOrThrow(yield* browser.request(UserSession.getSession)).refreshToken
        expect(after).toBeTypeOf("string")
        expect(after).not.toBe(before)
        // The rotated token works; a second API through it.
        emulator.resetCounts()
        yield* browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items write:nothing" }))
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
      }).pipe(Effect.provide(appLayer(emulator, {
        clientSecret: "basic-secret with spaces & symbols",
        clientAuthMethod: "client_secret_basic"
      })))
    }))

  it.scopedLive("an API outside the refresh policy is a typed AccessTokenError", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "fa@example.com" }))
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "fa@example.com")
        const error = yield* Effect.flip(browser.request(AccessToken.getAccessToken({ audience: "https://unknown.example.com" })))
        expect(error._tag).toBe("AccessTokenError")
        expect(error).toMatchObject({ reason: "refresh_failed", error: "access_denied" })
      }).pipe(Effect.provide(appLayer(emulator)))
    }))
})
