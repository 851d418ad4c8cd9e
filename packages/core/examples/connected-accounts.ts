/**
 * docs/connected-accounts.md, the Effect API: configuration, starting a connect, the callback,
 * listing (one page, or every account as a Stream), deleting, handling errors by tag, and the
 * app layer built once for every request (a ManagedRuntime).
 * Compiled by `tsc -p tsconfig.test.json`, so it stays in step with the code.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import * as Auth0 from "@auth0-effect/core/Auth0"
import * as ConnectedAccounts from "@auth0-effect/core/ConnectedAccounts"
import { makeRequestJar, RequestCookies } from "@auth0-effect/core/RequestCookies"
import { StateStore } from "@auth0-effect/core/StateStore"
import { TransactionStore } from "@auth0-effect/core/TransactionStore"

// --- configuration -------------------------------------------------------------------------
/**
 * The recommended scope map: every My Account scope the app uses, configured for the My Account
 * audience, so connect, complete, list and delete all share ONE My Account token.
 */
export const options = {
  domain: "example.us.auth0.com",
  clientId: "YOUR_CLIENT_ID",
  clientSecret: "YOUR_CLIENT_SECRET",
  secret: "a-secret-of-at-least-32-characters-long",
  redirectUri: "https://app.example.com/auth/callback",
  authorizationParams: {
    scope: {
      "": "openid profile email offline_access", // login: the "" key is the no-audience default
      "https://example.us.auth0.com/me/":
        "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
    }
  }
}

/** Services for the whole app: configuration, HTTP, cookie session and transaction stores. */
export const AppLayer = Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(
  Layer.provideMerge(Auth0.layer(options))
)

/**
 * Built once, when the app starts: one discovery fetch, one key derivation, one memory store
 * (with `StateStore.memory`) for every request. Providing `AppLayer` to each request's program
 * instead would rebuild all of it per request, and lose every in-memory session.
 */
export const runtime = ManagedRuntime.make(AppLayer)

/** Runs one request's program with that request's cookies; returns the Set-Cookie headers too. */
export const handle = async <A, E>(
  cookieHeader: string | undefined,
  program: Effect.Effect<A, E, Layer.Layer.Success<typeof AppLayer> | RequestCookies>
) => {
  const jar = makeRequestJar(cookieHeader)
  const exit = await runtime.runPromiseExit(Effect.provideService(program, RequestCookies, jar))
  return { exit, setCookies: jar.setCookieHeaders() }
}

// --- start a connect -------------------------------------------------------------------------
/** GET /connect/google: redirect the browser to the URL this returns. */
export const connectGoogle = Effect.gen(function*() {
  // Effect
  const url = yield* ConnectedAccounts.startConnectAccount({
    connection: "google-oauth2",
    scopes: ["openid", "https://www.googleapis.com/auth/calendar.readonly"], // optional
    authorizationParams: { login_hint: "ada@example.com", access_type: "offline" }, // optional
    appState: { returnTo: "/calendar" }, // optional
    redirectUri: "https://app.example.com/connect/callback" // optional
  })
  // redirect the browser to url.href
  return url
}).pipe(
  // Not logged in: send the user to log in first.
  Effect.catchTag("MissingSessionError", () => Effect.succeed(new URL("https://app.example.com/login")))
)

// --- the callback ----------------------------------------------------------------------------
/** GET /auth/callback: one route for login and connect callbacks. */
export const callback = (request: { readonly url: string }) =>
  Effect.gen(function*() {
    const result = yield* ConnectedAccounts.handleCallback(request.url)
    if (result._tag === "Connect") {
      return `Connected ${result.connection} (${result.id}); back to ${JSON.stringify(result.appState)}`
    } else {
      return "Logged in" // result._tag === "Login": result.appState
    }
  }).pipe(
    // The user denied consent at the provider (or the provider failed): the error is Auth0's/the IdP's.
    Effect.catchTag("AuthorizationError", (e) => Effect.succeed(`Not connected: ${e.error} ${e.errorDescription ?? ""}`)),
    // A replayed, expired or foreign callback.
    Effect.catchTag("MissingTransactionError", () => Effect.succeed("This link has expired; please try again"))
  )

/** A dedicated connect callback route, when connects come back to their own URL. */
export const connectCallback = (request: { readonly url: string }) =>
  Effect.gen(function*() {
    // Effect: in the callback route, with the full callback URL
    const account = yield* ConnectedAccounts.completeConnectAccount(request.url)
    // { id, connection, accessType, scopes, createdAt, expiresAt?, appState }
    return account.appState
  })

// --- listing ---------------------------------------------------------------------------------
/** The connections the user may connect (enabled for Connected Accounts on this client). */
export const connections = Effect.gen(function*() {
  const { connections, next } = yield* ConnectedAccounts.listConnectedAccountConnections({ take: 5 })
  // connections: [{ name: "google-oauth2", strategy: "google-oauth2", scopes: [...] }, ...]
  return { names: connections.map((c) => c.name), next }
})

/** Two pages (at most 20 each) of the user's GitHub accounts: `next` goes back as `from`. */
export const twoGithubPages = Effect.gen(function*() {
  const page = yield* ConnectedAccounts.listConnectedAccounts({ connection: "github", take: 20 })
  // page.accounts: [{ id, connection, accessType, scopes, createdAt, expiresAt? }], page.next?
  const more = yield* ConnectedAccounts.listConnectedAccounts({ connection: "github", take: 20, from: page.next })
  return [...page.accounts, ...more.accounts]
})

/** Every page, as streams: pages are fetched as the stream is consumed. */
export const walk = Effect.gen(function*() {
  const all = yield* Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take: 20 }))
  const first = yield* Stream.runHead(ConnectedAccounts.streamConnectedAccounts()) // one request
  const names = yield* Stream.runCollect(
    Stream.map(ConnectedAccounts.streamConnectedAccountConnections(), (c) => c.name)
  )
  return { all, first, names }
})

/** Every GitHub account id, however many pages. */
export const allGithubAccounts = ConnectedAccounts.streamConnectedAccounts({ connection: "github", take: 20 }).pipe(
  Stream.map((account) => account.id),
  Stream.runCollect
)

// --- deleting --------------------------------------------------------------------------------
export const disconnect = (account: ConnectedAccounts.ConnectedAccount) =>
  Effect.gen(function*() {
    yield* ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: account.id })
  }).pipe(
    Effect.catchTag("MyAccountApiError", (e) =>
      e.status === 404 ? Effect.void : Effect.fail(e)) // already gone is fine
  )

// --- errors ----------------------------------------------------------------------------------
/** Rate limited: wait as long as Auth0 says, then try once more. */
export const listWithBackoff = Effect.gen(function*() {
  const page = yield* ConnectedAccounts.listConnectedAccounts().pipe(
    Effect.catchTag("MyAccountApiError", (e) =>
      e.status === 429 ? Effect.zipRight(Effect.sleep(`${e.retryAfter ?? 1} seconds`), ConnectedAccounts.listConnectedAccounts()) : Effect.fail(e))
  )
  return page
})

/** One request: the connect redirect, with its Set-Cookie headers. */
export const connectRequest = (cookieHeader: string | undefined) => handle(cookieHeader, connectGoogle)
