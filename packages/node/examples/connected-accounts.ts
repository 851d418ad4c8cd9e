/**
 * docs/connected-accounts.md and docs/token-vault.md: the Promise facade for Connected Accounts
 * and Token Vault in a node:http app.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { AccessTokenForConnectionError, AuthorizationError, MyAccountApiError, ServerClient } from "@auth0-effect/node"

const DOMAIN = "your-tenant.auth0.com"

export const auth0 = new ServerClient({
  domain: DOMAIN,
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "https://app.example.com/auth/callback",
  authorizationParams: {
    scope: {
      // Login (no audience): the default scopes, with offline_access for a refresh token.
      "": "openid profile email offline_access",
      // All three My Account scopes at once: one My Account token serves every call.
      [`https://${DOMAIN}/me/`]: "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
    }
  }
})

/** GET /connect/google */
export const connectGoogle = async (req: IncomingMessage, res: ServerResponse) => {
  const url = await auth0.startConnectAccount(
    {
      connection: "google-oauth2",
      scopes: ["openid", "https://www.googleapis.com/auth/calendar.readonly"],
      appState: { returnTo: "/calendar" }
    },
    { req, res }
  )
  res.writeHead(302, { location: url.href }).end()
}

/** GET /auth/callback: one route for logins and connects. */
export const callback = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const result = await auth0.handleCallback(new URL(req.url ?? "/", "https://app.example.com"), { req, res })
    const returnTo = result._tag === "Connect" ? (result.appState as { returnTo?: string } | undefined)?.returnTo : undefined
    res.writeHead(302, { location: returnTo ?? "/" }).end()
  } catch (error) {
    if (error instanceof AuthorizationError) res.writeHead(400).end(`Not connected: ${error.error}`)
    else throw error
  }
}

/** A dedicated connect callback, when logins use another route. */
export const connectCallback = (req: IncomingMessage, res: ServerResponse) =>
  auth0.completeConnectAccount(new URL(req.url ?? "/", "https://app.example.com"), { req, res })

/** Every GitHub account of the user, page by page, then unlink the first. */
export const manageAccounts = async (req: IncomingMessage, res: ServerResponse) => {
  const { connections } = await auth0.listConnectedAccountConnections({ take: 5 }, { req, res })
  const accounts = []
  let from: string | undefined
  do {
    const page = await auth0.listConnectedAccounts({ connection: "github", take: 20, from }, { req, res })
    accounts.push(...page.accounts)
    from = page.next
  } while (from !== undefined)
  const first = accounts[0]
  if (first) {
    try {
      await auth0.deleteConnectedAccount({ connectedAccountId: first.id }, { req, res })
    } catch (error) {
      // 404: already gone. 401: log in again. 403: the My Account scope is missing.
      if (!(error instanceof MyAccountApiError && error.status === 404)) throw error
    }
  }
  return { connections: connections.map((c) => c.name), accounts: accounts.length }
}

/** Token Vault: the user's Google token; not connected yet means start the connect flow. */
export const calendar = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const { accessToken } = await auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, { req, res })
    const events = await fetch("https://www.googleapis.com/calendar/v3/calendars/primary/events", {
      headers: { authorization: `Bearer ${accessToken}` }
    })
    res.writeHead(events.status, { "content-type": "application/json" }).end(await events.text())
  } catch (error) {
    if (error instanceof AccessTokenForConnectionError && error.error === "federated_connection_refresh_token_not_found") {
      await connectGoogle(req, res)
    } else {
      throw error
    }
  }
}
