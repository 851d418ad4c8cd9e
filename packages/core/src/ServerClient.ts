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
import type * as AccountLinkingFlow from "./AccountLinking.js"
import { Auth0Config, type Auth0Input, importKey, resolve } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import type * as CibaFlow from "./Ciba.js"
import type * as ConnectedAccountsFlow from "./ConnectedAccounts.js"
import type * as DatabaseConnectionsFlow from "./DatabaseConnections.js"
import type * as DpopFlow from "./Dpop.js"
import { type ConfigurationError, InvalidArgumentError, type MissingSessionError, type StoreError } from "./Errors.js"
import type * as LoginFlow from "./Login.js"
import type * as LogoutFlow from "./Logout.js"
import type * as MfaFlow from "./Mfa.js"
import type * as PasswordlessFlow from "./Passwordless.js"
import type * as RevocationFlow from "./Revocation.js"
import * as SessionTransferFlow from "./SessionTransfer.js"
import { coordinatorLayer } from "./Auth0.js"
import type * as OrganizationRules from "./OrganizationRules.js"
import type { RefreshCoordinator } from "./RefreshCoordinator.js"
import { RequestCoalescer } from "./RequestCoalescer.js"
import type { SessionBackend } from "./SessionBackend.js"
import { type CookieJar, RequestCookies } from "./RequestCookies.js"
import type { CookieAdapter } from "./CookieAdapter.js"
import type { Session, UserClaims } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as Telemetry from "./Telemetry.js"
import type { TelemetryLayer } from "./Telemetry.js"
import type * as TokenExchangeFlow from "./TokenExchange.js"
import type * as TokenVaultFlow from "./TokenVault.js"
import { TransactionStore } from "./TransactionStore.js"
import { lazyModule } from "./internal/lazyModule.js"
import * as UserSessionFlow from "./UserSession.js"

// Flows loaded on first use (see internal/lazyModule): the session read is all a cold start needs.
const lazyAccountLinking = lazyModule(() => import("./AccountLinking.js"))
const lazyBackchannelLogout = lazyModule(() => import("./BackchannelLogout.js"))
const lazyCiba = lazyModule(() => import("./Ciba.js"))
const lazyConnectedAccounts = lazyModule(() => import("./ConnectedAccounts.js"))
const lazyDatabaseConnections = lazyModule(() => import("./DatabaseConnections.js"))
const lazyDpop = lazyModule(() => import("./Dpop.js"))
const lazyMfa = lazyModule(() => import("./Mfa.js"))
const lazyOrganizations = lazyModule(() => import("./Organizations.js"))
const lazyPasswordless = lazyModule(() => import("./Passwordless.js"))
const lazyRevocation = lazyModule(() => import("./Revocation.js"))
const lazyTokenExchange = lazyModule(() => import("./TokenExchange.js"))
const lazyTokenVault = lazyModule(() => import("./TokenVault.js"))
const lazyLogin = lazyModule(() => import("./Login.js"))
const lazyLogout = lazyModule(() => import("./Logout.js"))

export {
  type CookieAdapter,
  type CookieRuntime,
  describeArgument,
  headersSentError,
  makeCookieAdapter,
  NO_STORE
} from "./CookieAdapter.js"

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
  /**
   * Where spans, metrics and logs go (e.g. `openTelemetry({ tracerProvider, metricReader })` from
   * `@auth0-effect/opentelemetry`). Without it, tracing is disabled and costs nothing.
   */
  readonly telemetry?: TelemetryLayer | undefined
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
    const { sessionStore, transactionStore, httpClient, coordinationBackend, telemetry, ...input } = options
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
      transactionStore ?? TransactionStore.cookie,
      telemetry ?? Telemetry.disabled
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
    return this.run(Effect.flatMap(lazyLogin, (flow) => flow.startInteractiveLogin(options)), storeOptions)
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
    return this.run(Effect.flatMap(lazyLogin, (flow) => flow.completeInteractiveLogin(url)), storeOptions) as Promise<{ readonly appState: AppState | undefined }>
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
   * @throws {MfaRequiredError} the API's policy asks for MFA: verify a factor with its `mfaToken` ({@link verify}), then call again
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
    return this.run(Effect.flatMap(lazyLogout, (flow) => flow.logout(options)), storeOptions)
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
    return this.#settle(Effect.flatMap(lazyBackchannelLogout, (flow) => flow.handleBackchannelLogout(logoutToken)))
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
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.startConnectAccount(options)), storeOptions)
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
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.completeConnectAccount(url)), storeOptions)
  }

  /**
   * One callback URL for login, connect and account linking: completes whichever the URL's state
   * started (`_tag` `"Login"`, `"Connect"`, `"Link"` or `"Unlink"`).
   *
   * @example
   * const result = await auth0.handleCallback(url, storeOptions)
   * if (result._tag === "Connect") console.log(result.connection)
   */
  handleCallback(url: string | URL, storeOptions: StoreOptions): Promise<ConnectedAccountsFlow.CallbackResult> {
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.handleCallback(url)), storeOptions)
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
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.listConnectedAccounts(options)), storeOptions)
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
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.listConnectedAccountConnections(options)), storeOptions)
  }

  /**
   * Unlinks a connected account.
   *
   * @throws {MissingRequiredArgumentError} empty connectedAccountId
   * @example
   * await auth0.deleteConnectedAccount({ connectedAccountId: account.id }, storeOptions)
   */
  deleteConnectedAccount(options: ConnectedAccountsFlow.DeleteConnectedAccountOptions, storeOptions: StoreOptions): Promise<void> {
    return this.run(Effect.flatMap(lazyConnectedAccounts, (flow) => flow.deleteConnectedAccount(options)), storeOptions)
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
    return this.run(Effect.flatMap(lazyTokenVault, (flow) => flow.getAccessTokenForConnection(options)), storeOptions)
  }

  // DPoP

  /**
   * A DPoP proof (RFC 9449 §4.2) for a request to your own API: send it as the `DPoP` header,
   * with `Authorization: DPoP <token>` for a DPoP-bound token (`tokenType` of `getAccessToken`).
   * Without `nonce`, the latest `DPoP-Nonce` seen from the URL's origin goes in.
   *
   * @throws {InvalidArgumentError} `method` or `url` is malformed
   * @throws {ConfigurationError} the `dpop` option is not set
   * @example
   * const proof = await auth0.generateDpopProof({ method: "GET", url: "https://api.example.com/items", accessToken })
   */
  generateDpopProof(options: DpopFlow.GenerateProofOptions): Promise<string> {
    return this.#settle(Effect.flatMap(lazyDpop, (flow) => flow.generateProof(options)))
  }

  /**
   * Calls your own API with an access token from the session (`getAccessToken` for `audience`
   * and `scope`): `Authorization: DPoP` and a proof for a DPoP-bound token, Bearer otherwise;
   * one retry when the API asks for a DPoP nonce. Any other answer is returned as it came.
   *
   * @throws {MissingSessionError} the user is not logged in
   * @throws {AccessTokenError} no access token can be had for the API
   * @throws {TransportError} the API did not answer
   * @example
   * const response = await auth0.fetchWithAccessToken({ url: "https://api.example.com/items", audience: "https://api.example.com" }, storeOptions)
   * if (response.status === 200) console.log(JSON.parse(response.body))
   */
  fetchWithAccessToken(options: DpopFlow.FetchWithAccessTokenOptions, storeOptions: StoreOptions): Promise<DpopFlow.ApiResponse> {
    return this.run(Effect.flatMap(lazyDpop, (flow) => flow.fetchWithAccessToken(options)), storeOptions)
  }

  // MFA

  /**
   * The user's MFA authenticators, with the `mfaToken` of a {@link MfaRequiredError}.
   *
   * @throws {MfaApiError} Auth0 refused (`invalid_token`: the mfa_token is unknown or expired)
   * @throws {MissingRequiredArgumentError} no mfaToken
   * @example
   * const authenticators = await auth0.listAuthenticators({ mfaToken: error.mfaToken }, storeOptions)
   */
  listAuthenticators(options: MfaFlow.ListAuthenticatorsOptions, storeOptions: StoreOptions): Promise<Array<MfaFlow.Authenticator>> {
    return this.run(Effect.flatMap(lazyMfa, (flow) => flow.listAuthenticators(options)), storeOptions)
  }

  /**
   * Enrolls an authenticator: `["otp"]` answers a TOTP `secret` and `barcodeUri`; `["oob"]` with
   * `oobChannels` `sms` (and `phoneNumber`), `email` or `auth0` (push) answers an `oobCode`.
   * Verify it with {@link verify} to activate it.
   *
   * @throws {MfaApiError} Auth0 refused the enrollment
   * @throws {InvalidArgumentError} an unknown type or channel, a phone number not in E.164
   * @example
   * const { secret, barcodeUri } = await auth0.enrollAuthenticator({ mfaToken, authenticatorTypes: ["otp"] }, storeOptions)
   */
  enrollAuthenticator(options: MfaFlow.EnrollAuthenticatorOptions, storeOptions: StoreOptions): Promise<MfaFlow.Enrollment> {
    return this.run(Effect.flatMap(lazyMfa, (flow) => flow.enrollAuthenticator(options)), storeOptions)
  }

  /**
   * Challenges an authenticator: for `oob`, Auth0 sends the SMS, email or push and answers the
   * `oobCode` to verify with.
   *
   * @throws {MfaApiError} Auth0 refused the challenge
   * @example
   * const { oobCode } = await auth0.challengeAuthenticator({ mfaToken, challengeType: "oob", authenticatorId }, storeOptions)
   */
  challengeAuthenticator(options: MfaFlow.ChallengeOptions, storeOptions: StoreOptions): Promise<MfaFlow.Challenge> {
    return this.run(Effect.flatMap(lazyMfa, (flow) => flow.challengeAuthenticator(options)), storeOptions)
  }

  /**
   * Verifies a factor (`otp`, `oob` with `bindingCode`, or `recovery-code`) and stores the
   * tokens in the session as a refresh would (the ID token validated, the same user): the
   * `getAccessToken` call that failed with {@link MfaRequiredError} then succeeds. Pass the
   * error's `audience` and `scope`.
   *
   * @throws {MfaApiError} a wrong code (`invalid_grant`), an expired mfa_token (`expired_token`), a push not yet approved (`authorization_pending`)
   * @throws {AccessTokenError} the tokens are for another audience or another user; the session is unchanged
   * @example
   * await auth0.verify({ mfaToken: error.mfaToken, factorType: "otp", otp, audience: error.audience, scope: error.scope }, storeOptions)
   */
  verify(options: MfaFlow.VerifyOptions, storeOptions: StoreOptions): Promise<MfaFlow.VerifyResult> {
    return this.run(Effect.flatMap(lazyMfa, (flow) => flow.verify(options)), storeOptions)
  }

  // Organizations

  /**
   * Login options from an organization invitation link: `options` with `authorizationParams.invitation`
   * and `authorizationParams.organization` read from the link, for {@link startInteractiveLogin}.
   *
   * @throws {MissingRequiredArgumentError} the link has no `invitation` or no `organization`
   * @throws {InvalidArgumentError} not an absolute URL, or a parameter repeated or blank
   * @example
   * const options = await auth0.loginOptionsFromInvitation(`https://app.example.com${req.url}`)
   * const url = await auth0.startInteractiveLogin(options, storeOptions)
   */
  loginOptionsFromInvitation<AppState = unknown>(
    url: string | URL,
    options?: LoginFlow.StartInteractiveLoginOptions<AppState>
  ): Promise<LoginFlow.StartInteractiveLoginOptions<AppState>> {
    return this.#settle(Effect.flatMap(lazyOrganizations, (flow) => flow.loginOptionsFromInvitation(url, options)))
  }

  /**
   * The organization the session was logged in to (`{ id, name }`), or `undefined` (no session, or
   * a login outside any organization).
   *
   * @throws {StoreError} the session store failed
   * @example
   * const organization = await auth0.getOrganization(storeOptions)
   */
  getOrganization(storeOptions: StoreOptions): Promise<OrganizationRules.SessionOrganization | undefined> {
    return this.run(Effect.map(Effect.flatMap(lazyOrganizations, (flow) => flow.getOrganization), Option.getOrUndefined), storeOptions)
  }

  // Account linking

  /**
   * Starts linking the account of a connection (e.g. `google-oauth2`) to the logged-in user;
   * resolves with the URL to redirect the browser to.
   *
   * @throws {MissingSessionError} nobody is logged in
   * @throws {AccountLinkingError} `no_id_token`: the session has no ID token to send as id_token_hint
   * @throws {MissingRequiredArgumentError} no connection, or no redirect URI
   * @throws {InvalidArgumentError} a malformed connection, or an SDK-owned authorization parameter
   * @example
   * const url = await auth0.startLinkUser({ connection: "google-oauth2", appState: { returnTo: "/settings" } }, storeOptions)
   */
  startLinkUser<AppState = unknown>(
    options: AccountLinkingFlow.StartLinkUserOptions<AppState>,
    storeOptions: StoreOptions
  ): Promise<URL> {
    return this.run(Effect.flatMap(lazyAccountLinking, (flow) => flow.startLinkUser(options)), storeOptions)
  }

  /**
   * Completes a link from the callback URL: the session's ID token and user (with the new
   * `identities`) are updated; its tokens are kept.
   *
   * @throws {AccountLinkingError} `refused` by the tenant, or `subject_mismatch` (the ID token is about another user)
   * @throws {MissingTransactionError} no link transaction for the callback's state
   * @throws {IdTokenValidationError} the callback's ID token is invalid
   * @example
   * const { appState } = await auth0.completeLinkUser(`http://localhost:3000${req.url}`, storeOptions)
   */
  completeLinkUser<AppState = unknown>(
    url: string | URL,
    storeOptions: StoreOptions
  ): Promise<{ readonly appState: AppState | undefined }> {
    return this.run(Effect.flatMap(lazyAccountLinking, (flow) => flow.completeLinkUser(url)), storeOptions) as Promise<{ readonly appState: AppState | undefined }>
  }

  /**
   * Starts unlinking the identity of a connection from the logged-in user; resolves with the URL to redirect to.
   *
   * @throws {MissingSessionError} nobody is logged in
   * @throws {AccountLinkingError} `no_id_token`: the session has no ID token
   * @example
   * const url = await auth0.startUnlinkUser({ connection: "google-oauth2" }, storeOptions)
   */
  startUnlinkUser<AppState = unknown>(
    options: AccountLinkingFlow.StartUnlinkUserOptions<AppState>,
    storeOptions: StoreOptions
  ): Promise<URL> {
    return this.run(Effect.flatMap(lazyAccountLinking, (flow) => flow.startUnlinkUser(options)), storeOptions)
  }

  /**
   * Completes an unlink from the callback URL, as {@link completeLinkUser} does a link.
   *
   * @throws {AccountLinkingError} `refused` by the tenant, or `subject_mismatch`
   * @throws {MissingTransactionError} no unlink transaction for the callback's state
   * @example
   * await auth0.completeUnlinkUser(`http://localhost:3000${req.url}`, storeOptions)
   */
  completeUnlinkUser<AppState = unknown>(
    url: string | URL,
    storeOptions: StoreOptions
  ): Promise<{ readonly appState: AppState | undefined }> {
    return this.run(Effect.flatMap(lazyAccountLinking, (flow) => flow.completeUnlinkUser(url)), storeOptions) as Promise<{ readonly appState: AppState | undefined }>
  }

  /**
   * Which flow a callback URL completes (`"login"`, `"connect"`, `"link"` or `"unlink"`), by its
   * state's transaction, without consuming it; `undefined` when none is live. For one callback
   * route shared by logins and account links.
   *
   * @example
   * const kind = await auth0.callbackKind(url, storeOptions)
   * if (kind === "link") await auth0.completeLinkUser(url, storeOptions)
   */
  callbackKind(url: string | URL, storeOptions: StoreOptions): Promise<"login" | "connect" | "link" | "unlink" | undefined> {
    return this.run(Effect.map(Effect.flatMap(lazyAccountLinking, (flow) => flow.callbackKind(url)), Option.getOrUndefined), storeOptions)
  }

  // Passwordless

  /**
   * Sends a one-time code (email or SMS) or a magic link (email); nothing is stored but, for a
   * link, its login transaction. Complete with {@link completePasswordless} or
   * {@link completePasswordlessMagicLink}.
   *
   * @throws {InvalidArgumentError} a malformed email, a phone number not in E.164, a bad language tag
   * @throws {AuthenticationApiError} the tenant refused (e.g. `bad.connection`: passwordless not enabled for the app)
   * @example
   * await auth0.startPasswordless({ connection: "email", email: "ada@example.com" }, storeOptions)
   */
  startPasswordless<AppState = unknown>(
    options: PasswordlessFlow.StartPasswordlessOptions<AppState>,
    storeOptions: StoreOptions
  ): Promise<void> {
    return this.run(Effect.flatMap(lazyPasswordless, (flow) => flow.startPasswordless(options)), storeOptions)
  }

  /**
   * Logs the user in with the code they received; the session replaces any existing one.
   *
   * @throws {TokenEndpointError} `invalid_grant`: a wrong, used or expired code, or too many attempts
   * @throws {IdTokenValidationError} the ID token broke a rule of OIDC Core 3.1.3.7
   * @example
   * await auth0.completePasswordless({ connection: "email", email: "ada@example.com", verificationCode: "123456" }, storeOptions)
   */
  completePasswordless(options: PasswordlessFlow.CompletePasswordlessOptions, storeOptions: StoreOptions): Promise<void> {
    return this.run(Effect.flatMap(lazyPasswordless, (flow) => flow.completePasswordless(options)), storeOptions)
  }

  /**
   * Completes a magic-link login from its callback URL, as `completeInteractiveLogin` does.
   *
   * @throws {MissingTransactionError} unknown, expired or replayed `state`
   * @throws {TokenEndpointError} the code exchange was refused
   * @example
   * const { appState } = await auth0.completePasswordlessMagicLink(`http://localhost:3000${req.url}`, storeOptions)
   */
  completePasswordlessMagicLink<AppState = unknown>(
    url: string | URL,
    storeOptions: StoreOptions
  ): Promise<{ readonly appState: AppState | undefined }> {
    return this.run(Effect.flatMap(lazyPasswordless, (flow) => flow.completePasswordlessMagicLink(url)), storeOptions) as Promise<
      { readonly appState: AppState | undefined }
    >
  }

  // Database connections

  /**
   * Creates a user in a database connection (no session: log them in afterwards).
   *
   * @throws {AuthenticationApiError} `invalid_password` (with `policy` and `rules`), `invalid_signup`, `bad.connection`
   * @throws {InvalidArgumentError} a malformed email or connection name, bad `userMetadata`
   * @example
   * const { id } = await auth0.signUp({ email: "ada@example.com", password })
   */
  signUp(options: DatabaseConnectionsFlow.SignUpOptions): Promise<DatabaseConnectionsFlow.SignUpResult> {
    return this.#settle(Effect.flatMap(lazyDatabaseConnections, (flow) => flow.signUp(options)))
  }

  /**
   * Asks the tenant to email a password reset link; resolves alike whether or not the user exists.
   *
   * @throws {AuthenticationApiError} the tenant refused (e.g. `bad.connection`)
   * @example
   * await auth0.changePassword({ email: "ada@example.com" })
   */
  changePassword(options: DatabaseConnectionsFlow.ChangePasswordOptions): Promise<void> {
    return this.#settle(Effect.flatMap(lazyDatabaseConnections, (flow) => flow.changePassword(options)))
  }

  // Revocation

  /**
   * Revokes a refresh token at the tenant: `options.token`, or the session's (then removed from
   * the session). To revoke at logout, pass `logout({ revokeRefreshToken: true })`.
   *
   * @throws {MissingSessionError} no token given and not logged in
   * @throws {TokenEndpointError} the tenant refused the revocation
   * @example
   * await auth0.revokeRefreshToken({}, storeOptions)
   */
  revokeRefreshToken(options: RevocationFlow.RevokeRefreshTokenOptions | undefined, storeOptions: StoreOptions): Promise<void> {
    return this.run(Effect.flatMap(lazyRevocation, (flow) => flow.revokeRefreshToken(options)), storeOptions)
  }

  // Session transfer

  /**
   * Mints a single-use session transfer token; the actor is the session's ID token unless
   * `options.actor` is given.
   *
   * @throws {MissingSessionError} no actor given and not logged in
   * @throws {TokenEndpointError} the tenant or your Token Exchange Action refused
   * @example
   * const result = await auth0.requestSessionTransferToken({ subjectToken, subjectTokenType: "urn:acme:customer" }, storeOptions)
   */
  requestSessionTransferToken(
    options: SessionTransferFlow.RequestSessionTransferTokenOptions,
    storeOptions: StoreOptions
  ): Promise<SessionTransferFlow.SessionTransferTokenResult> {
    return this.run(SessionTransferFlow.requestSessionTransferToken(options), storeOptions)
  }

  /**
   * The target's login URL carrying the session transfer token (synchronous).
   *
   * @throws {InvalidArgumentError} a target that is not https (or loopback http), or an empty token
   * @example
   * const url = auth0.buildSessionTransferRedirect("https://app.example.com/auth/login", result)
   */
  buildSessionTransferRedirect(
    targetLoginUrl: string | URL,
    result: Pick<SessionTransferFlow.SessionTransferTokenResult, "sessionTransferToken">,
    options?: SessionTransferFlow.BuildSessionTransferRedirectOptions
  ): URL {
    const exit = Effect.runSyncExit(SessionTransferFlow.buildSessionTransferRedirect(targetLoginUrl, result, options))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
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
    return this.#settle(Effect.flatMap(lazyCiba, (flow) => flow.loginBackchannel(options)))
  }

  /**
   * Starts a backchannel request and returns at once with what a later poll needs (job queues).
   *
   * @throws {DiscoveryError} the tenant has no backchannel_authentication_endpoint
   * @example
   * const { authReqId, interval, expiresAt } = await auth0.initiateBackchannelAuthentication({ loginHint: { sub }, bindingMessage: "Job 7" })
   */
  initiateBackchannelAuthentication(options: CibaFlow.LoginBackchannelOptions): Promise<CibaFlow.BackchannelAuthenticationRequest> {
    return this.#settle(Effect.flatMap(lazyCiba, (flow) => flow.initiateBackchannelAuthentication(options)))
  }

  /**
   * Polls a started backchannel request once: `{ status: "pending", interval }` or `{ status: "complete", tokens }`.
   *
   * @throws {BackchannelAuthenticationError} the user rejected it or it expired
   * @example
   * const result = await auth0.backchannelAuthenticationGrant({ authReqId, interval })
   */
  backchannelAuthenticationGrant(options: CibaFlow.BackchannelAuthenticationGrantOptions): Promise<CibaFlow.BackchannelPollResult> {
    return this.#settle(Effect.flatMap(lazyCiba, (flow) => flow.backchannelAuthenticationGrant(options)))
  }

  /**
   * Polls a started backchannel request until the user answers or it expires.
   *
   * @throws {BackchannelAuthenticationError} the user rejected it or it expired
   * @example
   * const tokens = await auth0.awaitBackchannelAuthentication({ authReqId, interval, expiresAt })
   */
  awaitBackchannelAuthentication(options: CibaFlow.AwaitBackchannelAuthenticationOptions): Promise<CibaFlow.BackchannelTokens> {
    return this.#settle(Effect.flatMap(lazyCiba, (flow) => flow.awaitBackchannelAuthentication(options)))
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
    return this.#settle(Effect.flatMap(lazyTokenExchange, (flow) => flow.customTokenExchange(options)))
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
    return this.run(Effect.flatMap(lazyTokenExchange, (flow) => flow.loginWithCustomTokenExchange(options)), storeOptions)
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
