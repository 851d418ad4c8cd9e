/**
 * Where to send the browser after login: only a path on this app, as the SDK's own
 * `safeReturnTo` decides (absolute URLs, `//host`, `/\host`, control characters and paths that
 * normalise to `//host` are refused); anything else becomes "/", so `/login?returnTo=...` cannot
 * be used as an open redirect.
 */
import { safeReturnTo as sdkSafeReturnTo } from "@auth0-effect/node"

export const safeReturnTo = (value: unknown): string =>
  (typeof value === "string" ? sdkSafeReturnTo(value) : undefined) ?? "/"
