/**
 * The names of the cookies the SDK writes, in one place, so every store follows one rule.
 *
 * A cookie named with the `__Host-` prefix is accepted by the browser only when it is `Secure`,
 * has no `Domain` attribute and has `Path=/` (RFC 6265bis §4.1.3.2). No sibling subdomain
 * (`evil.example.com` next to `app.example.com`) can therefore plant a cookie under that name
 * for the app's host: the defence against cookie tossing. When the configuration allows it
 * (Secure, no Domain, Path `/`), the defaults use it; otherwise the unprefixed names remain, and
 * the stores fall back on refusing names seen twice (see `RequestCookies.parseCookieHeader`).
 *
 * Pure: no services, no I/O.
 *
 * @since 0.1.0
 */

/** The prefix that binds a cookie to the exact host (RFC 6265bis §4.1.3.2). */
export const HOST_PREFIX = "__Host-"

/** Where the SDK's cookies live: the attributes that decide whether `__Host-` is allowed. */
export interface CookieScope {
  readonly secure: boolean
  readonly domain?: string | undefined
  readonly path: string
}

/** Whether cookies with `scope` may carry the `__Host-` prefix: Secure, no Domain, Path `/` (RFC 6265bis §4.1.3.2). */
export const canUseHostPrefix = (scope: CookieScope): boolean =>
  scope.secure && scope.domain === undefined && scope.path === "/"

/** `__Host-a0_${base}` when the scope allows the prefix, else `__a0_${base}`. */
const sdkName = (scope: CookieScope, base: string): string =>
  canUseHostPrefix(scope) ? `${HOST_PREFIX}a0_${base}` : `__a0_${base}`

/** The default session cookie name: `__Host-a0_session` when the scope allows it, else `__a0_session`. */
export const defaultSessionName = (scope: CookieScope): string => sdkName(scope, "session")

/** The default prefix of transaction cookies: `__Host-a0_tx.` when the scope allows it, else `__a0_tx.`. */
export const defaultTransactionPrefix = (scope: CookieScope): string => sdkName(scope, "tx.")

/**
 * The cookie that binds memory-store transactions to one browser (login CSRF, RFC 9700 §4.7):
 * `__Host-a0_txkey` when the scope allows it, else `__a0_txkey`.
 */
export const transactionKeyName = (scope: CookieScope): string => sdkName(scope, "txkey")

/** The cookie that holds the transaction for `state`. */
export const transactionCookieName = (prefix: string, state: string): string => `${prefix}${state}`

/** The session cookie `name` or one of its chunks (`name.0` .. `name.49`, exact names only). */
export const isSessionCookie = (sessionName: string, name: string): boolean =>
  name === sessionName ||
  (name.startsWith(`${sessionName}.`) && /^(?:0|[1-9]\d?)$/.test(name.slice(sessionName.length + 1)) &&
    Number(name.slice(sessionName.length + 1)) < 50)

/** The names of one configuration's cookies. */
export interface CookieNaming {
  readonly session: string
  readonly transactionPrefix: string
  readonly transactionKey: string
}

/** Whether `name` is one of the cookies the SDK writes under `naming` (session, chunks, transactions, key). */
export const isSdkCookie = (naming: CookieNaming, name: string): boolean =>
  isSessionCookie(naming.session, name) || name.startsWith(naming.transactionPrefix) || name === naming.transactionKey
