/**
 * docs/effect.md and docs/access-tokens.md: the flows as Effect programs, composed with the
 * app's own services, errors handled by tag, and one request served with the cookie jar.
 * docs/observability.md: an app's own flow with a span that follows the SDK's telemetry switch.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Auth0 from "@auth0-effect/core/Auth0"
import * as Login from "@auth0-effect/core/Login"
import * as Logout from "@auth0-effect/core/Logout"
import { makeRequestJar, RequestCookies } from "@auth0-effect/core/RequestCookies"
import { StateStore } from "@auth0-effect/core/StateStore"
import * as Telemetry from "@auth0-effect/core/Telemetry"
import { TransactionStore } from "@auth0-effect/core/TransactionStore"
import * as UserSession from "@auth0-effect/core/UserSession"

/** Configuration, discovery, HTTP and coalescing, plus cookie-backed stores. Built once per app. */
export const AppLayer = Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(
  Layer.provideMerge(
    Auth0.layer({
      domain: "your-tenant.auth0.com",
      clientId: "your-client-id",
      clientSecret: "your-client-secret",
      secret: "at-least-32-characters-of-secret!!",
      redirectUri: "https://app.example.com/auth/callback",
      authorizationParams: {
        audience: "https://api.example.com",
        // MRRT defaults: the scopes each API gets when a token for it is requested.
        scope: {
          "https://api.example.com": "openid profile email offline_access read:items",
          "https://billing.example.com": "read:invoices"
        }
      }
    })
  )
)

/** Two APIs from one refresh token; a missing session becomes a login redirect. */
export const dashboard = Effect.gen(function*() {
  const items = yield* AccessToken.getAccessToken({ scope: "read:items" })
  const billing = yield* AccessToken.getAccessToken({ audience: "https://billing.example.com" })
  return { itemsScope: items.scope, billingExpiresAt: billing.expiresAt }
}).pipe(
  Effect.map((data) => ({ _tag: "Page" as const, data })),
  Effect.catchTag("MissingSessionError", () =>
    Effect.map(Login.startInteractiveLogin({ appState: { returnTo: "/dashboard" } }), (url) => ({
      _tag: "Redirect" as const,
      url
    }))),
  Effect.catchTag("AccessTokenError", (error) =>
    Effect.succeed({ _tag: "Error" as const, message: `${error.reason}: ${error.message}` }))
)

/** Who is logged in, as an Option. */
export const greeting = Effect.map(UserSession.getUser, Option.match({
  onNone: () => "Hello, stranger",
  onSome: (user) => `Hello, ${String(user["name"] ?? user.sub)}`
}))

/** Logout: the session is gone, and the browser goes to the tenant's logout URL. */
export const signOut = Logout.logout({ returnTo: "https://app.example.com/" })

const runtime = ManagedRuntime.make(AppLayer)

/**
 * Serves one request: the `Cookie` header in, the `Set-Cookie` headers out. This is what the
 * adapters (@auth0-effect/node, /bun, /deno) do for you.
 */
export const handle = async <A, E>(
  program: Effect.Effect<A, E, Layer.Layer.Success<typeof AppLayer> | RequestCookies>,
  cookieHeader: string | undefined
) => {
  const jar = makeRequestJar(cookieHeader)
  const exit = await runtime.runPromiseExit(Effect.provideService(program, RequestCookies, jar))
  return { exit, setCookie: jar.setCookieHeaders() }
}

/** A page that only makes sense logged in: MissingSessionError otherwise. */
export const accountPage = Effect.gen(function*() {
  const session = yield* UserSession.requireSession
  return { sub: session.user.sub, apis: session.tokenSets.map((set) => set.audience) }
})

// docs/observability.md: the app's own flow, its span made only while telemetry is on.
export const loadItems = Telemetry.fn("app.items.load")(function*(audience: string) {
  const token = yield* AccessToken.getAccessToken({ audience })
  return token.accessToken.length
})
