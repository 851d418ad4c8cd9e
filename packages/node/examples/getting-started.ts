/**
 * docs/getting-started.md: a complete node:http app with login, a profile page, an API call
 * with an access token, and logout.
 */
import { createServer } from "node:http"
import { Auth0Error, MissingSessionError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: process.env["AUTH0_DOMAIN"] ?? "your-tenant.auth0.com",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  // At least 32 characters. Encrypts the session and transaction cookies.
  secret: process.env["AUTH0_SECRET"] ?? "",
  redirectUri: "http://localhost:3000/auth/callback",
  authorizationParams: {
    audience: "https://api.example.com",
    scope: "openid profile email offline_access read:items"
  }
})

export const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost:3000")
  const storeOptions = { req, res }
  try {
    switch (url.pathname) {
      case "/login": {
        const authorizeUrl = await auth0.startInteractiveLogin({ appState: { returnTo: "/profile" } }, storeOptions)
        res.writeHead(302, { location: authorizeUrl.href }).end()
        return
      }
      case "/auth/callback": {
        const { appState } = await auth0.completeInteractiveLogin(url, storeOptions)
        const returnTo = (appState as { returnTo?: string } | undefined)?.returnTo ?? "/"
        res.writeHead(302, { location: returnTo.startsWith("/") && !returnTo.startsWith("//") ? returnTo : "/" }).end()
        return
      }
      case "/profile": {
        const user = await auth0.getUser(storeOptions)
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(user ?? null))
        return
      }
      case "/items": {
        const { accessToken } = await auth0.getAccessToken({ scope: "read:items" }, storeOptions)
        const items = await fetch("https://api.example.com/items", { headers: { authorization: `Bearer ${accessToken}` } })
        res.writeHead(items.status, { "content-type": "application/json" }).end(await items.text())
        return
      }
      case "/logout": {
        // POST from our own pages only: a cross-site link or form must not log the user out (CSRF).
        if (req.method !== "POST" || (req.headers.origin !== undefined && req.headers.origin !== "http://localhost:3000")) {
          res.writeHead(403).end()
          return
        }
        const logoutUrl = await auth0.logout({ returnTo: "http://localhost:3000/" }, storeOptions)
        res.writeHead(302, { location: logoutUrl.href }).end()
        return
      }
      default:
        res.writeHead(404).end()
    }
  } catch (error) {
    // Every SDK failure is an Auth0Error subclass with a _tag; nothing else escapes.
    if (error instanceof MissingSessionError) {
      res.writeHead(302, { location: "/login" }).end()
    } else if (error instanceof Auth0Error) {
      res.writeHead(400, { "content-type": "text/plain" }).end(`${error._tag}: ${error.message}`)
    } else {
      res.writeHead(500).end()
    }
  }
})

if (process.env["RUN_EXAMPLE"] === "1") server.listen(3000)
