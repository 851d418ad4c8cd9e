/**
 * The Promise facade: every flow as an async method with `(options, storeOptions)`, run through
 * one ManagedRuntime. Rejections are the original tagged errors, so `instanceof Auth0Error`
 * (or a subclass) works. Runtime adapters (Node, Bun, Deno) supply how a request's cookies are
 * read and the response's cookies written.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as AccessTokenFlow from "./AccessToken.js"
import { Auth0Config, type Auth0Input, importKey, resolve } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import * as BackchannelLogoutFlow from "./BackchannelLogout.js"
import * as CibaFlow from "./Ciba.js"
import * as ConnectedAccountsFlow from "./ConnectedAccounts.js"
import { type ConfigurationError, InvalidArgumentError, type MissingSessionError, type StoreError } from "./Errors.js"
import * as LoginFlow from "./Login.js"
import * as LogoutFlow from "./Logout.js"
import { coordinatorLayer } from "./Auth0.js"
import type { RefreshCoordinator } from "./RefreshCoordinator.js"
import { RequestCoalescer } from "./RequestCoalescer.js"
import type { SessionBackend } from "./SessionBackend.js"
import { type CookieJar, makeRequestJar, RequestCookies } from "./RequestCookies.js"
import type { Session, UserClaims } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as TokenExchangeFlow from "./TokenExchange.js"
import * as TokenVaultFlow from "./TokenVault.js"
import { TransactionStore } from "./TransactionStore.js"
import * as UserSessionFlow from "./UserSession.js"

/** The options as apps write them (the encoded side of `Auth0Options`). */
export type Auth0ClientOptions = Auth0Input

/** The services every facade call can use. */
export type FacadeServices =
  | Auth0Config
  | AuthorizationServer
  | RequestCoalescer
  | RefreshCoordinator
  | HttpClient.HttpClient
  | StateStore
  | TransactionStore

export interface ServerClientOptions extends Auth0ClientOptions {
  /** Session store; default: stateless encrypted cookies (`StateStore.cookie`). */
  readonly sessionStore?: Layer.Layer<StateStore, StoreError | ConfigurationError, Auth0Config> | undefined
  /** Transaction store; default: one encrypted cookie per transaction (`TransactionStore.cookie`). */
  readonly transactionStore?: Layer.Layer<TransactionStore, StoreError | ConfigurationError, Auth0Config> | undefined
  /** HTTP client; default: the platform's `fetch`. */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
  /**
   * A backend (e.g. `RedisSessionBackend.layer(...)`) that every refresh coordinates through
   * (a lock per refresh token and the rotated-token ledger), for cookie sessions on several
   * instances. Not needed with a stateful session store: its backend is used.
   */
  readonly coordinationBackend?: Layer.Layer<SessionBackend, StoreError | ConfigurationError> | undefined
}

/** How a runtime reads a request's cookies and writes the response's. */
export interface CookieAdapter<StoreOptions> {
  /** The jar of this request (the same jar for every call on the same request). */
  readonly jar: (storeOptions: StoreOptions) => CookieJar
  /** Writes the cookies set so far to the response. */
  readonly commit: (storeOptions: StoreOptions) => void
  /**
   * What is wrong with `storeOptions` (a missing `req`, options passed where storeOptions go),
   * as a message saying what to pass; `undefined` when they are usable. Checked before every call.
   */
  readonly storeOptionsProblem?: ((storeOptions: unknown) => string | undefined) | undefined
}

/** What an argument is, for a message, without its contents: `undefined`, `a string`, `an object with keys audience, scope`. */
export const describeArgument = (value: unknown): string => {
  if (value === null || value === undefined) return String(value)
  if (typeof value !== "object") return `a ${typeof value}`
  const keys = Object.keys(value)
  return keys.length === 0 ? "an empty object" : `an object with keys ${keys.slice(0, 8).join(", ")}`
}

/** `Symbol.asyncDispose` where the runtime has it (Node 20.4+, Bun, Deno), else the name TypeScript's `await using` falls back to. */
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ??
  (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose)

type BuildError = StoreError | ConfigurationError

/**
 * The facade, generic in what identifies a request (`{ req, res }` on Node, `{ request,
 * headers }` on Web-standard runtimes). Construction validates the configuration and throws a
 * `ConfigurationError` naming the bad field.
 */
export class BaseServerClient<StoreOptions> implements AsyncDisposable {
  readonly #layer: Layer.Layer<FacadeServices, BuildError>
  /** The runtime; replaced by a fresh one when its build failed (Redis down at first use). */
  #managed: ManagedRuntime.ManagedRuntime<FacadeServices, BuildError>
  /** The built runtime once a build succeeded: every later call runs on it directly. */
  #built: Runtime.Runtime<FacadeServices> | undefined
  #disposed = false
  readonly #adapter: CookieAdapter<StoreOptions>
  /** The configured `redirectUri` (resolved), for routes that must agree with it; `undefined` when unset. */
  readonly redirectUri: string | undefined

  constructor(options: ServerClientOptions, adapter: CookieAdapter<StoreOptions>) {
    const { sessionStore, transactionStore, httpClient, coordinationBackend, ...input } = options
    // Synchronous on purpose: every problem throws here, a malformed signing key included. The
    // key's WebCrypto import is async, so it runs once when the runtime is first built.
    const exit = Effect.runSyncExit(resolve(input))
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
    this.redirectUri = exit.value.redirectUri
    const config = Layer.effect(Auth0Config, importKey(exit.value))
    const http = httpClient ?? FetchHttpClient.layer
    this.#layer = Layer.mergeAll(
      AuthorizationServer.layer,
      RequestCoalescer.layer,
      coordinatorLayer({ coordination: coordinationBackend }),
      sessionStore ?? StateStore.cookie,
      transactionStore ?? TransactionStore.cookie
    ).pipe(Layer.provideMerge(Layer.merge(config, http)))
    this.#managed = ManagedRuntime.make(this.#layer)
    this.#adapter = adapter
  }

  /**
   * The built runtime. A ManagedRuntime keeps a failed build for ever, so a store that was down
   * at the first call (Redis) would fail every call until a restart: a failed build is
   * disposed and replaced, and the next call builds again. A successful one is kept.
   */
  #runtime(): Promise<Exit.Exit<Runtime.Runtime<FacadeServices>, BuildError>> {
    const managed = this.#managed
    return Effect.runPromiseExit(managed.runtimeEffect).then((exit) => {
      if (this.#managed !== managed || this.#disposed) return exit
      if (Exit.isSuccess(exit)) {
        this.#built = exit.value
      } else {
        this.#managed = ManagedRuntime.make(this.#layer)
        void managed.dispose()
      }
      return exit
    })
  }

  /**
   * Runs any Effect program needing the SDK's services for one request; its cookies are written
   * to the response, even when the program fails. Rejects with the original error.
   */
  run<A, E>(
    effect: Effect.Effect<A, E, FacadeServices | RequestCookies>,
    storeOptions: StoreOptions
  ): Promise<A> {
    const problem = this.#adapter.storeOptionsProblem?.(storeOptions)
    if (problem !== undefined) return Promise.reject(new InvalidArgumentError({ argument: "storeOptions", message: problem }))
    let jar: CookieJar
    try {
      jar = this.#adapter.jar(storeOptions)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#settle(Effect.provideService(effect, RequestCookies, jar), () => this.#adapter.commit(storeOptions))
  }

  /** Runs `effect`, then `after` (success or not); rejects with the original error, not a FiberFailure. */
  #settle<A, E>(effect: Effect.Effect<A, E, FacadeServices>, after?: () => void): Promise<A> {
    if (this.#disposed) {
      return Promise.reject(new InvalidArgumentError({ argument: "this", message: "This ServerClient was disposed: create a new one" }))
    }
    const built = this.#built
    const exit: Promise<Exit.Exit<A, E | BuildError>> = built !== undefined
      ? Runtime.runPromiseExit(built)(effect)
      : this.#runtime().then((runtime): Promise<Exit.Exit<A, E | BuildError>> | Exit.Exit<A, E | BuildError> =>
        Exit.isSuccess(runtime) ? Runtime.runPromiseExit(runtime.value)(effect) : Exit.failCause(runtime.cause)
      )
    return exit.then((exit) => {
      after?.()
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  }

  /**
   * Starts an interactive login; resolves with the URL to redirect the browser to.
   *
   * @throws {MissingRequiredArgumentError} no redirect URI configured or given
   * @throws {ConfigurationError} PAR requested but the tenant has no PAR endpoint
   * @example
   * const url = await auth0.startInteractiveLogin({ appState: { returnTo: "/profile" } }, storeOptions)
   */
  startInteractiveLogin<AppState = unknown>(
    options: LoginFlow.StartInteractiveLoginOptions<AppState> | undefined,
    storeOptions: StoreOptions
  ): Promise<URL> {
    return this.run(LoginFlow.startInteractiveLogin(options), storeOptions)
  }

  /**
   * Completes a login from the callback URL and stores the session.
   *
   * @throws {AuthorizationError} the provider redirected back with `error`
   * @throws {MissingTransactionError} unknown, expired or replayed `state`
   * @throws {IdTokenValidationError} the ID token broke a rule of OIDC Core 3.1.3.7
   * @throws {TokenEndpointError} the code exchange was refused
   * @example
   * const { appState } = await auth0.completeInteractiveLogin<{ returnTo: string }>(`http://localhost:3000${req.url}`, storeOptions)
   */
  completeInteractiveLogin<AppState = unknown>(
    url: string | URL,
    storeOptions: StoreOptions
  ): Promise<{ readonly appState: AppState | undefined }> {
    // The type is the app's word, as in the reference SDK: appState is what it passed at the start.
    return this.run(LoginFlow.completeInteractiveLogin(url), storeOptions) as Promise<{ readonly appState: AppState | undefined }>
  }

  /**
   * The logged-in user's claims, or `undefined`.
   *
   * @example
   * const user = await auth0.getUser(storeOptions)
   */
  getUser(storeOptions: StoreOptions): Promise<UserClaims | undefined> {
    return this.run(Effect.map(UserSessionFlow.getUser, Option.getOrUndefined), storeOptions)
  }

  /**
   * The session (user, tokens) without internal fields, or `undefined`.
   *
   * @example
   * const session = await auth0.getSession(storeOptions)
   */
  getSession(storeOptions: StoreOptions): Promise<Session | undefined> {
    return this.run(Effect.map(UserSessionFlow.getSession, Option.getOrUndefined), storeOptions)
  }

  /**
   * The session, or a rejection with {@link MissingSessionError} when the user is not logged in:
   * for routes that need a user (answer 401 or redirect to login on the error).
   *
   * @throws {MissingSessionError} not logged in
   * @example
   * const session = await auth0.requireSession(storeOptions)
   */
  requireSession(storeOptions: StoreOptions): Promise<Session> {
    return this.run(UserSessionFlow.requirePublicSession, storeOptions)
  }

  /**
   * The logged-in user's claims, or a rejection with {@link MissingSessionError}.
   *
   * @throws {MissingSessionError} not logged in
   * @example
   * const user = await auth0.requireUser(storeOptions)
   */
  requireUser(storeOptions: StoreOptions): Promise<UserClaims> {
    return this.run(UserSessionFlow.requireUser, storeOptions)
  }

  /**
   * An access token for an API (MRRT): from the session when fresh and sufficient, else refreshed.
   *
   * @throws {MissingSessionError} not logged in
   * @throws {AccessTokenError} no refresh token, the refresh was refused, a token for another audience, or a refreshed ID token for another user (`subject_mismatch`)
   * @throws {StoreError} the session store failed, or the refresh lock could not be had in time
   * @example
   * const { accessToken } = await auth0.getAccessToken({ audience: "https://api.example.com", scope: "read:items" }, storeOptions)
   */
  getAccessToken(storeOptions: StoreOptions): Promise<AccessTokenFlow.AccessToken>
  getAccessToken(options: AccessTokenFlow.GetAccessTokenOptions, storeOptions: StoreOptions): Promise<AccessTokenFlow.AccessToken>
  getAccessToken(...args: [StoreOptions] | [AccessTokenFlow.GetAccessTokenOptions, StoreOptions]): Promise<AccessTokenFlow.AccessToken> {
    const [options, storeOptions] = args.length === 2 ? args : [{}, args[0]]
    return this.run(AccessTokenFlow.getAccessToken(options), storeOptions)
  }

  /**
   * Drops stored access tokens for an API after it rejected one (a 401 before `expiresAt`:
   * revoked, or expired early), so the next `getAccessToken` gets a fresh one. Without
   * `accessToken`, every stored token for the audience goes. Without a session it does nothing.
   *
   * @throws {StoreError} the session store failed
   * @example
   * const response = await fetch(api, { headers: { authorization: `Bearer ${accessToken}` } })
   * if (response.status === 401) await auth0.invalidateAccessToken({ audience: "https://api.example.com", accessToken }, storeOptions)
   */
  invalidateAccessToken(options: AccessTokenFlow.InvalidateAccessTokenOptions, storeOptions: StoreOptions): Promise<void> {
    return this.run(AccessTokenFlow.invalidateAccessToken(options), storeOptions)
  }

  /**
   * Ends the session; resolves with the tenant's logout URL to redirect to. A session store
   * failure (Redis down) does not reject: the cookie is cleared, the URL returned, and the
   * `StoreError` logged and passed to `options.onStoreError`.
   *
   * @throws {InvalidArgumentError} returnTo is not an absolute http(s) URL
   * @example
   * const url = await auth0.logout({ returnTo: "http://localhost:3000" }, storeOptions)
   */
  logout(options: LogoutFlow.LogoutOptions | undefined, storeOptions: StoreOptions): Promise<URL> {
    return this.run(LogoutFlow.logout(options), storeOptions)
  }

  /**
   * Validates a back-channel logout token and deletes the sessions it names (stateful stores only).
   *
   * @throws {BackchannelLogoutError} invalid token, a token seen before (replay), or a store that cannot do it
   * @throws {StoreError} the session backend is down (nothing remembered: the tenant may retry)
   * @example
   * await auth0.handleBackchannelLogout(logoutToken)
   */
  handleBackchannelLogout(logoutToken: string): Promise<number> {
    return this.#settle(BackchannelLogoutFlow.handleBackchannelLogout(logoutToken))
  }

  /**
   * Starts linking a third-party account (My Account API); resolves with the URL to redirect to.
   *
   * @throws {InvalidArgumentError} an argument Auth0 would refuse (no request is made)
   * @throws {MissingSessionError} not logged in
   * @throws {MyAccountApiError} the My Account API refused (status, validationErrors, retryAfter)
   * @example
   * const url = await auth0.startConnectAccount({ connection: "google-oauth2", scopes: ["https://www.googleapis.com/auth/calendar.readonly"] }, storeOptions)
   */
  startConnectAccount(options: ConnectedAccountsFlow.StartConnectAccountOptions, storeOptions: StoreOptions): Promise<URL> {
    return this.run(ConnectedAccountsFlow.startConnectAccount(options), storeOptions)
  }

  /**
   * Completes linking from the callback URL (`connect_code` and `state`).
   *
   * @throws {AuthorizationError} the provider redirected back with `error`
   * @throws {MissingTransactionError} unknown, expired or replayed `state`
   * @throws {MyAccountApiError} the My Account API refused (e.g. 409 for a reused connect_code)
   * @example
   * const account = await auth0.completeConnectAccount(`http://localhost:3000${req.url}`, storeOptions)
   */
  completeConnectAccount(url: string | URL, storeOptions: StoreOptions): Promise<ConnectedAccountsFlow.CompletedConnectAccount> {
    return this.run(ConnectedAccountsFlow.completeConnectAccount(url), storeOptions)
  }

  /**
   * One callback URL for login and connect: completes whichever the URL carries.
   *
   * @example
   * const result = await auth0.handleCallback(url, storeOptions)
   * if (result._tag === "Connect") console.log(result.connection)
   */
  handleCallback(url: string | URL, storeOptions: StoreOptions): Promise<ConnectedAccountsFlow.CallbackResult> {
    return this.run(ConnectedAccountsFlow.handleCallback(url), storeOptions)
  }

  /**
   * One page of the user's connected accounts.
   *
   * @throws {InvalidArgumentError} take is not an integer 1..20
   * @example
   * const { accounts, next } = await auth0.listConnectedAccounts({ connection: "github", take: 20 }, storeOptions)
   */
  listConnectedAccounts(
    options: ConnectedAccountsFlow.ListConnectedAccountsOptions | undefined,
    storeOptions: StoreOptions
  ): Promise<ConnectedAccountsFlow.ConnectedAccountsPage> {
    return this.run(ConnectedAccountsFlow.listConnectedAccounts(options), storeOptions)
  }

  /**
   * One page of the connections the user can link.
   *
   * @example
   * const { connections } = await auth0.listConnectedAccountConnections({}, storeOptions)
   */
  listConnectedAccountConnections(
    options: ConnectedAccountsFlow.ListConnectionsOptions | undefined,
    storeOptions: StoreOptions
  ): Promise<ConnectedAccountsFlow.ConnectionsPage> {
    return this.run(ConnectedAccountsFlow.listConnectedAccountConnections(options), storeOptions)
  }

  /**
   * Unlinks a connected account.
   *
   * @throws {MissingRequiredArgumentError} empty connectedAccountId
   * @example
   * await auth0.deleteConnectedAccount({ connectedAccountId: account.id }, storeOptions)
   */
  deleteConnectedAccount(options: ConnectedAccountsFlow.DeleteConnectedAccountOptions, storeOptions: StoreOptions): Promise<void> {
    return this.run(ConnectedAccountsFlow.deleteConnectedAccount(options), storeOptions)
  }

  /**
   * A third-party provider's access token from Token Vault, cached in the session until it expires.
   *
   * @throws {AccessTokenForConnectionError} Auth0 refused the exchange (`error`, `errorDescription`)
   * @example
   * const { accessToken } = await auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, storeOptions)
   */
  getAccessTokenForConnection(
    options: TokenVaultFlow.GetAccessTokenForConnectionOptions,
    storeOptions: StoreOptions
  ): Promise<TokenVaultFlow.ConnectionAccessToken> {
    return this.run(TokenVaultFlow.getAccessTokenForConnection(options), storeOptions)
  }

  // CIBA
  /**
   * Logs a user in through their device (CIBA): starts a backchannel request and polls until they
   * approve, reject or let it expire. Needs no cookie session: the tokens are returned.
   *
   * @throws {BackchannelAuthenticationError} the user rejected it (`reason: "denied"`) or it expired (`"expired"`)
   * @throws {TokenEndpointError} any other answer of the tenant
   * @throws {MissingRequiredArgumentError} no `loginHint.sub` or `bindingMessage`
   * @example
   * const tokens = await auth0.loginBackchannel({ loginHint: { sub: "auth0|123" }, bindingMessage: "Approve order 42" })
   */
  loginBackchannel(options: CibaFlow.LoginBackchannelOptions): Promise<CibaFlow.BackchannelTokens> {
    return this.#settle(CibaFlow.loginBackchannel(options))
  }

  /**
   * Starts a backchannel request and returns at once with what a later poll needs (job queues).
   *
   * @throws {DiscoveryError} the tenant has no backchannel_authentication_endpoint
   * @example
   * const { authReqId, interval, expiresAt } = await auth0.initiateBackchannelAuthentication({ loginHint: { sub }, bindingMessage: "Job 7" })
   */
  initiateBackchannelAuthentication(options: CibaFlow.LoginBackchannelOptions): Promise<CibaFlow.BackchannelAuthenticationRequest> {
    return this.#settle(CibaFlow.initiateBackchannelAuthentication(options))
  }

  /**
   * Polls a started backchannel request once: `{ status: "pending", interval }` or `{ status: "complete", tokens }`.
   *
   * @throws {BackchannelAuthenticationError} the user rejected it or it expired
   * @example
   * const result = await auth0.backchannelAuthenticationGrant({ authReqId, interval })
   */
  backchannelAuthenticationGrant(options: CibaFlow.BackchannelAuthenticationGrantOptions): Promise<CibaFlow.BackchannelPollResult> {
    return this.#settle(CibaFlow.backchannelAuthenticationGrant(options))
  }

  /**
   * Polls a started backchannel request until the user answers or it expires.
   *
   * @throws {BackchannelAuthenticationError} the user rejected it or it expired
   * @example
   * const tokens = await auth0.awaitBackchannelAuthentication({ authReqId, interval, expiresAt })
   */
  awaitBackchannelAuthentication(options: CibaFlow.AwaitBackchannelAuthenticationOptions): Promise<CibaFlow.BackchannelTokens> {
    return this.#settle(CibaFlow.awaitBackchannelAuthentication(options))
  }

  // Token exchange
  /**
   * Custom Token Exchange: trades a token of yours for Auth0 tokens; the session is not touched.
   *
   * @throws {InvalidArgumentError} `subjectTokenType` is not a URI in your namespace (reserved: urn:ietf, urn:auth0, urn:okta, auth0.com, okta.com)
   * @throws {TokenEndpointError} the tenant (its Action) refused the exchange
   * @example
   * const tokens = await auth0.customTokenExchange({ subjectToken, subjectTokenType: "urn:acme:legacy-token" })
   */
  customTokenExchange(options: TokenExchangeFlow.CustomTokenExchangeOptions): Promise<TokenExchangeFlow.TokenExchangeResult> {
    return this.#settle(TokenExchangeFlow.customTokenExchange(options))
  }

  /**
   * Custom Token Exchange stored as the session, as a login would (ID token validated).
   *
   * @throws {InvalidArgumentError} `subjectTokenType` is not a URI in your namespace
   * @throws {TokenEndpointError} the tenant refused the exchange (an existing session is kept)
   * @example
   * const { user } = await auth0.loginWithCustomTokenExchange({ subjectToken, subjectTokenType: "urn:acme:legacy-token" }, storeOptions)
   */
  loginWithCustomTokenExchange(
    options: TokenExchangeFlow.CustomTokenExchangeOptions,
    storeOptions: StoreOptions
  ): Promise<{ readonly user: UserClaims }> {
    return this.run(TokenExchangeFlow.loginWithCustomTokenExchange(options), storeOptions)
  }

  /**
   * Releases the runtime: timers and the stores' connections (a Redis client is quit). A script
   * using the Redis store does not exit until this is called. Later calls reject.
   * `await using auth0 = new ServerClient(...)` calls it at the end of the block.
   */
  dispose(): Promise<void> {
    this.#disposed = true
    this.#built = undefined
    return this.#managed.dispose()
  }

  /** {@link dispose}, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.dispose()
  }
}

/** Keeps one value per request object, created on first use. */
const perRequest = <K extends object, V>(make: (key: K) => V) => {
  const cache = new WeakMap<K, V>()
  return (key: K): V => {
    let value = cache.get(key)
    if (value === undefined) {
      value = make(key)
      cache.set(key, value)
    }
    return value
  }
}

/** How a runtime names a request, reads its cookies, and reads and writes its response's `Set-Cookie`. */
export interface CookieRuntime<StoreOptions, Key extends object> {
  /** The object that identifies the request (the same for every call on it). */
  readonly request: (storeOptions: StoreOptions) => Key
  readonly cookieHeader: (request: Key) => string | null | undefined
  /** The `Set-Cookie` values on the response now; `undefined` when it can no longer be changed. */
  readonly setCookies: (storeOptions: StoreOptions) => ReadonlyArray<string> | undefined
  readonly writeSetCookies: (storeOptions: StoreOptions, values: ReadonlyArray<string>) => void
  /** Sets the response's `Cache-Control` header, replacing the app's. */
  readonly setCacheControl: (storeOptions: StoreOptions, value: string) => void
  /** How the runtime's docs name the moment headers are sent, for the error (e.g. "res.writeHead"). */
  readonly headersSentHint: string
}

/**
 * The `Cache-Control` of every response that sets or clears the SDK's cookies: the session (or a
 * transaction) sealed into a `Set-Cookie` must never be stored by a shared cache and replayed
 * to another user (OWASP Session Management Cheat Sheet, "Web Content Caching"; RFC 9111 §5.2.2.5
 * `no-store`, §5.2.2.7 `private`).
 */
export const NO_STORE = "private, no-store"

/**
 * The error for cookies that can no longer reach the browser: the response's headers were sent
 * before the SDK wrote its `Set-Cookie` values. An `InvalidArgumentError` (the `storeOptions`
 * given are no longer usable), not a `StoreError`: nothing failed to store, retrying cannot
 * help, and the caller must change the order of its calls. Thrown by `commit`, outside every
 * flow, so no flow's error union changes.
 */
export const headersSentError = (hint: string): InvalidArgumentError =>
  new InvalidArgumentError({
    argument: "storeOptions",
    message: `The SDK could not set its cookies: the response's headers were already sent (${hint} ran before ` +
      "this call finished). Call the SDK before sending any part of the response; otherwise, for example, a " +
      "login's transaction cookie is lost and its callback fails with MissingTransactionError."
  })

/**
 * A {@link CookieAdapter} over a runtime: one jar per request, and on each commit the `Set-Cookie`
 * values written before replaced by the jar's current ones, keeping those the app set itself.
 * A response that carries the SDK's cookies gets `Cache-Control: private, no-store` ({@link NO_STORE});
 * one that carries none keeps the app's own. Cookies the runtime can no longer write (headers
 * already sent) throw {@link headersSentError} rather than vanish.
 */
export const makeCookieAdapter = <StoreOptions, Key extends object>(
  runtime: CookieRuntime<StoreOptions, Key>
): CookieAdapter<StoreOptions> => {
  const entryFor = perRequest((request: Key) => ({
    jar: makeRequestJar(runtime.cookieHeader(request)),
    written: [] as ReadonlyArray<string>
  }))
  return {
    jar: (storeOptions) => entryFor(runtime.request(storeOptions)).jar,
    commit: (storeOptions) => {
      const entry = entryFor(runtime.request(storeOptions))
      const next = entry.jar.setCookieHeaders()
      const current = runtime.setCookies(storeOptions)
      if (current === undefined) {
        if (next.some((value) => !entry.written.includes(value))) throw headersSentError(runtime.headersSentHint)
        return
      }
      const others = current.filter((value) => !entry.written.includes(value))
      runtime.writeSetCookies(storeOptions, [...others, ...next])
      if (next.length > 0) runtime.setCacheControl(storeOptions, NO_STORE)
      entry.written = next
    }
  }
}
