/**
 * The guard: lets a request with a session through, and answers the others, with a 401 for an
 * API or a redirect to login for a page.
 *
 * @since 0.1.0
 */
import type { MiddlewareHandler } from "hono"
import { createMiddleware } from "hono/factory"
import type { Auth0Env } from "./Auth0Middleware.js"

export interface RequireAuthOptions {
  /**
   * `"api"` (default): a `401` JSON `{ error: "unauthorized" }` with `WWW-Authenticate: Bearer`.
   * `"page"`: a `GET` or `HEAD` is redirected (302) to the login route with `returnTo` set to the
   * requested path and query, so the user lands back there; any other method gets the 401.
   */
  readonly mode?: "api" | "page" | undefined
  /** The `realm` of the `WWW-Authenticate` challenge. Default: none. */
  readonly realm?: string | undefined
}

/**
 * The guard, after the `auth0()` middleware: `app.use("/api/*", requireAuth())`,
 * `app.get("/profile", requireAuth({ mode: "page" }), handler)`. A session that is expired or
 * not ours reads as none (401 or redirect); a session store that is down throws to `app.onError`.
 *
 * @throws {Error} when `auth0()` was not registered before it (a programming error)
 * @example
 * app.get("/api/items", requireAuth(), (c) => c.json({ items: [] }))
 */
export const requireAuth = (options: RequireAuthOptions = {}): MiddlewareHandler<Auth0Env> => {
  const mode = options.mode ?? "api"
  const challenge = options.realm === undefined ? "Bearer" : `Bearer realm="${options.realm.replace(/["\\]/g, "")}"`
  return createMiddleware<Auth0Env>(async (c, next) => {
    const auth0 = c.get("auth0") as Auth0Env["Variables"]["auth0"] | undefined
    if (auth0 === undefined) throw new Error("requireAuth() needs the auth0() middleware registered before it")
    if ((await auth0.getSession()) !== undefined) return next()
    c.header("cache-control", "no-store")
    if (mode === "page" && (c.req.method === "GET" || c.req.method === "HEAD")) {
      const url = new URL(c.req.url)
      return c.redirect(auth0.loginUrl(`${url.pathname}${url.search}`), 302)
    }
    c.header("www-authenticate", challenge)
    return c.json({ error: "unauthorized", error_description: "A session is required" }, 401)
  })
}
