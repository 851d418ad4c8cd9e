import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ConnectedAccounts from "../src/ConnectedAccounts.js"
import type {
  AccessTokenError,
  AccountLinkingError,
  AuthorizationError,
  ConfigurationError,
  DiscoveryError,
  IdTokenValidationError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  MissingSessionError,
  MissingTransactionError,
  MfaRequiredError,
  MyAccountApiError,
  StoreError,
  TokenEndpointError,
  TransportError
} from "../src/Errors.js"
import { TransactionStore } from "../src/TransactionStore.js"
import {
  approve,
  type FakeTenant,
  flowLayer,
  logIn,
  makeFakeTenant,
  MY_ACCOUNT_AUDIENCE,
  problem
} from "./helpers/fakeTenant.js"

const ALL_SCOPES = "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
const CONNECT = "/me/v1/connected-accounts/connect"
const COMPLETE = "/me/v1/connected-accounts/complete"
const ACCOUNTS = "/me/v1/connected-accounts/accounts"

/** Runs `run` logged in against a fresh fake tenant; `options` replace configuration keys. */
const loggedIn = <A, E>(
  run: (tenant: FakeTenant) => Effect.Effect<A, E, ConnectedAccountsServices>,
  options: Record<string, unknown> = {},
  tenant = makeFakeTenant()
): Effect.Effect<A, E> =>
  Effect.zipRight(Effect.orDie(logIn()), run(tenant)).pipe(Effect.provide(flowLayer(tenant, options)))
type ConnectedAccountsServices = Effect.Effect.Context<ReturnType<typeof ConnectedAccounts.handleCallback>>

const myAccountRequests = (tenant: FakeTenant) =>
  tenant.seen.filter((r) => r.url.pathname.startsWith("/me/")).length

const tokenRequests = (tenant: FakeTenant) => tenant.count("/oauth/token", "refresh_token")

const connectAndApprove = (tenant: FakeTenant, options: ConnectedAccounts.StartConnectAccountOptions) =>
  Effect.map(ConnectedAccounts.startConnectAccount(options), (url) => approve(tenant, url))

describe("ConnectedAccounts.startConnectAccount", () => {
  it.effect("asks for a ticket with PKCE and state, stores the transaction by state, returns connect_uri with the ticket", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const url = yield* ConnectedAccounts.startConnectAccount({
          connection: "google-oauth2",
          scopes: ["openid", "https://www.googleapis.com/auth/calendar"],
          authorizationParams: { login_hint: "ada@example.com", prompt: "consent" },
          appState: { returnTo: "/calendar" }
        })
        expect(url.origin + url.pathname).toBe("https://tenant.example.com/connect")
        expect(url.searchParams.get("ticket")).toBe("ticket-as-1")

        const connect = tenant.seen.find((r) => r.url.pathname === CONNECT)!
        expect(connect.headers.get("authorization")).toBe("Bearer at-1")
        const body = JSON.parse(connect.body)
        expect(body).toMatchObject({
          connection: "google-oauth2",
          redirect_uri: "https://app.example.com/callback",
          code_challenge_method: "S256",
          scopes: ["openid", "https://www.googleapis.com/auth/calendar"],
          authorization_params: { login_hint: "ada@example.com", prompt: "consent" }
        })
        expect(body.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)

        const stored = yield* (yield* TransactionStore).get(body.state)
        expect(Option.getOrThrow(stored)).toMatchObject({
          kind: "connect",
          state: body.state,
          authSession: "as-1",
          redirectUri: "https://app.example.com/callback",
          connection: "google-oauth2",
          appState: { returnTo: "/calendar" }
        })
        // The My Account token was asked for the connect scope and the My Account audience.
        const refresh = new URLSearchParams(tenant.seen.find((r) => r.url.pathname === "/oauth/token")!.body)
        expect(refresh.get("audience")).toBe(MY_ACCOUNT_AUDIENCE)
        expect(refresh.get("scope")!.split(" ")).toContain("create:me:connected_accounts")
      })
    ))

  it.effect("an explicit redirectUri wins over the configured one", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* ConnectedAccounts.startConnectAccount({ connection: "github", redirectUri: "https://app.example.com/connected" })
        const body = JSON.parse(tenant.seen.find((r) => r.url.pathname === CONNECT)!.body)
        expect(body.redirect_uri).toBe("https://app.example.com/connected")
        expect(body).not.toHaveProperty("scopes")
        expect(body).not.toHaveProperty("authorization_params")
      })
    ))

  it.effect("without a redirect URI given or configured: MissingRequiredArgumentError, no request", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(ConnectedAccounts.startConnectAccount({ connection: "github" }))
        expect(error).toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "redirectUri" })
        expect(tenant.seen).toHaveLength(0)
      }), { redirectUri: undefined }))

  it.effect("arguments Auth0 would refuse fail before any request, naming the field", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const cases: Array<[ConnectedAccounts.StartConnectAccountOptions, string]> = [
          [{ connection: "" }, "connection"],
          [{ connection: "x".repeat(129) }, "connection"],
          [{ connection: "github", scopes: [] }, "scopes"],
          [{ connection: "github", scopes: Array.from({ length: 101 }, () => "s") }, "scopes"],
          [{ connection: "github", scopes: ["openid", "x".repeat(256)] }, "scopes[1]"],
          [{ connection: "github", authorizationParams: { redirect_uri: "https://evil.example" } as never }, "authorizationParams.redirect_uri"],
          [{ connection: "github", authorizationParams: { max_age: -5 } }, "authorizationParams.max_age"],
          [{ connection: "github", redirectUri: "not a url" }, "redirectUri"]
        ]
        for (const [options, argument] of cases) {
          const error = yield* Effect.flip(ConnectedAccounts.startConnectAccount(options))
          expect(error).toMatchObject({ _tag: "InvalidArgumentError", argument })
        }
        const take = yield* Effect.flip(ConnectedAccounts.listConnectedAccounts({ take: 21 }))
        expect(take).toMatchObject({ _tag: "InvalidArgumentError", argument: "take" })
        const take0 = yield* Effect.flip(ConnectedAccounts.listConnectedAccountConnections({ take: 0 }))
        expect(take0).toMatchObject({ _tag: "InvalidArgumentError", argument: "take" })
        const streamed = yield* Effect.flip(Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take: 1.5 })))
        expect(streamed).toMatchObject({ _tag: "InvalidArgumentError", argument: "take" })
        const missing = yield* Effect.flip(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: "" }))
        expect(missing).toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "connectedAccountId" })
        expect(tenant.seen).toHaveLength(0)
      })
    ))

  it.effect("logged out: MissingSessionError, no My Account request", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      const error = yield* Effect.flip(ConnectedAccounts.startConnectAccount({ connection: "github" }))
      expect(error._tag).toBe("MissingSessionError")
      expect(myAccountRequests(tenant)).toBe(0)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.effect("a connect the API refuses leaves no transaction behind", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", () => problem(404, "Not Found", "Connection \"nope\" not found"))
        const error = yield* Effect.flip(ConnectedAccounts.startConnectAccount({ connection: "nope" }))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 404 })
        const state = JSON.parse(tenant.seen.find((r) => r.url.pathname === CONNECT)!.body).state
        expect(Option.isNone(yield* (yield* TransactionStore).get(state))).toBe(true)
      })
    ))
})

describe("ConnectedAccounts.completeConnectAccount", () => {
  it.effect("completes with the stored verifier and auth session, returns the camelCase account and appState", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const callback = yield* connectAndApprove(tenant, { connection: "github", appState: { returnTo: "/x" } })
        const account = yield* ConnectedAccounts.completeConnectAccount(callback)
        expect(account).toEqual({
          id: "cac_1",
          connection: "github",
          accessType: "offline",
          scopes: ["openid"],
          createdAt: new Date(1000).toISOString(),
          appState: { returnTo: "/x" }
        })
        const started = JSON.parse(tenant.seen.find((r) => r.url.pathname === CONNECT)!.body)
        const completed = JSON.parse(tenant.seen.find((r) => r.url.pathname === COMPLETE)!.body)
        expect(completed).toMatchObject({ auth_session: "as-1", connect_code: "code-as-1", redirect_uri: started.redirect_uri })
        expect(completed.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
        // Single use: the same callback again finds no transaction and sends nothing.
        const before = tenant.seen.length
        const replay = yield* Effect.flip(ConnectedAccounts.completeConnectAccount(callback))
        expect(replay._tag).toBe("MissingTransactionError")
        expect(tenant.seen).toHaveLength(before)
      })
    ))

  it.effect("the transaction is deleted after a failed complete (409 on a reused connect_code)", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const callback = yield* connectAndApprove(tenant, { connection: "github" })
        tenant.answer("/complete", () => problem(409, "Conflict", "The connect_code was already used"))
        const error = yield* Effect.flip(ConnectedAccounts.completeConnectAccount(callback))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 409, title: "Conflict" })
        const state = new URL(callback).searchParams.get("state")!
        expect(Option.isNone(yield* (yield* TransactionStore).get(state))).toBe(true)
        expect((yield* Effect.flip(ConnectedAccounts.completeConnectAccount(callback)))._tag).toBe("MissingTransactionError")
      })
    ))

  it.effect("a callback with error/error_description is an AuthorizationError, and ends the connect", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const url = yield* ConnectedAccounts.startConnectAccount({ connection: "github" })
        const state = JSON.parse(tenant.seen.find((r) => r.url.pathname === CONNECT)!.body).state
        void url
        const callback = `https://app.example.com/callback?error=access_denied&error_description=The+user+denied&state=${state}`
        const error = yield* Effect.flip(ConnectedAccounts.completeConnectAccount(callback))
        expect(error).toMatchObject({ _tag: "AuthorizationError", error: "access_denied", errorDescription: "The user denied" })
        expect(Option.isNone(yield* (yield* TransactionStore).get(state))).toBe(true)
        expect(tenant.count(COMPLETE)).toBe(0)
        const noState = yield* Effect.flip(ConnectedAccounts.completeConnectAccount("/callback?error=server_error"))
        expect(noState).toMatchObject({ _tag: "AuthorizationError", error: "server_error", errorDescription: undefined })
      })
    ))

  it.effect("missing state or connect_code: MissingRequiredArgumentError; repeated parameters: InvalidArgumentError", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const cases: Array<[string, string, string]> = [
          ["/callback?connect_code=c", "MissingRequiredArgumentError", "state"],
          ["/callback?state=s", "MissingRequiredArgumentError", "connect_code"],
          ["/callback?state=s&connect_code=", "MissingRequiredArgumentError", "connect_code"],
          ["/callback?state=s&state=t&connect_code=c", "InvalidArgumentError", "state"],
          ["/callback?state=s&connect_code=c&connect_code=d", "InvalidArgumentError", "connect_code"]
        ]
        for (const [url, tag, argument] of cases) {
          expect(yield* Effect.flip(ConnectedAccounts.completeConnectAccount(url))).toMatchObject({ _tag: tag, argument })
        }
        expect(tenant.seen).toHaveLength(0)
      })
    ))

  it.effect("an unknown state, or the state of a login, is a MissingTransactionError (the login is left alone)", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const unknown = yield* Effect.flip(ConnectedAccounts.completeConnectAccount("/callback?state=nope&connect_code=c"))
        expect(unknown._tag).toBe("MissingTransactionError")
        const transactions = yield* TransactionStore
        yield* transactions.set({
          kind: "login",
          state: "login-state",
          codeVerifier: "v",
          nonce: "n",
          redirectUri: "https://app.example.com/callback",
          scope: "openid",
          createdAt: 0
        })
        const login = yield* Effect.flip(ConnectedAccounts.completeConnectAccount("/callback?state=login-state&connect_code=c"))
        expect(login._tag).toBe("MissingTransactionError")
        expect(Option.isSome(yield* transactions.get("login-state"))).toBe(true)
        expect(myAccountRequests(tenant)).toBe(0)
      })
    ))

  it.effect("two connects started in parallel (two tabs) both complete", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const [google, github] = yield* Effect.all([
          connectAndApprove(tenant, { connection: "google-oauth2", appState: "tab-1" }),
          connectAndApprove(tenant, { connection: "github", appState: "tab-2" })
        ], { concurrency: "unbounded" })
        // Completed in the opposite order.
        const second = yield* ConnectedAccounts.completeConnectAccount(github!)
        const first = yield* ConnectedAccounts.completeConnectAccount(google!)
        expect([first.connection, first.appState]).toEqual(["google-oauth2", "tab-1"])
        expect([second.connection, second.appState]).toEqual(["github", "tab-2"])
      })
    ))
})

describe("ConnectedAccounts.handleCallback", () => {
  it.effect("a connect_code completes a connect", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        const callback = yield* connectAndApprove(tenant, { connection: "github", appState: 7 })
        const result = yield* ConnectedAccounts.handleCallback(callback)
        expect(result).toMatchObject({ _tag: "Connect", connection: "github", appState: 7 })
      })
    ))

  it.effect("an error whose state is a login's goes to the login (its transaction is consumed)", () =>
    loggedIn(() =>
      Effect.gen(function*() {
        const transactions = yield* TransactionStore
        yield* transactions.set({
          kind: "login",
          state: "ls",
          codeVerifier: "v",
          nonce: "n",
          redirectUri: "https://app.example.com/callback",
          scope: "openid",
          createdAt: 0
        })
        const error = yield* Effect.flip(ConnectedAccounts.handleCallback("/callback?error=access_denied&state=ls"))
        expect(error).toMatchObject({ _tag: "AuthorizationError", error: "access_denied" })
        expect(Option.isNone(yield* transactions.get("ls"))).toBe(true)
      })
    ))

  it.effect("an error whose state is a connect's goes to the connect", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* ConnectedAccounts.startConnectAccount({ connection: "github" })
        const state = JSON.parse(tenant.seen.find((r) => r.url.pathname === CONNECT)!.body).state
        const error = yield* Effect.flip(ConnectedAccounts.handleCallback(`/callback?error=access_denied&state=${state}`))
        expect(error).toMatchObject({ _tag: "AuthorizationError", error: "access_denied" })
        expect(Option.isNone(yield* (yield* TransactionStore).get(state))).toBe(true)
      })
    ))

  it.effect("neither code nor connect_code nor error: MissingRequiredArgumentError", () =>
    loggedIn(() =>
      Effect.gen(function*() {
        expect(yield* Effect.flip(ConnectedAccounts.handleCallback("/callback?state=s"))).toMatchObject({
          _tag: "MissingRequiredArgumentError",
          argument: "code"
        })
      })
    ))
})

describe("ConnectedAccounts lists, streams and delete", () => {
  it.effect("one page of accounts, camelCase, with next; filtered by connection", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.seed(3, "github")
        tenant.seed(2, "google-oauth2")
        const page = yield* ConnectedAccounts.listConnectedAccounts({ take: 2 })
        expect(page.accounts.map((a) => a.id)).toEqual(["cac_1", "cac_2"])
        expect(page.accounts[0]).toEqual({
          id: "cac_1",
          connection: "github",
          accessType: "offline",
          scopes: ["openid"],
          createdAt: new Date(1000).toISOString()
        })
        expect(page.next).toBe("2")
        const rest = yield* ConnectedAccounts.listConnectedAccounts({ take: 20, from: page.next })
        expect(rest.accounts.map((a) => a.id)).toEqual(["cac_3", "cac_4", "cac_5"])
        expect(rest).not.toHaveProperty("next")
        const google = yield* ConnectedAccounts.listConnectedAccounts({ connection: "google-oauth2" })
        expect(google.accounts.map((a) => a.connection)).toEqual(["google-oauth2", "google-oauth2"])
      })
    ))

  it.effect("connections: one page, and all of them as a stream", () =>
    loggedIn(() =>
      Effect.gen(function*() {
        const page = yield* ConnectedAccounts.listConnectedAccountConnections({ take: 2 })
        expect(page).toEqual({
          connections: [
            { name: "google-oauth2", strategy: "google-oauth2", scopes: ["openid"] },
            { name: "github", strategy: "github", scopes: ["openid"] }
          ],
          next: "2"
        })
        const all = yield* Stream.runCollect(ConnectedAccounts.streamConnectedAccountConnections({ take: 1 }))
        expect(Chunk.toReadonlyArray(all).map((c) => c.name)).toEqual(["google-oauth2", "github", "slack"])
      })
    ))

  it.effect.prop(
    "walking pages of any size 1..20 over 0..100 accounts yields each account once, in order, with one token",
    [FastCheck.integer({ min: 1, max: 20 }), FastCheck.integer({ min: 0, max: 100 })],
    ([take, total]) =>
      loggedIn((tenant) =>
        Effect.gen(function*() {
          tenant.seed(total)
          const all = yield* Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take }))
          expect(Chunk.toReadonlyArray(all).map((a) => a.id)).toEqual(tenant.accounts.map((a) => a.id))
          expect(tenant.count(ACCOUNTS)).toBe(Math.max(1, Math.ceil(total / take)))
          expect(tokenRequests(tenant)).toBe(1)
        })
      ),
    { fastCheck: { numRuns: 40 } }
  )

  it.effect("Stream.take(1) makes one page request; the token is fetched only when the stream runs", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.seed(50)
        const stream = ConnectedAccounts.streamConnectedAccounts({ take: 5 })
        expect(tenant.seen).toHaveLength(0)
        const first = yield* Stream.runCollect(Stream.take(stream, 1))
        expect(Chunk.toReadonlyArray(first).map((a) => a.id)).toEqual(["cac_1"])
        expect(tenant.count(ACCOUNTS)).toBe(1)
        expect(tokenRequests(tenant)).toBe(1)
      })
    ))

  it.effect("delete percent-encodes the id; a missing account is a 404 MyAccountApiError", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        tenant.seed(1)
        yield* ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: "cac_1" })
        expect(tenant.accounts).toHaveLength(0)
        const error = yield* Effect.flip(ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: "cac/../1" }))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 404 })
        expect(tenant.seen.at(-1)!.url.pathname).toBe(`${ACCOUNTS}/cac%2F..%2F1`)
        const refresh = tenant.seen.filter((r) => r.url.pathname === "/oauth/token").map((r) => new URLSearchParams(r.body).get("scope"))
        expect(refresh).toHaveLength(1)
        expect(refresh[0]!.split(" ")).toContain("delete:me:connected_accounts")
        expect(refresh[0]).not.toContain("read:me")
      })
    ))
})

describe("My Account tokens (MRRT)", () => {
  const session = (tenant: FakeTenant) =>
    Effect.gen(function*() {
      const callback = yield* connectAndApprove(tenant, { connection: "github" })
      const account = yield* ConnectedAccounts.completeConnectAccount(callback)
      yield* ConnectedAccounts.listConnectedAccounts()
      yield* ConnectedAccounts.listConnectedAccountConnections()
      yield* Stream.runDrain(ConnectedAccounts.streamConnectedAccounts())
      yield* ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: account.id })
    })

  it.effect("with all three scopes configured for the My Account audience, a whole session uses ONE token request", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* session(tenant)
        expect(tokenRequests(tenant)).toBe(1)
        const refresh = new URLSearchParams(tenant.seen.find((r) => r.url.pathname === "/oauth/token")!.body)
        expect(refresh.get("scope")!.split(" ").sort()).toEqual(ALL_SCOPES.split(" ").sort())
      }), {
      authorizationParams: { scope: { [MY_ACCOUNT_AUDIENCE]: ALL_SCOPES, "": "openid profile email offline_access" } }
    }))

  it.effect("without it, one token request per distinct scope", () =>
    loggedIn((tenant) =>
      Effect.gen(function*() {
        yield* session(tenant)
        const scopes = tenant.seen.filter((r) => r.url.pathname === "/oauth/token").map((r) =>
          new URLSearchParams(r.body).get("scope")
        )
        expect(scopes).toEqual(["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"])
      }), { authorizationParams: { scope: "openid profile email offline_access" } }))
})

describe("ConnectedAccounts error channels", () => {
  // MfaRequiredError: the My Account token comes from getAccessToken, which a policy asking for MFA stops.
  type Base = ConfigurationError | DiscoveryError | StoreError | MissingSessionError | AccessTokenError | IdTokenValidationError | MfaRequiredError
  type Api = MyAccountApiError | TransportError | InvalidResponseError
  type Err<F extends (...args: never) => Effect.Effect<unknown, unknown, unknown>> = Effect.Effect.Error<ReturnType<F>>

  it("each flow's error union is exact", () => {
    expectTypeOf<Err<typeof ConnectedAccounts.startConnectAccount>>().toEqualTypeOf<
      Base | Api | InvalidArgumentError | MissingRequiredArgumentError
    >()
    expectTypeOf<Err<typeof ConnectedAccounts.completeConnectAccount>>().toEqualTypeOf<
      Base | Api | InvalidArgumentError | MissingRequiredArgumentError | MissingTransactionError | AuthorizationError
    >()
    // A link's or an unlink's callback: AccountLinkingError too (refused, subject_mismatch).
    expectTypeOf<Err<typeof ConnectedAccounts.handleCallback>>().toEqualTypeOf<
      | Base
      | Api
      | InvalidArgumentError
      | MissingRequiredArgumentError
      | MissingTransactionError
      | AuthorizationError
      | TokenEndpointError
      | AccountLinkingError
    >()
    expectTypeOf<Err<typeof ConnectedAccounts.listConnectedAccounts>>().toEqualTypeOf<Base | Api | InvalidArgumentError>()
    expectTypeOf<Err<typeof ConnectedAccounts.listConnectedAccountConnections>>().toEqualTypeOf<Base | Api | InvalidArgumentError>()
    expectTypeOf<Err<typeof ConnectedAccounts.deleteConnectedAccount>>().toEqualTypeOf<Base | Api | MissingRequiredArgumentError>()
    expectTypeOf<Stream.Stream.Error<ReturnType<typeof ConnectedAccounts.streamConnectedAccounts>>>().toEqualTypeOf<
      Base | Api | InvalidArgumentError
    >()
    expectTypeOf<Stream.Stream.Error<ReturnType<typeof ConnectedAccounts.streamConnectedAccountConnections>>>().toEqualTypeOf<
      Base | Api | InvalidArgumentError
    >()
    const handled = ConnectedAccounts.completeConnectAccount("/cb").pipe(
      Effect.catchTag("AuthorizationError", () => Effect.succeed(undefined))
    )
    expectTypeOf<Effect.Effect.Error<typeof handled>>().toEqualTypeOf<
      Base | Api | InvalidArgumentError | MissingRequiredArgumentError | MissingTransactionError
    >()
  })
})
