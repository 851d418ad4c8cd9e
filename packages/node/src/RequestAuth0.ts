/**
 * The facade bound to one request: `req.auth0.getUser()` instead of `auth0.getUser({ req, res })`.
 * What the framework packages (Express, Fastify) put on their request objects.
 *
 * @since 0.1.0
 */
import type { AccessToken, GetAccessTokenOptions } from "@auth0-effect/core/AccessToken"
import type { NodeStoreOptions } from "./NodeCookies.js"
import type { ServerClient } from "./ServerClient.js"

type C = ServerClient

/**
 * The SDK for one request: each facade method with this request's `{ req, res }` already given.
 * `client` is the whole facade, for what is not bound here.
 */
export interface RequestAuth0 {
  /** The client these methods call. */
  readonly client: ServerClient
  /** See `ServerClient.getUser`. */
  readonly getUser: () => ReturnType<C["getUser"]>
  /** See `ServerClient.getSession`. */
  readonly getSession: () => ReturnType<C["getSession"]>
  /** See `ServerClient.requireSession`; rejects with `MissingSessionError` when not logged in. */
  readonly requireSession: () => ReturnType<C["requireSession"]>
  /** See `ServerClient.requireUser`; rejects with `MissingSessionError` when not logged in. */
  readonly requireUser: () => ReturnType<C["requireUser"]>
  /** See `ServerClient.getAccessToken`: the default audience without options. */
  readonly getAccessToken: (options?: GetAccessTokenOptions) => Promise<AccessToken>
  /** See `ServerClient.invalidateAccessToken`. */
  readonly invalidateAccessToken: (options: Parameters<C["invalidateAccessToken"]>[0]) => Promise<void>
  /** See `ServerClient.startInteractiveLogin`. */
  readonly startInteractiveLogin: (options?: Parameters<C["startInteractiveLogin"]>[0]) => Promise<URL>
  /** See `ServerClient.handleCallback`: completes a login or a connect. */
  readonly handleCallback: (url: string | URL) => ReturnType<C["handleCallback"]>
  /** See `ServerClient.logout`. */
  readonly logout: (options?: Parameters<C["logout"]>[0]) => Promise<URL>
  /** See `ServerClient.startConnectAccount`. */
  readonly startConnectAccount: (options: Parameters<C["startConnectAccount"]>[0]) => Promise<URL>
  /** See `ServerClient.listConnectedAccounts`. */
  readonly listConnectedAccounts: (options?: Parameters<C["listConnectedAccounts"]>[0]) => ReturnType<C["listConnectedAccounts"]>
  /** See `ServerClient.listConnectedAccountConnections`. */
  readonly listConnectedAccountConnections: (
    options?: Parameters<C["listConnectedAccountConnections"]>[0]
  ) => ReturnType<C["listConnectedAccountConnections"]>
  /** See `ServerClient.deleteConnectedAccount`. */
  readonly deleteConnectedAccount: (options: Parameters<C["deleteConnectedAccount"]>[0]) => Promise<void>
  /** See `ServerClient.getAccessTokenForConnection` (Token Vault). */
  readonly getAccessTokenForConnection: (
    options: Parameters<C["getAccessTokenForConnection"]>[0]
  ) => ReturnType<C["getAccessTokenForConnection"]>
}

/** The facade bound to `{ req, res }`. */
export const bindRequest = (client: ServerClient, storeOptions: NodeStoreOptions): RequestAuth0 => ({
  client,
  getUser: () => client.getUser(storeOptions),
  getSession: () => client.getSession(storeOptions),
  requireSession: () => client.requireSession(storeOptions),
  requireUser: () => client.requireUser(storeOptions),
  getAccessToken: (options) => client.getAccessToken(options ?? {}, storeOptions),
  invalidateAccessToken: (options) => client.invalidateAccessToken(options, storeOptions),
  startInteractiveLogin: (options) => client.startInteractiveLogin(options, storeOptions),
  handleCallback: (url) => client.handleCallback(url, storeOptions),
  logout: (options) => client.logout(options, storeOptions),
  startConnectAccount: (options) => client.startConnectAccount(options, storeOptions),
  listConnectedAccounts: (options) => client.listConnectedAccounts(options, storeOptions),
  listConnectedAccountConnections: (options) => client.listConnectedAccountConnections(options, storeOptions),
  deleteConnectedAccount: (options) => client.deleteConnectedAccount(options, storeOptions),
  getAccessTokenForConnection: (options) => client.getAccessTokenForConnection(options, storeOptions)
})
