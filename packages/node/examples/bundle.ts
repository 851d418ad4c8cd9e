/**
 * docs/runtimes.md: the Promise API from the single-file bundle (cold start on serverless). Same
 * API and types as `@auth0-effect/node`; take the error classes from the bundle too.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { ServerClient, MissingSessionError } from "@auth0-effect/node/bundle"

export const auth0 = new ServerClient({
  domain: process.env["AUTH0_DOMAIN"] ?? "your-tenant.auth0.com",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? "",
  redirectUri: "http://localhost:3000/auth/callback"
})

/** An API token, or a redirect to the login route when nobody is logged in. */
export const itemsToken = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
  try {
    return (await auth0.getAccessToken({ audience: "https://api.example.com" }, { req, res })).accessToken
  } catch (error) {
    if (error instanceof MissingSessionError) {
      res.writeHead(302, { location: "/auth/login" }).end()
      return undefined
    }
    throw error
  }
}
