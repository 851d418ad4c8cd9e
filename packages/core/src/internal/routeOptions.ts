/**
 * The checks of the auth routes' options, made once when the routes are built: plain paths, safe
 * return paths, the app's origin from configuration only, and the callback path agreeing with
 * the redirect URI. Used by `WebRoutes`.
 *
 * @since 0.1.0
 */
import type { StartConnectAccountOptions } from "../ConnectedAccounts.js"
import { InvalidArgumentError } from "../Errors.js"
import { type RoutePaths, safeReturnTo } from "../WebRoutesRules.js"

/** What the connect route asks the provider for, for one connection. */
export interface ConnectRouteConnection {
  /** Scopes asked of the provider; without them, the connection's configured scopes. */
  readonly scopes?: StartConnectAccountOptions["scopes"]
  /** Extra parameters for the provider's authorization request (e.g. `access_type: "offline"`). */
  readonly authorizationParams?: StartConnectAccountOptions["authorizationParams"]
}

export const requirePath = (name: string, value: string): string => {
  if (!value.startsWith("/") || safeReturnTo(value) !== value || value.includes("?") || value.includes("#")) {
    throw new InvalidArgumentError({ argument: name, message: `${name} must be a path like "/auth/login"` })
  }
  return value
}

/** A route that may be turned off (`false`), or is off because the client lacks its method. */
export const optionalPath = (name: string, value: string | false | undefined, fallback: string, supported: boolean) => {
  if (value === false) return undefined
  if (!supported) {
    if (value === undefined) return undefined
    throw new InvalidArgumentError({ argument: name, message: `${name} is set, but the client has no method for that route` })
  }
  return requirePath(name, value ?? fallback)
}

/** Two routes on one path would leave one unreachable. */
export const requireDistinct = (paths: RoutePaths): void => {
  const seen = new Set<string>()
  for (const [name, path] of Object.entries(paths)) {
    if (typeof path !== "string") continue
    if (seen.has(path)) {
      throw new InvalidArgumentError({ argument: `${name}Path`, message: `${name}Path "${path}" is also another route's path` })
    }
    seen.add(path)
  }
}

/** The per-connection options as a Map, so a connection named `__proto__` or `constructor` is not found by accident. */
export const connectionsOf = (
  value: Readonly<Record<string, ConnectRouteConnection>> | undefined
): ReadonlyMap<string, ConnectRouteConnection> | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "object" || value === null) {
    throw new InvalidArgumentError({ argument: "connections", message: "connections must be an object keyed by connection name" })
  }
  return new Map(Object.entries(value))
}

export const requireReturnTo = (name: string, value: string | undefined): string => {
  const path = safeReturnTo(value ?? "/")
  if (path === undefined) {
    throw new InvalidArgumentError({ argument: name, message: `${name} must be a relative path starting with one "/"` })
  }
  return path
}

export const httpUrl = (name: string, value: string): URL => {
  const parsed = URL.canParse(value) ? new URL(value) : undefined
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new InvalidArgumentError({ argument: name, message: `${name} must be an absolute http(s) URL` })
  }
  return parsed
}

/**
 * The app's origin, from configuration only: `baseUrl`, else the configured redirect URI's.
 * Taking it from the request would let a client pick the logout return URL (a `Host` header or a
 * `//evil.example/auth/logout` target) and the origin the logout check compares against.
 */
export const appOrigin = (baseUrl: string | undefined, redirectUri: URL | undefined): string => {
  if (baseUrl !== undefined) return httpUrl("baseUrl", baseUrl).origin
  if (redirectUri !== undefined) return redirectUri.origin
  throw new InvalidArgumentError({
    argument: "baseUrl",
    message: "The auth routes need the app's origin: set baseUrl in their options, or redirectUri in the client's configuration"
  })
}

/** The callback path: the path of the redirect URI, which an explicit `callbackPath` must equal. */
export const callbackPathOf = (option: string | undefined, redirectUri: URL | undefined): string => {
  if (redirectUri === undefined) return requirePath("callbackPath", option ?? "/auth/callback")
  const path = redirectUri.pathname
  if (option !== undefined && requirePath("callbackPath", option) !== path) {
    throw new InvalidArgumentError({
      argument: "callbackPath",
      message: `callbackPath "${option}" is not the path of redirectUri "${redirectUri.origin}${path}": ` +
        `the tenant sends the callback to "${path}". Make them equal`
    })
  }
  return requirePath("callbackPath (the path of redirectUri)", path)
}
