/**
 * Connected Accounts: letting a logged-in user link third-party accounts (Google, GitHub, ...)
 * through Auth0's My Account API, so Token Vault can later hand out those providers' tokens.
 *
 * Every call uses a My Account access token obtained through `getAccessToken` (MRRT) with the
 * one scope it needs. `getAccessToken` merges the configured scopes for the My Account audience,
 * so configuring `authorizationParams.scope` as `{ "https://{domain}/me/": "create:me:connected_accounts
 * read:me:connected_accounts delete:me:connected_accounts", ... }` lets one token serve every call.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { withAccessToken } from "./AccessToken.js"
import { Auth0Config } from "./Auth0Config.js"
import * as CallbackUrl from "./CallbackUrl.js"
import * as Rules from "./ConnectedAccountsRules.js"
import {
  AuthorizationError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  MissingTransactionError
} from "./Errors.js"
import { completeLinkUser, completeUnlinkUser } from "./AccountLinking.js"
import { checkAppState, completeInteractiveLogin } from "./Login.js"
import { missingTransactionMessage } from "./internal/hints.js"
import * as MyAccountApi from "./MyAccountApi.js"
import * as Pkce from "./Pkce.js"
import * as Randomness from "./Randomness.js"
import { StateStore } from "./StateStore.js"
import { TransactionStore } from "./TransactionStore.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

export interface StartConnectAccountOptions {
  /** The connection to link, e.g. `google-oauth2`. */
  readonly connection: string
  /** Where the provider sends the user back; defaults to the configured `redirectUri`. */
  readonly redirectUri?: string | undefined
  /** Scopes asked of the provider; without them, the connection's configured scopes. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Anything JSON-serializable, handed back by `completeConnectAccount`. */
  readonly appState?: unknown
  /** Extra parameters for the provider's authorization request (e.g. `login_hint`). */
  readonly authorizationParams?: Rules.ConnectAuthorizationParams | undefined
}

/** A connected account, camelCase. */
export interface ConnectedAccount {
  readonly id: string
  readonly connection: string
  /** `offline` today: Auth0 keeps a refresh token for the provider. */
  readonly accessType: string
  readonly scopes: ReadonlyArray<string>
  /** ISO 8601. */
  readonly createdAt: string
  /** ISO 8601; absent when the account does not expire. */
  readonly expiresAt?: string | undefined
}

/** What `completeConnectAccount` returns: the new account and the `appState` given at the start. */
export interface CompletedConnectAccount extends ConnectedAccount {
  readonly appState: unknown
}

/** A connection enabled for Connected Accounts. */
export interface Connection {
  readonly name: string
  readonly strategy: string
  readonly scopes: ReadonlyArray<string>
}

export interface ConnectedAccountsPage {
  readonly accounts: ReadonlyArray<ConnectedAccount>
  /** Cursor of the next page; absent on the last. */
  readonly next?: string | undefined
}

export interface ConnectionsPage {
  readonly connections: ReadonlyArray<Connection>
  readonly next?: string | undefined
}

export interface ListConnectedAccountsOptions {
  /** Only accounts of this connection. */
  readonly connection?: string | undefined
  /** Page size, 1..20 (the API's default is 10). */
  readonly take?: number | undefined
  /** The `next` cursor of the previous page. */
  readonly from?: string | undefined
}

export interface ListConnectionsOptions {
  readonly take?: number | undefined
  readonly from?: string | undefined
}

/** What `handleCallback` did: a login, a connect, or an account link or unlink. */
export type CallbackResult =
  | { readonly _tag: "Login"; readonly appState: unknown }
  | ({ readonly _tag: "Connect" } & CompletedConnectAccount)
  | { readonly _tag: "Link" | "Unlink"; readonly appState: unknown; readonly connection: string }

const toAccount = (account: MyAccountApi.ConnectedAccount): ConnectedAccount => ({
  id: account.id,
  connection: account.connection,
  accessType: account.access_type,
  scopes: account.scopes ?? [],
  createdAt: account.created_at,
  ...(account.expires_at !== undefined ? { expiresAt: account.expires_at } : {})
})

const toConnection = (connection: MyAccountApi.Connection): Connection => ({
  name: connection.name,
  strategy: connection.strategy,
  scopes: connection.scopes ?? []
})

/**
 * Runs `call` with a My Account access token for `scope` (merged with the configured scopes for
 * the My Account audience); a 401 drops that token from the session and retries once with a fresh one.
 */
const withMyAccountToken = <A, R>(
  scope: string,
  call: (accessToken: MyAccountApi.Credential) => Effect.Effect<A, MyAccountApi.MyAccountError, R>
) =>
  Effect.flatMap(Auth0Config, (config) =>
    withAccessToken(
      { audience: config.myAccount.audience, scope },
      // The whole token, so a DPoP-bound one goes out with the DPoP scheme and a proof.
      (_, token) => call(token),
      // A fresh token cures an expired or revoked one, not a missing DPoP key or proof.
      (error) =>
        error._tag === "MyAccountApiError" && error.status === 401 &&
        (error.dpopError === undefined || error.dpopError === "invalid_token")
    ))

/**
 * Starts linking a third-party account: checks the arguments, asks the My Account API for a
 * connect ticket (with PKCE and a fresh `state`), stores a connect transaction keyed by that
 * state, and returns the URL to redirect the browser to.
 *
 * @throws InvalidArgumentError an argument Auth0 would refuse (named in `argument`); no request is made
 * @throws MissingRequiredArgumentError no redirect URI given or configured
 * @throws MissingSessionError the user is not logged in
 * @throws AccessTokenError no My Account token could be had (refresh token missing or refused)
 * @throws MyAccountApiError the API refused (status, validationErrors, retryAfter)
 * @example
 * const url = yield* ConnectedAccounts.startConnectAccount({ connection: "google-oauth2", appState: { returnTo: "/calendar" } })
 */
export const startConnectAccount = Telemetry.fn(Telemetry.SpanNames.connectStart)(function*(options: StartConnectAccountOptions) {
  const config = yield* Auth0Config
  yield* checkAppState(options.appState)
  const connection = yield* Rules.connection(options.connection)
  yield* Telemetry.annotate({ [Telemetry.Attributes.connection]: connection })
  const scopes = options.scopes === undefined ? undefined : yield* Rules.scopes(options.scopes)
  const authorizationParams = options.authorizationParams === undefined
    ? undefined
    : yield* Rules.authorizationParams(options.authorizationParams)
  const redirect = options.redirectUri ?? config.redirectUri
  if (redirect === undefined || redirect === "") {
    return yield* new MissingRequiredArgumentError({
      argument: "redirectUri",
      message: "A redirect URI is required: set redirectUri in the configuration or pass it to startConnectAccount"
    })
  }
  const redirectUri = yield* Rules.redirectUri(redirect)

  const { verifier, challenge } = yield* Pkce.make
  const state = yield* Randomness.makeState
  const response = yield* withMyAccountToken(MyAccountApi.SCOPE_CREATE, (accessToken) => MyAccountApi.connect(accessToken, {
    connection,
    redirect_uri: redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...(scopes !== undefined ? { scopes } : {}),
    ...(authorizationParams !== undefined && Object.keys(authorizationParams).length > 0
      ? { authorization_params: authorizationParams }
      : {})
  }))
  let url: URL
  try {
    url = new URL(response.connect_uri)
  } catch {
    return yield* new InvalidResponseError({
      status: 201,
      message: `Connect account answered with a connect_uri that is not a URL: ${response.connect_uri.slice(0, 120)}`
    })
  }
  url.searchParams.set("ticket", response.connect_params.ticket)

  yield* (yield* TransactionStore).set({
    kind: "connect",
    state,
    codeVerifier: verifier,
    authSession: response.auth_session,
    redirectUri,
    connection,
    ...(options.appState !== undefined ? { appState: options.appState } : {}),
    createdAt: yield* epochSeconds
  })
  return url
}, Telemetry.flow)

const CONNECT_PARAMS = ["state", "connect_code", "error", "error_description"] as const

/**
 * Completes linking from the callback URL: a provider `error` becomes {@link AuthorizationError};
 * otherwise the connect transaction for `state` is consumed (deleted whatever happens next) and
 * the My Account API completes the link with the stored PKCE verifier.
 *
 * @throws AuthorizationError the provider or Auth0 redirected back with `error` (e.g. the user denied)
 * @throws MissingRequiredArgumentError no `state` or no `connect_code` in the URL
 * @throws InvalidArgumentError the URL is malformed or repeats a parameter
 * @throws MissingTransactionError no connect transaction for this state (unknown, expired, used, or a login's)
 * @throws MyAccountApiError the API refused (e.g. 409 for a connect_code already used)
 * @example
 * const { id, connection, appState } = yield* ConnectedAccounts.completeConnectAccount(request.url)
 */
export const completeConnectAccount = Telemetry.fn(Telemetry.SpanNames.connectComplete)(function*(url: string | URL) {
  const transactions = yield* TransactionStore
  const callback = yield* CallbackUrl.parse(url, CONNECT_PARAMS)
  const state = callback.get("state")
  const authorizationError = CallbackUrl.providerError(callback, "Connecting the account")
  if (authorizationError !== undefined) {
    // The connect this error ends is over: drop its transaction (a login's is not ours to touch).
    if (state !== undefined) {
      const found = yield* transactions.get(state)
      if (Option.isSome(found) && found.value.kind === "connect") yield* transactions.delete(state)
    }
    return yield* authorizationError
  }
  if (state === undefined || state === "") {
    return yield* new MissingRequiredArgumentError({ argument: "state", message: "The callback URL has no state parameter" })
  }
  const connectCode = callback.get("connect_code")
  if (connectCode === undefined || connectCode === "") {
    return yield* new MissingRequiredArgumentError({
      argument: "connect_code",
      message: "The callback URL has no connect_code parameter"
    })
  }
  const found = yield* transactions.get(state)
  if (Option.isNone(found) || found.value.kind !== "connect") {
    return yield* new MissingTransactionError({ message: missingTransactionMessage("connect") })
  }
  const transaction = found.value
  // Single use: consumed before anything can fail, so a replayed callback finds nothing.
  yield* transactions.delete(state)

  const account = yield* withMyAccountToken(MyAccountApi.SCOPE_CREATE, (accessToken) =>
    MyAccountApi.complete(accessToken, {
      auth_session: transaction.authSession,
      connect_code: connectCode,
      redirect_uri: transaction.redirectUri,
      code_verifier: transaction.codeVerifier
    }))
  return { ...toAccount(account), appState: transaction.appState } satisfies CompletedConnectAccount
}, Telemetry.flow)

/**
 * One callback route for logins, connects and account links: `connect_code` completes a connect;
 * a `state` whose transaction is a link or an unlink completes that (`completeLinkUser` /
 * `completeUnlinkUser`); otherwise `code` completes a login, and an `error` goes to whichever
 * flow its `state` belongs to (a connect when the state is unknown).
 *
 * @throws every error of `completeInteractiveLogin`, `completeConnectAccount` and `completeLinkUser`
 * @example
 * const result = yield* ConnectedAccounts.handleCallback(request.url)
 * if (result._tag === "Connect") console.log(`linked ${result.connection}`)
 */
export const handleCallback = Telemetry.fn(Telemetry.SpanNames.callback)(function*(url: string | URL) {
  const callback = yield* CallbackUrl.parse(url, ["state", "code", "connect_code", "error", "error_description", "iss"])
  if (callback.has("connect_code")) {
    const account = yield* completeConnectAccount(url)
    return { _tag: "Connect", ...account } as CallbackResult
  }
  const state = callback.get("state")
  // The transaction says which flow this state started; a link's callback also carries a code.
  const found = state === undefined ? Option.none() : yield* (yield* TransactionStore).get(state)
  if (Option.isSome(found) && found.value.kind === "link") {
    const action = found.value.action
    const linked = action === "link" ? yield* completeLinkUser(url) : yield* completeUnlinkUser(url)
    return { _tag: action === "link" ? "Link" : "Unlink", ...linked } as CallbackResult
  }
  const isLogin = callback.has("code") || (callback.has("error") && Option.isSome(found) && found.value.kind === "login")
  if (isLogin) {
    const { appState } = yield* completeInteractiveLogin(url)
    return { _tag: "Login", appState } as CallbackResult
  }
  if (callback.has("error")) {
    const account = yield* completeConnectAccount(url)
    return { _tag: "Connect", ...account } as CallbackResult
  }
  return yield* new MissingRequiredArgumentError({
    argument: "code",
    message: "The callback URL has neither a code (login) nor a connect_code (connect)"
  })
}, Telemetry.flow)

const pageQuery = (options: { readonly take?: number | undefined; readonly from?: string | undefined }) =>
  Effect.gen(function*() {
    const take = options.take === undefined ? undefined : yield* Rules.take(options.take)
    return { take, from: options.from === "" ? undefined : options.from }
  })

/**
 * One page of the connections the user may connect accounts with (scope `read:me:connected_accounts`).
 *
 * @throws InvalidArgumentError `take` outside 1..20; no request is made
 * @example
 * const { connections, next } = yield* ConnectedAccounts.listConnectedAccountConnections({ take: 5 })
 */
export const listConnectedAccountConnections = Telemetry.fn(Telemetry.SpanNames.connectedAccountsConnections)(function*(
  options: ListConnectionsOptions = {}
) {
  const query = yield* pageQuery(options)
  const page = yield* withMyAccountToken(MyAccountApi.SCOPE_READ, (accessToken) => MyAccountApi.listConnections(accessToken, query))
  return {
    connections: page.connections.map(toConnection),
    ...(page.next !== undefined ? { next: page.next } : {})
  } satisfies ConnectionsPage
}, Telemetry.flow)

/**
 * One page of the user's connected accounts, optionally of one connection (scope `read:me:connected_accounts`).
 *
 * @throws InvalidArgumentError `take` outside 1..20 or a bad `connection`; no request is made
 * @example
 * const { accounts, next } = yield* ConnectedAccounts.listConnectedAccounts({ connection: "github", take: 20 })
 */
export const listConnectedAccounts = Telemetry.fn(Telemetry.SpanNames.connectedAccountsList)(function*(
  options: ListConnectedAccountsOptions = {}
) {
  const connection = options.connection === undefined ? undefined : yield* Rules.connection(options.connection)
  const query = yield* pageQuery(options)
  const page = yield* withMyAccountToken(
    MyAccountApi.SCOPE_READ,
    (accessToken) => MyAccountApi.listAccounts(accessToken, { ...query, connection })
  )
  return {
    accounts: page.accounts.map(toAccount),
    ...(page.next !== undefined ? { next: page.next } : {})
  } satisfies ConnectedAccountsPage
}, Telemetry.flow)

/**
 * Every connected account, page after page. A page is requested only when the stream needs it
 * (`Stream.take(1)` makes one request); each page takes the session's My Account token (so one
 * token serves the whole walk, and a 401 is retried once with a fresh one).
 *
 * @example
 * const all = yield* Stream.runCollect(ConnectedAccounts.streamConnectedAccounts({ take: 20 }))
 */
export const streamConnectedAccounts = (options: Omit<ListConnectedAccountsOptions, "from"> = {}) =>
  Stream.unwrap(Effect.gen(function*() {
    const connection = options.connection === undefined ? undefined : yield* Rules.connection(options.connection)
    const { take } = yield* pageQuery(options)
    return Stream.paginateEffect(undefined as string | undefined, (from) =>
      Effect.map(
        withMyAccountToken(MyAccountApi.SCOPE_READ, (accessToken) => MyAccountApi.listAccounts(accessToken, { connection, take, from })),
        (page) => [page.accounts.map(toAccount), Option.fromNullable(page.next)] as const
      )).pipe(Stream.flattenIterables)
  }))

/**
 * Every connection enabled for Connected Accounts, page after page, fetched as consumed.
 *
 * @example
 * const names = yield* Stream.runCollect(Stream.map(ConnectedAccounts.streamConnectedAccountConnections(), (c) => c.name))
 */
export const streamConnectedAccountConnections = (options: Omit<ListConnectionsOptions, "from"> = {}) =>
  Stream.unwrap(Effect.gen(function*() {
    const { take } = yield* pageQuery(options)
    return Stream.paginateEffect(undefined as string | undefined, (from) =>
      Effect.map(
        withMyAccountToken(MyAccountApi.SCOPE_READ, (accessToken) => MyAccountApi.listConnections(accessToken, { take, from })),
        (page) => [page.connections.map(toConnection), Option.fromNullable(page.next)] as const
      )).pipe(Stream.flattenIterables)
  }))

export interface DeleteConnectedAccountOptions {
  /** The account's `id` from `listConnectedAccounts`. */
  readonly connectedAccountId: string
}

/**
 * Unlinks a connected account (scope `delete:me:connected_accounts`), then drops every Token Vault
 * token cached in the session, so `getAccessTokenForConnection` never serves a token of the
 * deleted account. All of them, not only the account's connection: the API deletes by id and
 * answers 204 without a body, and finding the account's connection would cost a list request
 * and the `read:me:connected_accounts` scope; another connection's next call costs one exchange.
 *
 * @throws MissingRequiredArgumentError `connectedAccountId` is empty; no request is made
 * @throws MyAccountApiError e.g. 404 for an account that does not exist (or is not the user's)
 * @example
 * yield* ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: account.id })
 */
export const deleteConnectedAccount = Telemetry.fn(Telemetry.SpanNames.connectedAccountsDelete)(function*(
  options: DeleteConnectedAccountOptions
) {
  if (typeof options.connectedAccountId !== "string" || options.connectedAccountId === "") {
    return yield* new MissingRequiredArgumentError({
      argument: "connectedAccountId",
      message: "connectedAccountId is required"
    })
  }
  yield* withMyAccountToken(
    MyAccountApi.SCOPE_DELETE,
    (accessToken) => MyAccountApi.deleteAccount(accessToken, options.connectedAccountId)
  )
  // A deleted account's Token Vault tokens must never be served again. The delete names only an
  // account id, so every cached connection token goes (the others cost one exchange each).
  const store = yield* StateStore
  const session = yield* store.get
  if (Option.isSome(session) && session.value.connectionTokenSets.length > 0) {
    yield* store.set({ ...session.value, connectionTokenSets: [] })
  }
}, Telemetry.flow)
