/**
 * docs/login-and-sessions.md: login options, one callback for login and connect, sessions,
 * logout and back-channel logout with a stateful store.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { StateStore } from "@auth0-effect/core/StateStore"
import { AuthorizationError, MissingSessionError, MissingTransactionError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: ["a-new-secret-of-at-least-32-characters!!", "the-previous-secret-still-decrypts-cookies"],
  redirectUri: "https://app.example.com/auth/callback",
  pushedAuthorizationRequests: true,
  // Stateful sessions (here in memory; use @auth0-effect/redis for several instances) make
  // back-channel logout possible.
  sessionStore: StateStore.memory
})

/** Login with options: an API, extra scopes, a forced re-authentication and state to carry. */
export const login = (req: IncomingMessage, res: ServerResponse) =>
  auth0.startInteractiveLogin(
    {
      authorizationParams: {
        audience: "https://api.example.com",
        scope: "read:items",
        max_age: 3600,
        prompt: "login"
      },
      appState: { returnTo: "/orders/42" }
    },
    { req, res }
  )

/** The callback: typed errors tell a denied consent from a stale or replayed link. */
export const callback = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const result = await auth0.handleCallback(`https://app.example.com${req.url ?? "/"}`, { req, res })
    return result._tag === "Login" ? "logged in" : `connected ${result.connection}`
  } catch (error) {
    if (error instanceof AuthorizationError) return `the provider said: ${error.error}`
    if (error instanceof MissingTransactionError) return "this login link was already used or has expired"
    throw error
  }
}

/** A typed appState: the type is the app's word, as in the reference SDK. */
export const completeWithReturnTo = async (req: IncomingMessage, res: ServerResponse) => {
  const { appState } = await auth0.completeInteractiveLogin<{ returnTo: string }>(
    `https://app.example.com${req.url ?? "/"}`,
    { req, res }
  )
  return appState?.returnTo ?? "/"
}

/** A protected route: requireUser rejects with MissingSessionError when nobody is logged in. */
export const profile = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const user = await auth0.requireUser({ req, res })
    // Standard claims are typed: user.email is string | undefined, no cast.
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ email: user.email, name: user.name }))
  } catch (error) {
    if (error instanceof MissingSessionError) res.writeHead(302, { location: "/auth/login" }).end()
    else throw error
  }
}

/** The whole session, or MissingSessionError: for handlers that need its token sets. */
export const apis = async (req: IncomingMessage, res: ServerResponse) => {
  const session = await auth0.requireSession({ req, res })
  return session.tokenSets.map((set) => set.audience)
}

/** The session as the app sees it: user claims and token sets, never the SDK's bookkeeping. */
export const whoAmI = async (req: IncomingMessage, res: ServerResponse) => {
  const session = await auth0.getSession({ req, res })
  return session ? { user: session.user, apis: session.tokenSets.map((set) => set.audience) } : undefined
}

/** POST /backchannel-logout with a form body `logout_token=...`. */
export const backchannelLogout = async (body: string) => {
  const token = new URLSearchParams(body).get("logout_token") ?? ""
  const ended = await auth0.handleBackchannelLogout(token)
  return `${ended} session(s) ended`
}

/** docs/login-and-sessions.md: claims an Action adds, typed once for the whole app. */
declare global {
  namespace Auth0Effect {
    interface CustomClaims {
      readonly "https://example.com/roles"?: ReadonlyArray<string>
    }
  }
}

/** docs/access-tokens.md: after the app's own API rejected a token, drop it from the session. */
export const callApi = async (api: string, storeOptions: { req: IncomingMessage; res: ServerResponse }) => {
  const { accessToken } = await auth0.getAccessToken({ audience: "https://api.example.com" }, storeOptions)
  const response = await fetch(api, { headers: { authorization: `Bearer ${accessToken}` } })
  if (response.status === 401) await auth0.invalidateAccessToken({ audience: "https://api.example.com", accessToken }, storeOptions)
  return response
}
