/**
 * A Bun app with Auth0 login: `bun run examples/server.ts` with AUTH0_DOMAIN, AUTH0_CLIENT_ID,
 * AUTH0_CLIENT_SECRET and AUTH0_SECRET (32+ characters) set, and
 * `http://localhost:3000/auth/callback` an Allowed Callback URL of the application.
 */
import { createAuthHandler, MissingSessionError, ServerClient } from "@auth0-effect/bun"

// The type check runs without Bun's type package; these are the few members used here.
declare const Bun: {
  serve(options: { readonly port: number; readonly fetch: (request: Request) => Promise<Response> }): { readonly port: number }
}

const auth0 = new ServerClient({
  domain: process.env.AUTH0_DOMAIN ?? "",
  clientId: process.env.AUTH0_CLIENT_ID ?? "",
  clientSecret: process.env.AUTH0_CLIENT_SECRET ?? "",
  secret: process.env.AUTH0_SECRET ?? "",
  redirectUri: "http://localhost:3000/auth/callback",
  authorizationParams: { audience: "https://api.example.com", scope: "openid profile email offline_access read:items" }
})

// GET /auth/login?returnTo=/profile, GET /auth/callback, POST /auth/logout (from the app's own pages)
const auth = createAuthHandler(auth0, { returnTo: "/profile" })

const app = async (request: Request): Promise<Response> => {
  // Cookies the SDK writes (a refreshed session) go into these headers: put them on the response.
  const headers = new Headers()
  const { pathname } = new URL(request.url)
  if (pathname === "/profile") {
    const user = await auth0.getUser({ request, headers })
    if (user === undefined) {
      headers.set("location", "/auth/login?returnTo=/profile")
      return new Response(null, { status: 302, headers })
    }
    return Response.json({ name: user.name, email: user.email }, { headers })
  }
  if (pathname === "/api/items") {
    try {
      const { accessToken } = await auth0.getAccessToken({ request, headers })
      const upstream = await fetch("https://api.example.com/items", { headers: { authorization: `Bearer ${accessToken}` } })
      return new Response(upstream.body, { status: upstream.status, headers })
    } catch (error) {
      if (error instanceof MissingSessionError) return new Response("Log in first", { status: 401, headers })
      throw error
    }
  }
  return new Response(`<a href="/auth/login">Log in</a> <form method="post" action="/auth/logout"><button>Log out</button></form>`, {
    headers: { "content-type": "text/html; charset=utf-8" }
  })
}

const server = Bun.serve({ port: 3000, fetch: async (request) => (await auth(request)) ?? app(request) })
console.log(`http://localhost:${server.port}`)
