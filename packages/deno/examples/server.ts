/**
 * A Deno app with Auth0 login, one route written as an Effect program:
 * `deno run --allow-net --allow-env examples/server.ts` with AUTH0_DOMAIN, AUTH0_CLIENT_ID,
 * AUTH0_CLIENT_SECRET and AUTH0_SECRET (32+ characters) set, and
 * `http://localhost:8000/auth/callback` an Allowed Callback URL of the application.
 */
import { createAuthHandler, ServerClient } from "@auth0-effect/deno"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Effect from "effect/Effect"

// The type check runs without Deno's types; these are the few members used here.
declare const Deno: {
  readonly env: { get(name: string): string | undefined }
  serve(options: { readonly port: number }, handler: (request: Request) => Promise<Response>): unknown
}

const auth0 = new ServerClient({
  domain: Deno.env.get("AUTH0_DOMAIN") ?? "",
  clientId: Deno.env.get("AUTH0_CLIENT_ID") ?? "",
  clientSecret: Deno.env.get("AUTH0_CLIENT_SECRET") ?? "",
  secret: Deno.env.get("AUTH0_SECRET") ?? "",
  redirectUri: "http://localhost:8000/auth/callback",
  authorizationParams: { scope: "openid profile email offline_access" }
})

// GET /auth/login?returnTo=/profile, GET /auth/callback, POST /auth/logout (from the app's own pages)
const auth = createAuthHandler(auth0, { returnTo: "/profile" })

/** The billing API's token, or a 401 when nobody is logged in: the error channel says which. */
const billingToken = AccessToken.getAccessToken({ audience: "https://billing.example.com/", scope: "read:billing" }).pipe(
  Effect.map(({ accessToken, scope }) => Response.json({ tokenLength: accessToken.length, scope })),
  Effect.catchTag("MissingSessionError", () => Effect.succeed(new Response("Log in first", { status: 401 })))
)

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
  if (pathname === "/billing-token") {
    const response = await auth0.run(billingToken, { request, headers })
    for (const cookie of headers.getSetCookie()) response.headers.append("set-cookie", cookie)
    return response
  }
  return new Response(`<a href="/auth/login">Log in</a> <form method="post" action="/auth/logout"><button>Log out</button></form>`, {
    headers: { "content-type": "text/html; charset=utf-8" }
  })
}

Deno.serve({ port: 8000 }, async (request) => (await auth(request)) ?? app(request))
