/**
 * Connected Accounts and Token Vault end to end: the SDK's flows against the local Auth0
 * emulator over real HTTP, with the cookie session and transaction stores and a browser that
 * carries the cookies between requests.
 */
import type { Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ConnectedAccounts from "../../src/ConnectedAccounts.js"
import * as Login from "../../src/Login.js"
import * as TokenVault from "../../src/TokenVault.js"
import * as UserSession from "../../src/UserSession.js"
import { type CookieBrowser, makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { APP_CALLBACK, appLayer, CLIENT_SECRET, withEmulator } from "./harness.js"

const ALL_SCOPES = ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
const CALENDAR = "https://www.googleapis.com/auth/calendar.readonly"

const emulatorWithMyAccount = () =>
  withEmulator({
    clients: [{
      clientId: "app",
      clientSecret: CLIENT_SECRET,
      redirectUris: [APP_CALLBACK],
      refreshTokenPolicies: [{ audience: "{origin}/me/", scopes: ALL_SCOPES }]
    }]
  })

/** Login through the single callback route (`handleCallback`). */
const login = (emulator: Emulator, browser: CookieBrowser, email: string) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => emulator.createUser({ email }))
    const url = yield* browser.request(Login.startInteractiveLogin({ appState: "after-login" }))
    const callback = yield* Effect.promise(() => emulator.login(url.href, { user: email }))
    return yield* browser.request(ConnectedAccounts.handleCallback(callback))
  })

/** One connect round trip: start, the provider's consent, the callback. */
const connect = (emulator: Emulator, browser: CookieBrowser, options: ConnectedAccounts.StartConnectAccountOptions) =>
  Effect.gen(function*() {
    const url = yield* browser.request(ConnectedAccounts.startConnectAccount(options))
    const callback = yield* Effect.promise(() => emulator.connect(url.href))
    return yield* browser.request(ConnectedAccounts.handleCallback(callback))
  })

const myAccountTokenRequests = (emulator: Emulator) => emulator.requestCount("/oauth/token", "refresh_token")

describe("Connected Accounts against the emulator", () => {
  it.live("login, connect, complete, page through 46 accounts, filter, delete, Token Vault: one My Account token", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* emulatorWithMyAccount()
      const browser = makeCookieBrowser()
      const scopeMap = {
        [emulator.myAccountAudience]: ALL_SCOPES.join(" "),
        "": "openid profile email offline_access"
      }
      return yield* Effect.gen(function*() {
        expect(yield* login(emulator, browser, "ada@example.com")).toEqual({ _tag: "Login", appState: "after-login" })
        emulator.resetCounts()

        const connections = yield* browser.request(ConnectedAccounts.listConnectedAccountConnections())
        expect(connections.connections.map((c) => c.name)).toEqual(["google-oauth2", "github"])

        // 46 accounts, alternating connections, each through the whole connect flow.
        const created: Array<ConnectedAccounts.ConnectedAccount> = []
        for (let i = 0; i < 46; i++) {
          const google = i % 2 === 0
          const result = yield* connect(emulator, browser, {
            connection: google ? "google-oauth2" : "github",
            ...(google ? { scopes: ["openid", CALENDAR] } : {}),
            authorizationParams: { login_hint: "ada@example.com" },
            appState: { n: i }
          })
          if (result._tag !== "Connect") throw new Error("expected a connect")
          expect(result.appState).toEqual({ n: i })
          const { _tag, appState, ...account } = result
          created.push(account)
        }
        expect(created[0]).toMatchObject({ connection: "google-oauth2", accessType: "offline", scopes: ["openid", CALENDAR] })

        // Every account exactly once, in order, whatever the page size; pages fetched as consumed.
        for (const take of [1, 7, 20]) {
          const before = emulator.requestCount("/me/v1/connected-accounts/accounts")
          const all = yield* browser.request(Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take })))
          expect(Chunk.toReadonlyArray(all).map((a) => a.id)).toEqual(created.map((a) => a.id))
          expect(emulator.requestCount("/me/v1/connected-accounts/accounts") - before).toBe(Math.ceil(46 / take))
        }
        const before = emulator.requestCount("/me/v1/connected-accounts/accounts")
        yield* browser.request(Stream.runCollect(Stream.take(ConnectedAccounts.streamConnectedAccounts({ take: 5 }), 3)))
        expect(emulator.requestCount("/me/v1/connected-accounts/accounts") - before).toBe(1)

        // Page by page with the cursor.
        const first = yield* browser.request(ConnectedAccounts.listConnectedAccounts({ take: 20 }))
        const second = yield* browser.request(ConnectedAccounts.listConnectedAccounts({ take: 20, from: first.next }))
        expect([...first.accounts, ...second.accounts].map((a) => a.id)).toEqual(created.slice(0, 40).map((a) => a.id))

        // Filter by connection.
        const github = yield* browser.request(
          Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ connection: "github", take: 20 }))
        )
        expect(Chunk.toReadonlyArray(github).map((a) => a.id)).toEqual(
          created.filter((a) => a.connection === "github").map((a) => a.id)
        )

        // Delete one, list again.
        const gone = created[1]!
        yield* browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: gone.id }))
        const after = yield* browser.request(Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take: 20 })))
        expect(Chunk.toReadonlyArray(after).map((a) => a.id)).toEqual(created.filter((a) => a.id !== gone.id).map((a) => a.id))
        const again = yield* Effect.flip(browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: gone.id })))
        expect(again).toMatchObject({ _tag: "MyAccountApiError", status: 404 })

        // The whole session used exactly one My Account token.
        expect(myAccountTokenRequests(emulator)).toBe(1)

        // Token Vault: a Google token, used against the provider's API, then served from the session.
        const vault = yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))
        expect(vault.connection).toBe("google-oauth2")
        expect(vault.scope.split(" ")).toContain(CALENDAR)
        const events = yield* Effect.promise(() =>
          fetch(emulator.thirdPartyApiUrl("google-oauth2"), { headers: { authorization: `Bearer ${vault.accessToken}` } })
        )
        expect(events.status).toBe(200)
        expect(((yield* Effect.promise(() => events.json())) as { items: Array<unknown> }).items.length).toBeGreaterThan(0)
        const cached = yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))
        expect(cached).toEqual(vault)
        const vaultGrant = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
        expect(emulator.requestCount("/oauth/token", vaultGrant)).toBe(1)

        // A connection the user has not connected: Auth0's error, typed.
        const slack = yield* Effect.flip(browser.request(TokenVault.getAccessTokenForConnection({ connection: "slack" })))
        expect(slack).toMatchObject({ _tag: "AccessTokenForConnectionError", connection: "slack", error: "federated_connection_refresh_token_not_found" })
      }).pipe(Effect.provide(appLayer(emulator, { authorizationParams: { scope: scopeMap } })))
    })))

  it.live("without the scope map: one My Account token request per distinct scope", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* emulatorWithMyAccount()
      const browser = makeCookieBrowser()
      return yield* Effect.gen(function*() {
        yield* login(emulator, browser, "bob@example.com")
        emulator.resetCounts()
        const result = yield* connect(emulator, browser, { connection: "github" })
        if (result._tag !== "Connect") throw new Error("expected a connect")
        yield* browser.request(ConnectedAccounts.listConnectedAccounts())
        yield* browser.request(ConnectedAccounts.listConnectedAccountConnections())
        yield* browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: result.id }))
        expect(myAccountTokenRequests(emulator)).toBe(3)
      }).pipe(Effect.provide(appLayer(emulator, { authorizationParams: { scope: "openid profile email offline_access" } })))
    })))

  it.live("a deleted account's Token Vault token is no longer served from the session", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* emulatorWithMyAccount()
      const browser = makeCookieBrowser()
      const vaultGrant = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
      return yield* Effect.gen(function*() {
        yield* login(emulator, browser, "cy@example.com")
        const google = yield* connect(emulator, browser, { connection: "google-oauth2", scopes: ["openid", CALENDAR] })
        const github = yield* connect(emulator, browser, { connection: "github" })
        if (google._tag !== "Connect" || github._tag !== "Connect") throw new Error("expected two connects")
        emulator.resetCounts()
        yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))
        const githubToken = yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "github" }))
        yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))
        expect(emulator.requestCount("/oauth/token", vaultGrant)).toBe(2)

        yield* browser.request(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: google.id }))
        const session = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(session.connectionTokenSets).toEqual([])

        // The next call asks Token Vault, which no longer has the account.
        const gone = yield* Effect.flip(browser.request(TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })))
        expect(gone).toMatchObject({ _tag: "AccessTokenForConnectionError", error: "federated_connection_refresh_token_not_found" })
        expect(emulator.requestCount("/oauth/token", vaultGrant)).toBe(3)
        // The other connection still works, at the price of one exchange.
        const again = yield* browser.request(TokenVault.getAccessTokenForConnection({ connection: "github" }))
        expect(again.connection).toBe("github")
        expect(again.accessToken).not.toBe("")
        expect(githubToken.connection).toBe("github")
        expect(emulator.requestCount("/oauth/token", vaultGrant)).toBe(4)
      }).pipe(Effect.provide(appLayer(emulator)))
    })))

  it.live("the user denies the provider's consent: AuthorizationError, and the connect is over", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* emulatorWithMyAccount()
      const browser = makeCookieBrowser()
      return yield* Effect.gen(function*() {
        yield* login(emulator, browser, "eve@example.com")
        const url = yield* browser.request(ConnectedAccounts.startConnectAccount({ connection: "github" }))
        const callback = yield* Effect.promise(() => emulator.connect(url.href, { deny: true }))
        const error = yield* Effect.flip(browser.request(ConnectedAccounts.handleCallback(callback)))
        expect(error).toMatchObject({ _tag: "AuthorizationError", error: "access_denied" })
        const state = new URL(callback).searchParams.get("state")!
        const replay = yield* Effect.flip(
          browser.request(ConnectedAccounts.completeConnectAccount(`${APP_CALLBACK}?connect_code=x&state=${state}`))
        )
        expect(replay._tag).toBe("MissingTransactionError")
        expect(emulator.requestCount("/me/v1/connected-accounts/complete")).toBe(0)
      }).pipe(Effect.provide(appLayer(emulator)))
    })))
})
