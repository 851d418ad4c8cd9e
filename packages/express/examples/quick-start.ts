/**
 * README and docs/frameworks.md (Express): the routes, req.auth0, the guard, the app's error middleware.
 */
import express, { type NextFunction, type Request, type Response } from "express"
import { Auth0Error, auth, requireAuth, ServerClient } from "@auth0-effect/express"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "http://localhost:3000/auth/callback"
})

export const app = express()
// First: /auth/login, /auth/callback, /auth/logout, /auth/connect, /auth/backchannel-logout, and req.auth0
app.use(auth(auth0, { baseUrl: "http://localhost:3000", returnTo: "/profile" }))

app.get("/profile", requireAuth(), async (req, res) => {
  res.json(await req.auth0.getUser())
})

app.get("/api/orders", requireAuth({ api: true }), async (req, res) => {
  const { accessToken } = await req.auth0.getAccessToken({ audience: "https://api.example.com" })
  const orders = await fetch("https://api.example.com/orders", { headers: { authorization: `Bearer ${accessToken}` } })
  res.json(await orders.json())
})

// Last: route failures and rejected SDK calls arrive here as the original Auth0Error.
app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
  if (!(error instanceof Auth0Error)) return next(error)
  res.status(res.statusCode >= 400 ? res.statusCode : 500).json({ error: error._tag })
})

app.listen(3000)
