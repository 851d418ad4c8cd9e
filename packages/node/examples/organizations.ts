/**
 * docs/organizations.md: logins to an Auth0 organization and invitation links, with the Promise
 * facade in a node:http app.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { AccessTokenError, AuthorizationError, IdTokenValidationError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "https://app.example.com/auth/callback",
  // Optional: every login goes to this organization unless a call names another.
  organization: "org_W3rfUj6mEazN8PTe"
})

/** GET /login/acme: a login to one organization, by name (or by its org_ id). */
export const loginToAcme = async (req: IncomingMessage, res: ServerResponse) => {
  const url = await auth0.startInteractiveLogin({ authorizationParams: { organization: "acme" } }, { req, res })
  res.writeHead(302, { location: url.href }).end()
}

/** GET /login?invitation=...&organization=org_...: the link in Auth0's invitation email. */
export const acceptInvitation = async (req: IncomingMessage, res: ServerResponse) => {
  const options = await auth0.loginOptionsFromInvitation(`https://app.example.com${req.url ?? "/"}`, {
    appState: { returnTo: "/welcome" }
  })
  const url = await auth0.startInteractiveLogin(options, { req, res })
  res.writeHead(302, { location: url.href }).end()
}

/** GET /auth/callback */
export const callback = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    await auth0.completeInteractiveLogin(`https://app.example.com${req.url ?? "/"}`, { req, res })
    const organization = await auth0.getOrganization({ req, res })
    res.writeHead(302, { location: organization ? `/orgs/${organization.id}` : "/" }).end()
  } catch (error) {
    if (error instanceof AuthorizationError && error.error === "access_denied") {
      // Auth0 refused the login: the user is not a member of the organization.
      res.writeHead(403).end("You are not a member of this organization")
    } else if (error instanceof IdTokenValidationError && error.reason === "organization") {
      // The ID token does not prove the organization asked for: no session was created.
      res.writeHead(403).end("Wrong organization")
    } else {
      throw error
    }
  }
}

/** A token for an API; refreshes keep the organization, or fail with organization_mismatch. */
export const ordersToken = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    return (await auth0.getAccessToken({ audience: "https://orders.example.com" }, { req, res })).accessToken
  } catch (error) {
    if (error instanceof AccessTokenError && error.reason === "organization_mismatch") return undefined
    throw error
  }
}
