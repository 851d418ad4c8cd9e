/**
 * docs/account-linking.md: linking and unlinking identities with the Promise facade in a
 * node:http app. Logins and links share one callback route.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { AccountLinkingError, MissingSessionError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "https://app.example.com/auth/callback"
})

/** POST /settings/link/google */
export const linkGoogle = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const url = await auth0.startLinkUser(
      { connection: "google-oauth2", connectionScope: "https://www.googleapis.com/auth/calendar.readonly", appState: { returnTo: "/settings" } },
      { req, res }
    )
    res.writeHead(302, { location: url.href }).end()
  } catch (error) {
    if (error instanceof MissingSessionError || (error instanceof AccountLinkingError && error.reason === "no_id_token")) {
      res.writeHead(302, { location: "/auth/login" }).end()
    } else {
      throw error
    }
  }
}

/** POST /settings/unlink/google */
export const unlinkGoogle = async (req: IncomingMessage, res: ServerResponse) => {
  const url = await auth0.startUnlinkUser({ connection: "google-oauth2", appState: { returnTo: "/settings" } }, { req, res })
  res.writeHead(302, { location: url.href }).end()
}

/** GET /auth/callback: one route for logins, links and unlinks, told apart by the callback's transaction. */
export const callback = async (req: IncomingMessage, res: ServerResponse) => {
  const url = `https://app.example.com${req.url ?? "/"}`
  const kind = await auth0.callbackKind(url, { req, res })
  try {
    const { appState } = kind === "link"
      ? await auth0.completeLinkUser<{ returnTo: string }>(url, { req, res })
      : kind === "unlink"
      ? await auth0.completeUnlinkUser<{ returnTo: string }>(url, { req, res })
      : await auth0.completeInteractiveLogin<{ returnTo: string }>(url, { req, res })
    res.writeHead(302, { location: appState?.returnTo ?? "/" }).end()
  } catch (error) {
    if (error instanceof AccountLinkingError && error.reason === "refused") {
      // The tenant refused: the account was of another connection, already linked, ...
      res.writeHead(409).end(`Could not link the account: ${error.errorDescription ?? error.error ?? ""}`)
    } else {
      throw error
    }
  }
}

/** The linked identities, from the session's user (the ID token's `identities` claim). */
export const identities = async (req: IncomingMessage, res: ServerResponse) => {
  const user = await auth0.getUser({ req, res })
  return (user?.["identities"] as Array<{ connection: string; user_id: string }> | undefined) ?? []
}
