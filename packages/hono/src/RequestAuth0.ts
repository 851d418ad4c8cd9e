/**
 * The SDK bound to one Hono request: every flow without its `storeOptions`, because the
 * middleware already knows the request and collects the cookies the flows set.
 *
 * @since 0.1.0
 */
import type { AccessToken, GetAccessTokenOptions, InvalidateAccessTokenOptions } from "@auth0-effect/core/AccessToken"
import type {
  CallbackResult,
  ConnectedAccountsPage,
  ConnectionsPage,
  DeleteConnectedAccountOptions,
  ListConnectedAccountsOptions,
  ListConnectionsOptions,
  StartConnectAccountOptions
} from "@auth0-effect/core/ConnectedAccounts"
import type { StartInteractiveLoginOptions } from "@auth0-effect/core/Login"
import type { LogoutOptions } from "@auth0-effect/core/Logout"
import type { BaseServerClient } from "@auth0-effect/core/ServerClient"
import type { Session, UserClaims } from "@auth0-effect/core/Session"
import type { ConnectionAccessToken, GetAccessTokenForConnectionOptions } from "@auth0-effect/core/TokenVault"
import type { WebStoreOptions } from "@auth0-effect/core/WebCookies"

/** Any Web-standard client: `ServerClient` from this package (or from @auth0-effect/bun, /deno). */
export type WebClient = BaseServerClient<WebStoreOptions>

/**
 * `c.var.auth0`: the flows of the request's client, bound to the request. Rejections are the
 * core's tagged errors (`instanceof Auth0Error`); thrown from a handler they reach `app.onError`.
 */
export interface RequestAuth0 {
  /** The client, for a flow not listed here: pass it {@link storeOptions}. */
  readonly client: WebClient
  /** This request and the headers whose cookies the middleware copies onto the response. */
  readonly storeOptions: WebStoreOptions
  /** The login route's path with `returnTo` (a same-origin path), for links and redirects. */
  readonly loginUrl: (returnTo?: string) => string
  readonly getUser: () => Promise<UserClaims | undefined>
  readonly getSession: () => Promise<Session | undefined>
  readonly requireUser: () => Promise<UserClaims>
  readonly requireSession: () => Promise<Session>
  readonly getAccessToken: (options?: GetAccessTokenOptions) => Promise<AccessToken>
  readonly invalidateAccessToken: (options: InvalidateAccessTokenOptions) => Promise<void>
  readonly startInteractiveLogin: <AppState = unknown>(options?: StartInteractiveLoginOptions<AppState>) => Promise<URL>
  readonly handleCallback: (url?: string | URL) => Promise<CallbackResult>
  readonly logout: (options?: LogoutOptions) => Promise<URL>
  readonly startConnectAccount: (options: StartConnectAccountOptions) => Promise<URL>
  readonly listConnectedAccounts: (options?: ListConnectedAccountsOptions) => Promise<ConnectedAccountsPage>
  readonly listConnectedAccountConnections: (options?: ListConnectionsOptions) => Promise<ConnectionsPage>
  readonly deleteConnectedAccount: (options: DeleteConnectedAccountOptions) => Promise<void>
  readonly getAccessTokenForConnection: (options: GetAccessTokenForConnectionOptions) => Promise<ConnectionAccessToken>
}

/** Binds `client` to one request; `loginPath` is the mounted login route's. */
export const bindRequest = (client: WebClient, storeOptions: WebStoreOptions, loginPath: string): RequestAuth0 => ({
  client,
  storeOptions,
  loginUrl: (returnTo) => returnTo === undefined ? loginPath : `${loginPath}?returnTo=${encodeURIComponent(returnTo)}`,
  getUser: () => client.getUser(storeOptions),
  getSession: () => client.getSession(storeOptions),
  requireUser: () => client.requireUser(storeOptions),
  requireSession: () => client.requireSession(storeOptions),
  getAccessToken: (options = {}) => client.getAccessToken(options, storeOptions),
  invalidateAccessToken: (options) => client.invalidateAccessToken(options, storeOptions),
  startInteractiveLogin: (options) => client.startInteractiveLogin(options, storeOptions),
  handleCallback: (url = storeOptions.request.url) => client.handleCallback(url, storeOptions),
  logout: (options) => client.logout(options, storeOptions),
  startConnectAccount: (options) => client.startConnectAccount(options, storeOptions),
  listConnectedAccounts: (options) => client.listConnectedAccounts(options, storeOptions),
  listConnectedAccountConnections: (options) => client.listConnectedAccountConnections(options, storeOptions),
  deleteConnectedAccount: (options) => client.deleteConnectedAccount(options, storeOptions),
  getAccessTokenForConnection: (options) => client.getAccessTokenForConnection(options, storeOptions)
})
