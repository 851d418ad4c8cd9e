/**
 * Connected Accounts with the Effect API: configuration, starting a connect, the callback,
 * listing (one page, or every account as a Stream), deleting, and handling errors by tag.
 * Compiled by `tsc -p tsconfig.test.json`, so it stays in step with the code.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Auth0 from "@auth0-effect/core/Auth0"
import * as ConnectedAccounts from "@auth0-effect/core/ConnectedAccounts"
import { makeRequestJar, RequestCookies } from "@auth0-effect/core/RequestCookies"
import { StateStore } from "@auth0-effect/core/StateStore"
import { TransactionStore } from "@auth0-effect/core/TransactionStore"

// --- configuration -------------------------------------------------------------------------
const domain = "example.us.auth0.com"

/**
 * The recommended scope map: every My Account scope the app uses, configured for the My Account
 * audience, so connect, complete, list and delete all share ONE My Account token. The "" key is
 * the login (no-audience) default.
 */
export const options = {
  domain,
  clientId: "YOUR_CLIENT_ID",
  clientSecret: "YOUR_CLIENT_SECRET",
  secret: "a-secret-of-at-least-32-characters-long",
  redirectUri: "https://app.example.com/auth/callback",
  authorizationParams: {
    scope: {
      "": "openid profile email offline_access",
      [`https://${domain}/me/`]:
        "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
    }
  }
}

/** Services for the whole app: configuration, HTTP, cookie session and transaction stores. */
export const AppLayer = Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(
  Layer.provideMerge(Auth0.layer(options))
)

/** Runs one request's program with that request's cookies; returns the Set-Cookie headers too. */
export const perRequest = <A, E, R>(cookieHeader: string | undefined, program: Effect.Effect<A, E, R>) => {
  const jar = makeRequestJar(cookieHeader)
  return program.pipe(
    Effect.provideService(RequestCookies, jar),
    Effect.map((value) => ({ value, setCookies: jar.setCookieHeaders() }))
  )
}

// --- start a connect -------------------------------------------------------------------------
/** GET /connect/google: redirect the browser to the URL this returns. */
export const connectGoogle = ConnectedAccounts.startConnectAccount({
  connection: "google-oauth2",
  scopes: ["openid", "https://www.googleapis.com/auth/calendar.readonly"],
  authorizationParams: { login_hint: "ada@example.com", access_type: "offline", prompt: "consent" },
  appState: { returnTo: "/calendar" }
}).pipe(
  // Not logged in: send the user to log in first.
  Effect.catchTag("MissingSessionError", () => Effect.succeed(new URL("https://app.example.com/login")))
)

// --- the callback ----------------------------------------------------------------------------
/** GET /auth/callback: one route for login and connect callbacks. */
export const callback = (url: string) =>
  ConnectedAccounts.handleCallback(url).pipe(
    Effect.map((result) =>
      result._tag === "Connect"
        ? `Connected ${result.connection} (${result.id}); back to ${JSON.stringify(result.appState)}`
        : "Logged in"
    ),
    // The user denied consent at the provider (or the provider failed): the error is Auth0's/the IdP's.
    Effect.catchTag("AuthorizationError", (e) => Effect.succeed(`Not connected: ${e.error} ${e.errorDescription ?? ""}`)),
    // A replayed, expired or foreign callback.
    Effect.catchTag("MissingTransactionError", () => Effect.succeed("This link has expired; please try again"))
  )

/** A dedicated connect callback route, when connects come back to their own URL. */
export const connectCallback = (url: string) =>
  Effect.map(ConnectedAccounts.completeConnectAccount(url), (account) => account.appState)

// --- listing ---------------------------------------------------------------------------------
/** One page (at most 20) of the user's accounts; pass `next` back as `from` for the next page. */
export const firstPage = ConnectedAccounts.listConnectedAccounts({ take: 20 })

export const nextPage = (from: string) => ConnectedAccounts.listConnectedAccounts({ take: 20, from })

/** Every GitHub account, however many pages; pages are fetched as the stream is consumed. */
export const allGithubAccounts = ConnectedAccounts.streamConnectedAccounts({ connection: "github", take: 20 }).pipe(
  Stream.map((account) => account.id),
  Stream.runCollect
)

/** Only the first account: one page request. */
export const firstAccount = ConnectedAccounts.streamConnectedAccounts().pipe(Stream.take(1), Stream.runHead)

/** The connections the user may connect (enabled for Connected Accounts on this client). */
export const connectionNames = ConnectedAccounts.streamConnectedAccountConnections().pipe(
  Stream.map((connection) => connection.name),
  Stream.runCollect
)

// --- deleting --------------------------------------------------------------------------------
export const disconnect = (connectedAccountId: string) =>
  ConnectedAccounts.deleteConnectedAccount({ connectedAccountId }).pipe(
    Effect.catchTag("MyAccountApiError", (e) =>
      e.status === 404 ? Effect.void : Effect.fail(e)) // already gone is fine
  )

// --- errors ----------------------------------------------------------------------------------
/** Rate limited: wait as long as Auth0 says, then try once more. */
export const listWithBackoff = firstPage.pipe(
  Effect.catchTag("MyAccountApiError", (e) =>
    e.status === 429
      ? Effect.zipRight(Effect.sleep(`${e.retryAfter ?? 1} seconds`), firstPage)
      : Effect.fail(e))
)

/** A whole request: cookies in, result and Set-Cookie headers out. */
export const handle = (cookieHeader: string | undefined) =>
  perRequest(cookieHeader, connectGoogle).pipe(Effect.provide(AppLayer))
