/**
 * The standard auth routes (login, callback, logout) as one `(request) => Promise<Response |
 * undefined>` handler for Web-standard servers (`Bun.serve`, `Deno.serve`, any `fetch` handler).
 * Shared by @auth0-effect/bun and @auth0-effect/deno.
 *
 * @since 0.1.0
 */
import { Auth0Error, InvalidArgumentError } from "./Errors.js"
import type { AuthorizationParams } from "./Login.js"
import type { BaseServerClient } from "./ServerClient.js"
import type { WebStoreOptions } from "./WebCookies.js"

/** The facade methods the routes call (any `ServerClient` of a Web-standard adapter has them). */
export type AuthRoutesClient = Pick<
  BaseServerClient<WebStoreOptions>,
  "startInteractiveLogin" | "handleCallback" | "logout"
>

/** Which route failed, for {@link AuthHandlerOptions.onError}. */
export type AuthRoute = "login" | "callback" | "logout"

export interface AuthHandlerOptions {
  /** Starts a login (GET); `?returnTo=/path` picks where to land afterwards. Default `/auth/login`. */
  readonly loginPath?: string | undefined
  /** Completes a login or connect (GET); must be the path of `redirectUri`. Default `/auth/callback`. */
  readonly callbackPath?: string | undefined
  /** Ends the session (GET or POST); `?returnTo=/path` too. Default `/auth/logout`. */
  readonly logoutPath?: string | undefined
  /** Where to land after login when the login request names no `returnTo`: a path. Default `/`. */
  readonly returnTo?: string | undefined
  /**
   * Where the tenant sends the browser after logout: a path, made absolute with `baseUrl`. It
   * must be an Allowed Logout URL of the application. Default `/`.
   */
  readonly logoutReturnTo?: string | undefined
  /**
   * The app's public origin (`https://app.example.com`), for the absolute logout return URL.
   * Default: the request's own origin; set it behind a proxy that rewrites the host.
   */
  readonly baseUrl?: string | undefined
  /** Authorization parameters for every login, or per request (e.g. a `screen_hint`). */
  readonly authorizationParams?: AuthorizationParams | ((request: Request) => AuthorizationParams) | undefined
  /**
   * Renders a failure. Default: a short `text/plain` 400 (bad or replayed callback, denied
   * consent), 401 (connect callback without a session) or 500 (tenant or store failure) naming
   * only the error's kind; 500s are also logged with `console.error`.
   */
  readonly onError?:
    | ((error: unknown, context: { readonly request: Request; readonly route: AuthRoute; readonly status: number }) =>
      Response | Promise<Response>)
    | undefined
}

/** A handler for the auth routes; resolves `undefined` for any other request, so the app handles it. */
export type AuthHandler = (request: Request) => Promise<Response | undefined>

const BASE = "http://return-to.invalid"

/**
 * The path to redirect to if `value` is a same-origin relative path, else `undefined`.
 *
 * Refuses everything a browser could read as another origin: absolute URLs (`https://evil.com`,
 * `javascript:`), scheme-relative ones (`//evil.com`), backslashes (`/\evil.com`, which browsers
 * treat as `//`), and control characters or whitespace (URL parsers drop tabs and newlines, so
 * `/\t/evil.com` would become `//evil.com`). The result is the parsed, normalised path, query
 * and fragment, so what is checked is what is sent.
 */
export const safeReturnTo = (value: string | null | undefined): string | undefined => {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")) return undefined
  if (/[\\\u0000-\u0020\u007f-\u009f]/.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, BASE)
  } catch {
    return undefined
  }
  if (url.origin !== BASE) return undefined
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith("//") ? undefined : path
}

const requirePath = (name: string, value: string | undefined, fallback: string): string => {
  const path = value ?? fallback
  if (!path.startsWith("/") || safeReturnTo(path) !== path || path.includes("?") || path.includes("#")) {
    throw new InvalidArgumentError({ argument: name, message: `${name} must be a path like "/auth/login"` })
  }
  return path
}

const requireReturnTo = (name: string, value: string | undefined): string => {
  const path = safeReturnTo(value ?? "/")
  if (path === undefined) {
    throw new InvalidArgumentError({ argument: name, message: `${name} must be a relative path starting with one "/"` })
  }
  return path
}

const redirect = (location: string, headers: Headers): Response => {
  headers.set("location", location)
  headers.set("cache-control", "no-store")
  return new Response(null, { status: 302, headers })
}

/** `response` plus the `Set-Cookie` headers of `from`. */
const withCookies = (response: Response, from: Headers): Response => {
  const cookies = from.getSetCookie()
  if (cookies.length === 0) return response
  const headers = new Headers(response.headers)
  for (const cookie of cookies) headers.append("set-cookie", cookie)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/** The HTTP status for a failure: the client's fault (400/401) or ours and the tenant's (500). */
export const statusOf = (error: unknown): number => {
  if (!(error instanceof Auth0Error)) return 500
  switch (error._tag) {
    case "InvalidArgumentError":
    case "MissingRequiredArgumentError":
    case "MissingTransactionError":
    case "AuthorizationError":
    case "IdTokenValidationError":
      return 400
    case "MissingSessionError":
      return 401
    case "TokenEndpointError":
      // invalid_grant at the code exchange: a used, expired or forged code.
      return (error as Auth0Error & { readonly error?: string }).error === "invalid_grant" ? 400 : 500
    default:
      return 500
  }
}

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 500: "Internal Server Error" }

const defaultErrorResponse = (error: unknown, route: AuthRoute, status: number): Response => {
  const kind = error instanceof Auth0Error ? error._tag : "Error"
  if (status >= 500) {
    console.error(`auth0-effect: ${route} failed: ${kind}: ${error instanceof Error ? error.message : String(error)}`)
  }
  // Only the error's kind: messages can quote tenant responses, and nothing here is HTML.
  const body = status >= 500 ? `${REASONS[500]}: ${route} failed` : `${REASONS[status] ?? "Error"}: ${route} failed (${kind})`
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }
  })
}

/** `returnTo` kept in a login's or connect's appState by these routes, if it is still a safe path. */
const returnToOf = (appState: unknown): string | undefined =>
  typeof appState === "object" && appState !== null && "returnTo" in appState
    ? safeReturnTo((appState as { readonly returnTo?: unknown }).returnTo as string)
    : undefined

/**
 * Builds the handler for the login, callback and logout routes. Options are checked once, here.
 *
 * @throws {InvalidArgumentError} a path or `returnTo` option that is not a plain relative path
 * @example
 * const auth = createAuthHandler(auth0, { returnTo: "/profile" })
 * Bun.serve({ fetch: async (request) => (await auth(request)) ?? app(request) })
 */
export const createAuthHandler = (client: AuthRoutesClient, options: AuthHandlerOptions = {}): AuthHandler => {
  const loginPath = requirePath("loginPath", options.loginPath, "/auth/login")
  const callbackPath = requirePath("callbackPath", options.callbackPath, "/auth/callback")
  const logoutPath = requirePath("logoutPath", options.logoutPath, "/auth/logout")
  const returnTo = requireReturnTo("returnTo", options.returnTo)
  const logoutReturnTo = requireReturnTo("logoutReturnTo", options.logoutReturnTo)
  let baseUrl: string | undefined
  if (options.baseUrl !== undefined) {
    const parsed = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : undefined
    if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      throw new InvalidArgumentError({ argument: "baseUrl", message: "baseUrl must be an absolute http(s) URL" })
    }
    baseUrl = parsed.origin
  }
  const { authorizationParams, onError } = options

  const fail = async (error: unknown, request: Request, route: AuthRoute): Promise<Response> => {
    const status = statusOf(error)
    if (onError !== undefined) {
      try {
        return await onError(error, { request, route, status })
      } catch (renderError) {
        return defaultErrorResponse(renderError, route, 500)
      }
    }
    return defaultErrorResponse(error, route, status)
  }

  const login = async (request: Request, url: URL, headers: Headers): Promise<Response> => {
    const target = safeReturnTo(url.searchParams.get("returnTo")) ?? returnTo
    const params = typeof authorizationParams === "function" ? authorizationParams(request) : authorizationParams
    const authorizeUrl = await client.startInteractiveLogin(
      { appState: { returnTo: target }, ...(params !== undefined ? { authorizationParams: params } : {}) },
      { request, headers }
    )
    return redirect(authorizeUrl.href, headers)
  }

  const callback = async (request: Request, headers: Headers): Promise<Response> => {
    const result = await client.handleCallback(request.url, { request, headers })
    return redirect(returnToOf(result.appState) ?? returnTo, headers)
  }

  const logout = async (request: Request, url: URL, headers: Headers): Promise<Response> => {
    const path = safeReturnTo(url.searchParams.get("returnTo")) ?? logoutReturnTo
    const logoutUrl = await client.logout({ returnTo: new URL(path, baseUrl ?? url.origin).href }, { request, headers })
    return redirect(logoutUrl.href, headers)
  }

  return async (request) => {
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return undefined
    }
    const method = request.method
    let route: AuthRoute
    // GET only: a HEAD or prefetch must not start a login or consume a callback's transaction.
    if (url.pathname === loginPath && method === "GET") route = "login"
    else if (url.pathname === callbackPath && method === "GET") route = "callback"
    else if (url.pathname === logoutPath && (method === "GET" || method === "POST")) route = "logout"
    else return undefined
    // Cookies the flow set (a consumed transaction's removal above all) go out even on failure.
    const headers = new Headers()
    try {
      return route === "login"
        ? await login(request, url, headers)
        : route === "callback"
        ? await callback(request, headers)
        : await logout(request, url, headers)
    } catch (error) {
      return withCookies(await fail(error, request, route), headers)
    }
  }
}
