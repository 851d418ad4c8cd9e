/**
 * The same Hono app on Deno: `deno run --allow-net --allow-env=AUTH0_DOMAIN,AUTH0_CLIENT_ID,AUTH0_CLIENT_SECRET,AUTH0_SECRET examples/deno.ts`.
 */
import { Hono } from "hono"
import { type Auth0Env, auth0, requireAuth, ServerClient } from "../src/index.js"

// The type check runs without Deno's types; these are the few members used here.
declare const Deno: {
  readonly env: { get(name: string): string | undefined }
  serve(options: { readonly port: number }, handler: (request: Request) => Response | Promise<Response>): unknown
}

const client = new ServerClient({
  domain: Deno.env.get("AUTH0_DOMAIN") ?? "",
  clientId: Deno.env.get("AUTH0_CLIENT_ID") ?? "",
  clientSecret: Deno.env.get("AUTH0_CLIENT_SECRET") ?? "",
  secret: Deno.env.get("AUTH0_SECRET") ?? "",
  redirectUri: "http://localhost:8000/auth/callback"
})

const app = new Hono<Auth0Env>()
app.use(auth0({ client, routes: { returnTo: "/me" } }))
app.get("/me", requireAuth(), async (c) => c.json(await c.var.auth0.requireUser()))

Deno.serve({ port: 8000 }, app.fetch)
