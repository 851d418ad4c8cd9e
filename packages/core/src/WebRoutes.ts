/**
 * The standard auth routes (login, callback, logout, connect, back-channel logout) as one `(request) => Promise<Response |
 * undefined>` handler for Web-standard servers (`Bun.serve`, `Deno.serve`, any `fetch` handler).
 * Shared by @auth0-effect/bun and @auth0-effect/deno, and by @auth0-effect/node through
 * {@link createAuthRouter}. The pure rules (routing, redirects, CSRF, error lines) are in
 * `WebRoutesRules`.
 *
 * @since 0.1.0
 */
import { Auth0Error, InvalidArgumentError, MissingRequiredArgumentError } from "./Errors.js"
import type { AuthorizationParams } from "./Login.js"
import type { BaseServerClient } from "./ServerClient.js"
import type { WebStoreOptions } from "./WebCookies.js"
import {
  type AuthRoute,
  failureLine,
  invitationParams,
  logoutVerdict,
  matchRoute,
  type RouteMatch,
  type RoutePaths,
  safeReturnTo,
  statusOf
} from "./WebRoutesRules.js"
import { backchannelError, backchannelLogout } from "./internal/backchannelRoute.js"
import {
  appOrigin,
  callbackPathOf,
  type ConnectRouteConnection,
  connectionsOf,
  httpUrl,
  optionalPath,
  requireDistinct,
  requirePath,
  requireReturnTo
} from "./internal/routeOptions.js"

export { type AuthRoute, type RouteMatch, safeReturnTo, statusOf } from "./WebRoutesRules.js"
export type { ConnectRouteConnection } from "./internal/routeOptions.js"

/**
 * What the routes need of the client: its facade methods and the configured `redirectUri` (any
 * `ServerClient` of a Web-standard adapter has them). Without `startConnectAccount` the connect
 * route is not mounted, without `handleBackchannelLogout` the back-channel logout route.
 */
export type AuthRoutesClient =
  & Pick<BaseServerClient<WebStoreOptions>, "startInteractiveLogin" | "handleCallback" | "logout" | "redirectUri">
  & Partial<Pick<BaseServerClient<WebStoreOptions>, "startConnectAccount" | "handleBackchannelLogout">>

export interface AuthHandlerOptions {
  /** Starts a login (GET); `?returnTo=/path` picks where to land afterwards. Default `/auth/login`. */
  readonly loginPath?: string | undefined
  /**
   * Completes a login or connect (GET). It must be the path of the configured `redirectUri`
   * (checked when the routes are built); default: that path, or `/auth/callback`.
   */
  readonly callbackPath?: string | undefined
  /**
   * Ends the session (POST from the app's own pages, see `allowLogoutGet`); `?returnTo=/path`
   * too. Default `/auth/logout`.
   */
  readonly logoutPath?: string | undefined
  /**
   * Also end the session on `GET logoutPath` (a plain `<a href="/auth/logout">` link). Default
   * `false`: logout is POST only, and a request whose `Sec-Fetch-Site` is not `same-origin` or
   * whose `Origin` is not the app's is refused with 403 (the session is kept).
   *
   * Risk: a GET carries no `Origin`, so with this on, only `Sec-Fetch-Site` tells a link on the
   * app's page from another site's link, image or redirect. Browsers without Fetch Metadata
   * (and any that strip it) let every site log your users out (logout CSRF, OWASP CSRF
   * Prevention Cheat Sheet). Prefer a `<form method="post">` button.
   */
  readonly allowLogoutGet?: boolean | undefined
  /**
   * Links a third-party account (GET): `?connection=google-oauth2&returnTo=/path`. Without a
   * session it redirects to the login, which comes back here. `false`: not mounted. Default
   * `/auth/connect`.
   */
  readonly connectPath?: string | false | undefined
  /**
   * Scopes and authorization parameters of the connect route, per connection. When given, the
   * route links only these connections (any other is a 400); default: any connection, with its
   * configured scopes.
   */
  readonly connections?: Readonly<Record<string, ConnectRouteConnection>> | undefined
  /**
   * Where the tenant POSTs logout tokens (OpenID Back-Channel Logout 1.0; set it as the
   * application's Back-Channel Logout URI). Answers 200 once the token's sessions are gone, 400
   * with an OAuth error JSON for a bad token. No cookie or CSRF check: the tenant calls it.
   * Needs a stateful session store to find sessions. `false`: not mounted. Default
   * `/auth/backchannel-logout`.
   */
  readonly backchannelLogoutPath?: string | false | undefined
  /** Where to land after login when the login request names no `returnTo`: a path. Default `/`. */
  readonly returnTo?: string | undefined
  /**
   * Where the tenant sends the browser after logout: a path, made absolute with the app's origin.
   * It must be an Allowed Logout URL of the application. Default `/`.
   */
  readonly logoutReturnTo?: string | undefined
  /**
   * The app's public origin (`https://app.example.com`): the logout return URL and the logout
   * origin check use it. Default: the origin of the configured `redirectUri`. Never taken from
   * the request (its target or `Host` header are the client's to choose); the routes refuse to
   * be built when neither is known.
   */
  readonly baseUrl?: string | undefined
  /**
   * Authorization parameters for every login, or per request (e.g. a `screen_hint`). The login
   * route also forwards the `organization` and `invitation` of its query (invitation links);
   * values set here win over them.
   */
  readonly authorizationParams?: AuthorizationParams | ((request: Request) => AuthorizationParams) | undefined
  /**
   * Renders a failure. Default: a short `text/plain` 400 (bad or replayed callback, denied
   * consent), 401 (connect callback without a session) or 500 (tenant or store failure) naming
   * only the error's kind (back-channel logout: an OAuth error JSON), and one log line (the kind, the OAuth `error` or `reason`, and a hint;
   * never the message): `console.error` for 500s, `console.warn` otherwise. Returning
   * `undefined` gives that default answer (e.g. to render only some routes' failures).
   */
  readonly onError?:
    | ((error: unknown, context: { readonly request: Request; readonly route: AuthRoute; readonly status: number }) =>
      Response | undefined | Promise<Response | undefined>)
    | undefined
}

/** A handler for the auth routes; resolves `undefined` for any other request, so the app handles it. Never rejects. */
export type AuthHandler = (request: Request) => Promise<Response | undefined>

/** The routes, split for adapters that must decide before they build a `Request` (Node). */
export interface AuthRouter {
  /** The app's origin (`baseUrl`, or the `redirectUri`'s): build request URLs on it. */
  readonly origin: string
  /** The routes' paths (`undefined`: that route is not mounted). */
  readonly paths: RoutePaths
  /** Whose `pathname` and `method` are: a route, a 405, or `undefined` (the app's). */
  readonly match: (pathname: string, method: string) => RouteMatch | undefined
  /** The 405 for a {@link RouteMatch} of `MethodNotAllowed`. */
  readonly methodNotAllowed: (allow: string) => Response
  /** The handler; resolves `undefined` for other requests and never rejects. */
  readonly handle: AuthHandler
}


const plain = (status: number, body: string, extra: Record<string, string> = {}): Response =>
  new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra }
  })

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

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 500: "Internal Server Error" }

const defaultErrorResponse = (error: unknown, route: AuthRoute, status: number): Response => {
  const line = failureLine(route, error)
  if (status >= 500) console.error(line)
  else console.warn(line)
  if (route === "backchannelLogout") {
    return backchannelError(status >= 500 ? 500 : 400, status >= 500 ? "the logout failed" : "the logout token was refused")
  }
  // Only the error's kind: messages can quote tenant responses, and nothing here is HTML.
  return status >= 500
    ? plain(500, `${REASONS[500]}: ${route} failed`)
    : plain(status, `${REASONS[status] ?? "Error"}: ${route} failed (${failureKind(error)})`)
}

const isMissingSession = (error: unknown): boolean => error instanceof Auth0Error && error._tag === "MissingSessionError"

const failureKind = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { readonly _tag: string })._tag
    : "Error"

/** `returnTo` kept in a login's or connect's appState by these routes, if it is still a safe path. */
const returnToOf = (appState: unknown): string | undefined =>
  typeof appState === "object" && appState !== null && "returnTo" in appState
    ? safeReturnTo((appState as { readonly returnTo?: unknown }).returnTo as string)
    : undefined

/**
 * Builds the routes for an adapter; {@link createAuthHandler} is the same as one function.
 * Options are checked once, here.
 *
 * @throws {InvalidArgumentError} a path or `returnTo` option that is not a plain relative path, a
 *   `baseUrl` that is not http(s), a `callbackPath` that is not the path of `redirectUri`, or
 *   neither `baseUrl` nor `redirectUri` known
 */
export const createAuthRouter = (client: AuthRoutesClient, options: AuthHandlerOptions = {}): AuthRouter => {
  const { authorizationParams, onError } = options
  const configured = (typeof authorizationParams === "object" ? authorizationParams.redirect_uri : undefined) ??
    client.redirectUri
  const redirectUri = configured === undefined ? undefined : httpUrl("redirectUri", configured)
  const origin = appOrigin(options.baseUrl, redirectUri)
  // Bound: a `ServerClient`'s methods read its private fields, so a detached one throws.
  const startConnectAccount = client.startConnectAccount?.bind(client)
  const handleBackchannelLogout = client.handleBackchannelLogout?.bind(client)
  const paths: RoutePaths = {
    login: requirePath("loginPath", options.loginPath ?? "/auth/login"),
    callback: callbackPathOf(options.callbackPath, redirectUri),
    logout: requirePath("logoutPath", options.logoutPath ?? "/auth/logout"),
    connect: optionalPath("connectPath", options.connectPath, "/auth/connect", startConnectAccount !== undefined),
    backchannelLogout: optionalPath(
      "backchannelLogoutPath",
      options.backchannelLogoutPath,
      "/auth/backchannel-logout",
      handleBackchannelLogout !== undefined
    ),
    allowLogoutGet: options.allowLogoutGet === true
  }
  requireDistinct(paths)
  const connections = connectionsOf(options.connections)
  const returnTo = requireReturnTo("returnTo", options.returnTo)
  const logoutReturnTo = requireReturnTo("logoutReturnTo", options.logoutReturnTo)

  const fail = async (error: unknown, request: Request, route: AuthRoute): Promise<Response> => {
    const status = statusOf(error)
    if (onError !== undefined) {
      try {
        const rendered = await onError(error, { request, route, status })
        if (rendered instanceof Response) return rendered
        if (rendered === undefined) return defaultErrorResponse(error, route, status)
        throw new TypeError("onError must return a Response or undefined")
      } catch (renderError) {
        return defaultErrorResponse(renderError, route, 500)
      }
    }
    return defaultErrorResponse(error, route, status)
  }

  const login = async (request: Request, url: URL, headers: Headers): Promise<Response> => {
    const target = safeReturnTo(url.searchParams.get("returnTo")) ?? returnTo
    const configuredParams = typeof authorizationParams === "function" ? authorizationParams(request) : authorizationParams
    const params = { ...invitationParams(url.searchParams), ...configuredParams }
    const authorizeUrl = await client.startInteractiveLogin(
      { appState: { returnTo: target }, ...(Object.keys(params).length > 0 ? { authorizationParams: params } : {}) },
      { request, headers }
    )
    return redirect(authorizeUrl.href, headers)
  }

  const connect = async (request: Request, url: URL, headers: Headers): Promise<Response> => {
    const connection = url.searchParams.get("connection")
    if (connection === null || connection === "") {
      throw new MissingRequiredArgumentError({ argument: "connection", message: "The connect route needs ?connection=<name>" })
    }
    const chosen = connections === undefined ? {} : connections.get(connection)
    if (chosen === undefined) {
      throw new InvalidArgumentError({ argument: "connection", message: "The connect route does not link this connection" })
    }
    const target = safeReturnTo(url.searchParams.get("returnTo")) ?? returnTo
    try {
      const connectUrl = await startConnectAccount!(
        { connection, appState: { returnTo: target }, ...chosen },
        { request, headers }
      )
      return redirect(connectUrl.href, headers)
    } catch (error) {
      if (!isMissingSession(error)) throw error
      // Not logged in: log in first, then come back to this very connect.
      const back = `${url.pathname}${url.search}`
      return redirect(`${paths.login}?${new URLSearchParams({ returnTo: back })}`, headers)
    }
  }

  const callback = async (request: Request, headers: Headers): Promise<Response> => {
    const result = await client.handleCallback(request.url, { request, headers })
    return redirect(returnToOf(result.appState) ?? returnTo, headers)
  }

  const logout = async (request: Request, url: URL, headers: Headers): Promise<Response> => {
    const refusal = logoutVerdict(request.method, request.headers, origin)
    if (refusal !== undefined) {
      console.warn(
        `auth0-effect: logout refused: ${refusal} request (Sec-Fetch-Site and Origin must name ${origin}; ` +
          "set baseUrl to the origin browsers use)"
      )
      return plain(403, "Forbidden: logout refused (not a same-origin request)")
    }
    const path = safeReturnTo(url.searchParams.get("returnTo")) ?? logoutReturnTo
    const logoutUrl = await client.logout({ returnTo: new URL(path, origin).href }, { request, headers })
    return redirect(logoutUrl.href, headers)
  }

  const methodNotAllowed = (allow: string): Response => plain(405, "Method Not Allowed", { allow })

  const handle: AuthHandler = async (request) => {
    let route: AuthRoute | undefined
    // Cookies the flow set (a consumed transaction's removal above all) go out even on failure.
    const headers = new Headers()
    try {
      if (!URL.canParse(request.url)) return undefined
      const url = new URL(request.url)
      const match = matchRoute(paths, url.pathname, request.method)
      if (match === undefined) return undefined
      if (match._tag === "MethodNotAllowed") return methodNotAllowed(match.allow)
      route = match.route
      switch (route) {
        case "login":
          return await login(request, url, headers)
        case "callback":
          return await callback(request, headers)
        case "logout":
          return await logout(request, url, headers)
        case "connect":
          return await connect(request, url, headers)
        case "backchannelLogout":
          return await backchannelLogout({ handleBackchannelLogout: handleBackchannelLogout! }, request)
      }
    } catch (error) {
      try {
        return route === undefined ? plain(500, `${REASONS[500]}`) : withCookies(await fail(error, request, route), headers)
      } catch {
        // Nothing a client sends may reject the handler: the last resort is a bare 500.
        return plain(500, `${REASONS[500]}`)
      }
    }
  }

  return { origin, paths, match: (pathname, method) => matchRoute(paths, pathname, method), methodNotAllowed, handle }
}

/**
 * Builds the handler for the login, callback, logout, connect and back-channel logout routes. Options are checked once, here.
 *
 * @throws {InvalidArgumentError} a path or `returnTo` option that is not a plain relative path, a
 *   `baseUrl` that is not http(s), a `callbackPath` that is not the path of `redirectUri`, or
 *   neither `baseUrl` nor `redirectUri` known
 * @example
 * const auth = createAuthHandler(auth0, { returnTo: "/profile" })
 * Bun.serve({ fetch: async (request) => (await auth(request)) ?? app(request) })
 */
export const createAuthHandler = (client: AuthRoutesClient, options: AuthHandlerOptions = {}): AuthHandler =>
  createAuthRouter(client, options).handle
