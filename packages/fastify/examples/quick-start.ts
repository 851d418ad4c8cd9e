/**
 * README and docs/frameworks.md (Fastify): the plugin, request.auth0, the preHandler guard, the error handler.
 */
import Fastify from "fastify"
import { Auth0Error, auth0Plugin, requireAuth, ServerClient } from "@auth0-effect/fastify"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "http://localhost:3000/auth/callback"
})

export const app = Fastify()

// Route failures and rejected SDK calls arrive here as the original Auth0Error, the status set.
app.setErrorHandler((error, _request, reply) => {
  if (!(error instanceof Auth0Error)) return reply.send(error)
  return reply.code(reply.statusCode >= 400 ? reply.statusCode : 500).send({ error: error._tag })
})

// /auth/login, /auth/callback, /auth/logout, /auth/connect, /auth/backchannel-logout, and request.auth0
await app.register(auth0Plugin, { client: auth0, baseUrl: "http://localhost:3000", returnTo: "/profile" })

app.get("/profile", { preHandler: requireAuth() }, async (request) => request.auth0.getUser())

app.get("/api/orders", { preHandler: requireAuth({ api: true }) }, async (request) => {
  const { accessToken } = await request.auth0.getAccessToken({ audience: "https://api.example.com" })
  const orders = await fetch("https://api.example.com/orders", { headers: { authorization: `Bearer ${accessToken}` } })
  return orders.json()
})

await app.listen({ port: 3000 })
