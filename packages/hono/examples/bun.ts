/**
 * The same Hono app on Bun: `bun run examples/bun.ts`. Bun serves the default export's `fetch`.
 */
import { Hono } from "hono"
import { type Auth0Env, auth0, requireAuth, ServerClient } from "../src/index.js"

const client = new ServerClient({
  domain: process.env["AUTH0_DOMAIN"] ?? "",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? "",
  redirectUri: "http://localhost:3000/auth/callback"
})

const app = new Hono<Auth0Env>()
app.use(auth0({ client, routes: { returnTo: "/me" } }))
app.get("/me", requireAuth(), async (c) => c.json(await c.var.auth0.requireUser()))

export default { port: 3000, fetch: app.fetch }
