/**
 * What a failed auth route (a bad or replayed callback, a tenant outage) throws to Hono's
 * `app.onError`: an `HTTPException`, so Hono's default handler answers with its status and a
 * short text, and an app's handler reads the typed SDK error from `cause`.
 *
 * @since 0.1.0
 */
import type { AuthRoute } from "@auth0-effect/core/WebRoutes"
import { HTTPException } from "hono/http-exception"
import type { ContentfulStatusCode } from "hono/utils/http-status"

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error" }

const kindOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { readonly _tag: string })._tag
    : "Error"

/**
 * A failed auth route. `cause` is the SDK's tagged error (e.g. `MissingTransactionError`),
 * `route` the route, `status` 400 (bad or replayed callback, denied consent), 401 (connect
 * callback without a session) or 500 (tenant or store failure). The message and
 * {@link getResponse} name only the route and the error's kind, never the error's message (it
 * can quote tenant responses). `cookies` are the `Set-Cookie` values the failed flow wrote (the
 * used transaction's removal): the middleware has put them on the context, so a response that
 * `app.onError` builds with `c` (`c.json`, `c.text`) carries them, and so does
 * {@link getResponse}. A bare `new Response(...)` carries them only when other middleware runs
 * around `auth0()` (Hono then merges the context's headers); otherwise append `cookies` yourself.
 */
export class Auth0RouteError extends HTTPException {
  readonly route: AuthRoute
  readonly kind: string
  readonly cookies: ReadonlyArray<string>

  constructor(route: AuthRoute, error: unknown, status: number, cookies: ReadonlyArray<string> = []) {
    const kind = kindOf(error)
    const reason = REASONS[status] ?? "Error"
    super(status as ContentfulStatusCode, {
      message: status >= 500 ? `${reason}: ${route} failed` : `${reason}: ${route} failed (${kind})`,
      cause: error
    })
    this.name = "Auth0RouteError"
    this.route = route
    this.kind = kind
    this.cookies = cookies
  }

  /** A `text/plain` response with the status, the message and the failed flow's cookies. */
  override getResponse(): Response {
    const headers = new Headers({ "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" })
    for (const cookie of this.cookies) headers.append("set-cookie", cookie)
    return new Response(this.message, { status: this.status, headers })
  }
}
