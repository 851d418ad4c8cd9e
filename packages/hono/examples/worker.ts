/**
 * The same Hono app as a Cloudflare Worker (`wrangler deploy`): the configuration comes from the
 * Worker's bindings (`wrangler secret put AUTH0_CLIENT_SECRET`, ...), so the client is made on
 * the first request and kept for the isolate's life. No `nodejs_compat` flag is needed.
 */
import { Hono } from "hono"
import { type Auth0Env, auth0, requireAuth, ServerClient } from "../src/index.js"

interface Bindings {
  readonly AUTH0_DOMAIN: string
  readonly AUTH0_CLIENT_ID: string
  readonly AUTH0_CLIENT_SECRET: string
  readonly AUTH0_SECRET: string
  readonly APP_ORIGIN: string
}

let client: ServerClient | undefined
const clientFor = (env: Bindings): ServerClient =>
  client ??= new ServerClient({
    domain: env.AUTH0_DOMAIN,
    clientId: env.AUTH0_CLIENT_ID,
    clientSecret: env.AUTH0_CLIENT_SECRET,
    secret: env.AUTH0_SECRET,
    redirectUri: `${env.APP_ORIGIN}/auth/callback`
  })

const app = new Hono<Auth0Env & { Bindings: Bindings }>()
app.use(auth0({ client: (c) => clientFor(c.env), routes: { returnTo: "/me" } }))
app.get("/me", requireAuth(), async (c) => c.json(await c.var.auth0.requireUser()))

export default app
