/**
 * docs/runtimes.md (Node): the mountable auth routes in a node:http server.
 */
import { createServer } from "node:http"
import { createAuthRoutes, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "http://localhost:3000/auth/callback"
})

// GET /auth/login[?returnTo=/path], GET /auth/callback, POST /auth/logout (from the app's own pages)
export const routes = createAuthRoutes(auth0, { baseUrl: "http://localhost:3000", returnTo: "/profile" })

export const server = createServer(async (req, res) => {
  if (await routes(req, res)) return
  const user = await auth0.getUser({ req, res })
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(user ?? null))
})
