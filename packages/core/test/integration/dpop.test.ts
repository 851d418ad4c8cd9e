/**
 * DPoP end to end against the emulator: the whole cycle with DPoP required everywhere, the same
 * cycle refused without a key, the one nonce retry counted at the emulator, and the emulator's
 * own checks (a tampered proof, a proof for another URL, a replay, another key).
 */
import type { Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import { decodeJwt, importJWK, SignJWT } from "jose"
import * as AccessToken from "../../src/AccessToken.js"
import * as ConnectedAccounts from "../../src/ConnectedAccounts.js"
import * as Dpop from "../../src/Dpop.js"
import * as Login from "../../src/Login.js"
import * as TokenVault from "../../src/TokenVault.js"
import * as UserSession from "../../src/UserSession.js"
import { type CookieBrowser, makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, APP_CALLBACK, appLayer, CLIENT_SECRET, withEmulator } from "./harness.js"

const ALL_SCOPES = ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
const VAULT_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
const key = await Effect.runPromise(Dpop.generateKey("ES256"))
const otherKey = await Effect.runPromise(Dpop.generateKey("ES256"))

const emulator = (dpop: { required?: boolean; requireNonce?: boolean; requiredByApis?: boolean }) =>
  withEmulator({
    apis: [{ audience: API, scopes: ["read:items"] }],
    clients: [{
      clientId: "app",
      clientSecret: CLIENT_SECRET,
      redirectUris: [APP_CALLBACK],
      refreshTokenPolicies: [{ audience: "{origin}/me/", scopes: ALL_SCOPES }, { audience: API, scopes: ["read:items"] }]
    }],
    dpop
  })

const scopes = (e: Emulator) => ({ [e.myAccountAudience]: ALL_SCOPES.join(" "), "": "openid profile email offline_access" })
const withKey = (e: Emulator, privateKey: unknown = key.privateJwk) =>
  appLayer(e, { authorizationParams: { scope: scopes(e) }, dpop: { privateKey } })
const withoutKey = (e: Emulator) => appLayer(e, { authorizationParams: { scope: scopes(e) } })

const login = (e: Emulator, browser: CookieBrowser, email: string) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => e.createUser({ email }))
    const url = yield* browser.request(Login.startInteractiveLogin())
    const callback = yield* Effect.promise(() => e.login(url.href, { user: email }))
    yield* browser.request(Login.completeInteractiveLogin(callback))
    return url
  })

const connect = (e: Emulator, browser: CookieBrowser, connection: string) =>
  Effect.gen(function*() {
    const url = yield* browser.request(ConnectedAccounts.startConnectAccount({ connection }))
    const callback = yield* Effect.promise(() => e.connect(url.href))
    return yield* browser.request(ConnectedAccounts.completeConnectAccount(callback))
  })

const storedToken = (browser: CookieBrowser, audience: string) =>
  Effect.map(browser.request(UserSession.getSession), (s) => Option.getOrThrow(s).tokenSets.find((t) => t.audience === audience)!)

describe("DPoP against the emulator", () => {
  it.live("DPoP required everywhere, nonces too: login, MRRT, connect, complete, list, delete, Token Vault, own API", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ required: true, requireNonce: true, requiredByApis: true })
      const browser = makeCookieBrowser()
      return yield* Effect.gen(function*() {
        const authorize = yield* login(e, browser, "ada@example.com")
        expect(authorize.searchParams.get("dpop_jkt")).toBe(key.thumbprint)
        // The code exchange met the nonce challenge once and was retried once.
        expect(e.requestCount("/oauth/token", "authorization_code")).toBe(2)
        expect(e.dpopNonceChallenges("/oauth/token")).toBe(1)

        const api = yield* browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
        expect(api.tokenType).toBe("DPoP")
        expect(decodeJwt(api.accessToken)["cnf"]).toEqual({ jkt: key.thumbprint })

        const account = yield* connect(e, browser, "google-oauth2")
        const myAccount = yield* storedToken(browser, e.myAccountAudience)
        expect(myAccount.tokenType).toBe("DPoP")
        expect(decodeJwt(myAccount.accessToken)["cnf"]).toEqual({ jkt: key.thumbprint })
        const list = yield* browser.request(ConnectedAccounts.listConnectedAccounts())
        expect(list.accounts.map((a) => a.id)).toEqual([account.id])

        const vault = yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))
        expect(vault.tokenType).toBe("DPoP")
        const url = e.thirdPartyApiUrl("google-oauth2", "openid")
        const proof = yield* browser.request(Dpop.generateProof({ method: "GET", url, accessToken: vault.accessToken }))
        const events = yield* Effect.promise(() => fetch(url, { headers: { authorization: `DPoP ${vault.accessToken}`, dpop: proof } }))
        expect(events.status).toBe(200)

        // The fetch helper: scheme, proof and token from the session, against a DPoP-only API.
        const own = yield* browser.request(Dpop.fetchWithAccessToken({
          url: `${e.origin}/me/v1/connected-accounts/accounts?take=5`,
          audience: e.myAccountAudience,
          scope: "read:me:connected_accounts"
        }))
        expect(own.status).toBe(200)
        expect(JSON.parse(own.body).accounts).toHaveLength(1)

        yield* browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: account.id }))
        expect((yield* browser.request(ConnectedAccounts.listConnectedAccounts())).accounts).toEqual([])
        // One origin, one nonce: after the first challenge nothing was challenged again.
        expect(e.dpopNonceChallenges("/")).toBe(1)
        expect(e.requestCount("/oauth/token", VAULT_GRANT)).toBe(1)
      }).pipe(Effect.provide(withKey(e)))
    })))

  it.live("DPoP with a PEM key through PAR: one nonce challenge at PAR, whose nonce serves the exchange; the token is bound", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ required: true, requireNonce: true })
      const browser = makeCookieBrowser()
      return yield* Effect.gen(function*() {
        yield* login(e, browser, "pat@example.com")
        const token = yield* storedToken(browser, "default")
        expect(token.tokenType).toBe("DPoP")
        // PAR met the nonce challenge once; the nonce it gave then served the code exchange.
        expect(e.requestCount("/oauth/par")).toBe(2)
        expect(e.dpopNonceChallenges("/oauth/par")).toBe(1)
        expect(e.requestCount("/oauth/token", "authorization_code")).toBe(1)
        expect(e.dpopNonceChallenges("/oauth/token")).toBe(0)
      }).pipe(Effect.provide(appLayer(e, { pushedAuthorizationRequests: true, dpop: { privateKey: key.privatePem } })))
    })))

  it.live("the same cycle without a key is refused with typed errors that say DPoP is required", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ required: true, requiredByApis: true })
      const browser = makeCookieBrowser()
      // Logged in (and connected) by an instance that has the key...
      const account = yield* Effect.gen(function*() {
        yield* login(e, browser, "bob@example.com")
        return yield* connect(e, browser, "github")
      }).pipe(Effect.provide(withKey(e)))
      // ...then every call of an instance without it is refused.
      return yield* Effect.gen(function*() {
        const exchange = yield* Effect.flip(login(e, makeCookieBrowser(), "carl@example.com"))
        expect(exchange).toMatchObject({ _tag: "TokenEndpointError", error: "invalid_dpop_proof" })
        expect(exchange.message).toContain("DPoP")

        const refresh = yield* Effect.flip(browser.request(AccessToken.getAccessToken({ audience: API, scope: "read:items" })))
        expect(refresh).toMatchObject({ _tag: "AccessTokenError", reason: "refresh_failed", error: "invalid_dpop_proof" })
        expect(refresh.message).toContain("requires a valid DPoP proof")

        // The stored My Account token is DPoP-bound: presented without a proof it is refused.
        const list = yield* Effect.flip(browser.request(ConnectedAccounts.listConnectedAccounts()))
        expect(list).toMatchObject({ _tag: "MyAccountApiError", status: 401, dpopError: "invalid_dpop_proof" })
        expect(list.message).toContain("requires DPoP")
        const del = yield* Effect.flip(browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: account.id })))
        expect(del).toMatchObject({ _tag: "MyAccountApiError", status: 401 })

        const vault = yield* Effect.flip(browser.request(TokenVault.getAccessTokenForConnection({ connection: "github" })))
        expect(vault).toMatchObject({ _tag: "AccessTokenForConnectionError", error: "invalid_dpop_proof" })
        expect(vault.message).toContain("DPoP")
      }).pipe(Effect.provide(withoutKey(e)))
    })))

  it.live("APIs that require DPoP refuse a Bearer session's token: typed MyAccountApiError naming DPoP", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ requiredByApis: true })
      const browser = makeCookieBrowser()
      return yield* Effect.gen(function*() {
        yield* login(e, browser, "dee@example.com")
        e.resetCounts()
        const error = yield* Effect.flip(browser.request(ConnectedAccounts.listConnectedAccounts()))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 401, dpopError: "invalid_token" })
        expect(error.message).toContain("requires DPoP")
        expect((yield* storedToken(browser, e.myAccountAudience)).tokenType).toBeUndefined()
      }).pipe(Effect.provide(withoutKey(e)))
    })))

  it.live("nonce challenges: exactly one retry at the token endpoint and one at My Account, counted at the emulator", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ requireNonce: true })
      const browser = makeCookieBrowser()
      yield* Effect.gen(function*() {
        yield* login(e, browser, "eve@example.com")
        expect(e.requestCount("/oauth/token", "authorization_code")).toBe(2)
        expect(e.dpopNonceChallenges("/oauth/token")).toBe(1)
        yield* browser.request(ConnectedAccounts.listConnectedAccounts())
        // The nonce from the token endpoint served the refresh and My Account.
        expect(e.requestCount("/oauth/token", "refresh_token")).toBe(1)
        expect(e.dpopNonceChallenges("/")).toBe(1)
      }).pipe(Effect.provide(withKey(e)))
      // A second instance (same key, same cookie secret) has no nonce yet: My Account challenges it once.
      e.resetCounts()
      yield* Effect.gen(function*() {
        yield* browser.request(ConnectedAccounts.listConnectedAccounts())
        expect(e.requestCount("/me/v1/connected-accounts/accounts")).toBe(2)
        expect(e.dpopNonceChallenges("/me/v1")).toBe(1)
        expect(e.requestCount("/oauth/token")).toBe(0)
      }).pipe(Effect.provide(withKey(e)))
    })))

  it.live("the emulator checks proofs: tampered, another URL, replayed, another key, Bearer scheme, stale", () =>
    Effect.scoped(Effect.gen(function*() {
      const e = yield* emulator({ requiredByApis: true })
      const browser = makeCookieBrowser()
      const url = () => `${e.origin}/me/v1/connected-accounts/accounts`
      const call = (headers: Record<string, string>) =>
        Effect.promise(async () => {
          const response = await fetch(url(), { headers })
          return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "" }
        })
      return yield* Effect.gen(function*() {
        yield* login(e, browser, "fay@example.com")
        yield* browser.request(ConnectedAccounts.listConnectedAccounts())
        const token = (yield* storedToken(browser, e.myAccountAudience)).accessToken
        const proof = (target = url(), accessToken = token) =>
          browser.request(Dpop.generateProof({ method: "GET", url: target, accessToken }))

        const good = yield* proof()
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: good })).status).toBe(200)
        const replay = yield* call({ authorization: `DPoP ${token}`, dpop: good })
        expect(replay).toMatchObject({ status: 401 })
        expect(replay.challenge).toContain("replay")

        const [h, p, s] = (yield* proof()).split(".")
        const claims = JSON.parse(Buffer.from(p!, "base64url").toString())
        const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, htm: "GET", iat: claims.iat + 1 })).toString("base64url")}.${s}`
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: tampered })).challenge).toContain("invalid_dpop_proof")

        const elsewhere = yield* proof(`${e.origin}/me/v1/connected-accounts/connections`)
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: elsewhere })).challenge).toContain("htu mismatch")

        const wrongAth = yield* proof(url(), "another-token")
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: wrongAth })).challenge).toContain("ath mismatch")

        const foreign = yield* Effect.provide(
          Dpop.generateProof({ method: "GET", url: url(), accessToken: token }),
          withKey(e, otherKey.privateJwk)
        )
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: foreign })).challenge).toContain("cnf.jkt")

        const stale = yield* Effect.promise(async () =>
          new SignJWT({ jti: "stale-1", htm: "GET", htu: url(), iat: Math.floor(Date.now() / 1000) - 3600, ath: createHash("sha256").update(token).digest("base64url") })
            .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk })
            .sign(await importJWK(key.privateJwk, "ES256")))
        expect((yield* call({ authorization: `DPoP ${token}`, dpop: stale })).challenge).toContain("not recent enough")

        expect((yield* call({ authorization: `Bearer ${token}` })).challenge).toContain("DPoP scheme")
        expect((yield* call({ authorization: `DPoP ${token}` })).challenge).toContain("DPoP proof is required")
        // Every refusal above was a 401 with a DPoP challenge.
        for (const dpop of [tampered, elsewhere, wrongAth, foreign, stale]) {
          const answer = yield* call({ authorization: `DPoP ${token}`, dpop })
          expect(answer.status).toBe(401)
          expect(answer.challenge.startsWith("DPoP ")).toBe(true)
        }
      }).pipe(Effect.provide(withKey(e)))
    })))
})
