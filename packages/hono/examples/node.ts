/**
 * A Hono app with Auth0 login on Node: `node --env-file=.env node.js` (built) with AUTH0_DOMAIN,
 * AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET and AUTH0_SECRET (32+ characters) set, and
 * `http://localhost:3000/auth/callback` an Allowed Callback URL of the application.
 */
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { type Auth0Env, Auth0RouteError, auth0, requireAuth, ServerClient } from "../src/index.js"

const client = new ServerClient({
  domain: process.env["AUTH0_DOMAIN"] ?? "",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? "",
  redirectUri: "http://localhost:3000/auth/callback",
  authorizationParams: { audience: "https://api.example.com", scope: "openid profile email offline_access read:items" }
})

const app = new Hono<Auth0Env>()
// GET /auth/login?returnTo=/path, GET /auth/callback, POST /auth/logout; and c.var.auth0 for every route
app.use(auth0({ client }))

app.get("/", (c) => c.html(`<a href="/profile">Profile</a> <form method="post" action="/auth/logout"><button>Log out</button></form>`))
// A page: no session redirects to the login, which comes back here.
app.get("/profile", requireAuth({ mode: "page" }), async (c) => {
  const user = await c.var.auth0.requireUser()
  return c.json({ name: user.name, email: user.email })
})
// An API: no session answers 401 with WWW-Authenticate: Bearer.
app.get("/api/items", requireAuth(), async (c) => {
  const { accessToken } = await c.var.auth0.getAccessToken()
  const upstream = await fetch("https://api.example.com/items", { headers: { authorization: `Bearer ${accessToken}` } })
  return c.json(await upstream.json(), upstream.ok ? 200 : 502)
})

app.onError((error, c) => {
  // A failed auth route (a bad or replayed callback): the SDK's typed error is the cause.
  if (error instanceof Auth0RouteError) {
    console.warn(`auth0: ${error.route} failed: ${error.kind}`)
    return c.text(error.message, error.status)
  }
  console.error(error)
  return c.text("Internal Server Error", 500)
})

serve({ fetch: app.fetch, port: 3000 }, (info) => console.log(`http://localhost:${info.port}`))
