import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type Provider from "oidc-provider"
import * as jose from "jose"
import {
  approveBackchannel,
  CIBA_GRANT,
  CIBA_PATH,
  denyBackchannel,
  handleBackchannelAuthorize,
  interceptCibaPoll,
  makeCibaState
} from "./internal/Ciba.js"
import { authenticateClient } from "./internal/ClientAuth.js"
import type { BackchannelRequest, BackchannelTarget, CibaOptions, PasswordPolicy, TokenExchangeOptions } from "./internal/PublicTypes.js"
import { mediaType, nowSeconds, withBody, randomId, readBody, redirect, sendHtml, sendOAuthError, sendText } from "./internal/Http.js"
import { makeTenantKey, signJwt, type TenantKey } from "./internal/Keys.js"
import { handleConnectPage, handleMyAccount, handleThirdPartyApi, MY_ACCOUNT_SCOPES, storeAccount } from "./internal/MyAccount.js"
import { errorPage, loginPage, messagePage, pageMessage } from "./internal/Pages.js"
import { makeProvider, OIDC_SCOPES, withOfflineAccessPrompt } from "./internal/Provider.js"
import { identitiesOf, makeLinkingState, onLogin, withoutLinkingAudience } from "./internal/AccountLinking.js"
import { addMember as addOrganizationMember, admit, createInvitation as createOrganizationInvitation, createOrganization as createTenantOrganization, findOrganization, makeOrganizationsState } from "./internal/Organizations.js"
import { resolveOrigin, type Fault, type ResolvedClient, type State, type UserRecord } from "./internal/State.js"
import { handleRefreshGrant, handleTokenVaultGrant, TOKEN_VAULT_GRANT } from "./internal/TokenEndpoint.js"
import { checkTokenRequest, countProviderChallenges, makeDpopState, type DpopOptions } from "./internal/Dpop.js"
import { addAuthenticator, approvePush, codeGrantNeedsMfa, handleMfaApi, makeMfaState } from "./internal/Mfa.js"
import { handleMfaGrant, isMfaGrant } from "./internal/MfaGrants.js"
import { makeRefreshFamilyState } from "./internal/RefreshFamilies.js"
import { handleRevocation } from "./internal/Revocation.js"
import {
  checkPassword,
  configureDatabase,
  handleChangePassword,
  handleSignup,
  lastPasswordResetTicket
} from "./internal/DatabaseConnection.js"
import {
  handlePasswordlessGrant,
  handlePasswordlessStart,
  handleVerifyRedirect,
  lastMagicLink,
  lastPasswordlessCode,
  PASSWORDLESS_OTP_GRANT
} from "./internal/Passwordless.js"
import { configureSessionTransfer, handleSessionTransferGrant, isSessionTransferRequest, redeemLoginTicket } from "./internal/SessionTransfer.js"
import { handleTokenExchangeGrant, TOKEN_EXCHANGE_GRANT } from "./internal/TokenExchange.js"

/**
 * An application registered in the emulated tenant. Any `{origin}` inside an audience is replaced by
 * the emulator's origin, so a policy for the My Account API can be written before the port is known:
 * `{ audience: "{origin}/me/", scopes: [...] }`.
 */
export interface EmulatorClient {
  clientId: string
  /** client_secret_post and client_secret_basic are both accepted. */
  clientSecret?: string
  /** Public keys: private_key_jwt is accepted for this client. */
  jwks?: { keys: JsonWebKey[] }
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  backchannelLogoutUri?: string
  /** Default false (Auth0's default: non-rotating). */
  refreshTokenRotation?: boolean
  /**
   * With rotation: how long (seconds) a rotated-away refresh token may still be used. Default 0.
   * Presenting one later revokes its whole family, as Auth0's reuse detection does.
   */
  refreshTokenReuseIntervalSeconds?: number
  /** MRRT refresh policies: audience => allowed scopes. */
  refreshTokenPolicies?: Array<{ audience: string; scopes: string[] }>
}

export interface EmulatorOptions {
  /** Default: a free port. */
  port?: number
  /** Default "127.0.0.1"; only 127.0.0.1, ::1 and localhost are accepted (anything else throws). */
  host?: string
  /** Default: one client, see {@link DEFAULT_CLIENT_ID}. */
  clients?: EmulatorClient[]
  /** Resource servers (APIs) of the tenant; the My Account API is always there. `{origin}` is replaced. */
  apis?: Array<{ audience: string; scopes: string[]; /** Its policy requires MFA: grants for it answer 403 mfa_required. */ requireMfa?: boolean }>
  /** Default 3600. */
  accessTokenTtlSeconds?: number
  /** Fixed-window limit over the whole My Account API; exceeding it answers 429 with retry-after. */
  myAccountRateLimit?: { limit: number; windowSeconds: number }
  /** Upstream IdPs for Connected Accounts; default ["google-oauth2", "github"]. */
  connections?: string[]
  /**
   * DPoP (RFC 9449), always accepted: `required` makes the token endpoint refuse requests
   * without a proof, `requireNonce` makes every proof need a nonce the emulator issued,
   * `requiredByApis` makes the My Account API and the fake third-party API accept only
   * DPoP-bound tokens with a valid proof.
   */
  dpop?: DpopOptions
  /** The database connection: default name "Username-Password-Authentication", password policy "good" (Auth0's levels). */
  databaseConnection?: { name?: string; passwordPolicy?: PasswordPolicy }
  /**
   * Session transfer tokens: the `subject_token_type` the emulated Token Exchange Action accepts
   * (default "urn:auth0-emulator:user"); its `subject_token` names the user (sub or email).
   */
  sessionTransfer?: { subjectTokenType?: string }
  /** CIBA (`/bc-authorize`, poll mode): the `interval` and default `expires_in` it answers with. */
  ciba?: CibaOptions
  /**
   * Custom Token Exchange: plays the tenant's Action for the grant
   * `urn:ietf:params:oauth:grant-type:token-exchange`, returning the user (`{ sub }`) the subject
   * token stands for, or an OAuth error. Without it, every exchange is refused.
   */
  tokenExchange?: TokenExchangeOptions
}

/** Options to build a (possibly broken) back-channel logout token. Every default makes a valid token. */
export interface LogoutTokenOptions {
  /** Audience client; default the first client. */
  clientId?: string
  sub?: string
  sid?: string
  /** Override `iss` (default the tenant issuer). */
  iss?: string
  /** Override `aud` (default clientId). */
  aud?: string | string[]
  /** Seconds from now until `exp` (default 120; negative for an expired token). */
  expiresIn?: number
  /** Override `iat` (epoch seconds). */
  iat?: number
  /** Adds an `nbf` claim (epoch seconds). */
  nbf?: number
  /** Adds an `azp` claim (with several audiences, only the client id is valid). */
  azp?: string
  /** Adds a `nonce` claim, which the spec forbids in logout tokens. */
  nonce?: string
  /** Override `events`; `null` leaves the claim out. */
  events?: Record<string, unknown> | null
  /** Override `jti`; `null` leaves it out. */
  jti?: string | null
  /** Override the `typ` header (default "logout+jwt"); `null` leaves it out. */
  typ?: string | null
  /** Sign with a key that is not in the tenant JWKS. */
  foreignKey?: boolean
}

export interface Emulator {
  /** "http://127.0.0.1:PORT" */
  readonly origin: string
  /** `${origin}/`: Auth0 issuers end with a slash. */
  readonly issuer: string
  /** Same as origin; the SDK config accepts a full origin for loopback. */
  readonly domain: string
  /** The first client's id. */
  readonly clientId: string
  readonly clientSecret: string | undefined
  /** `${origin}/me/` */
  readonly myAccountAudience: string
  /** Creates a user; `sub` defaults to `auth0|<random>`, `name` to the email, `email_verified` to true. */
  createUser(user: { email: string; name?: string; sub?: string; [claim: string]: unknown }): Promise<{ sub: string }>
  /**
   * Completes an /authorize (or PAR-based) URL without a browser, as the given user (sub or email), using
   * the same login form a browser would. Resolves with the redirect_uri callback URL (code & state, or
   * error). `consent: false` makes the user cancel: the callback carries `error=access_denied`.
   */
  login(authorizeUrl: string, options: { user?: string; consent?: boolean }): Promise<string>
  /**
   * Follows a connect_uri (with ticket) through the fake upstream provider's consent; resolves with the
   * app callback URL carrying connect_code & state, or error & error_description when `deny`.
   */
  connect(connectUri: string, options?: { deny?: boolean; error?: string; errorDescription?: string }): Promise<string>
  /** Signs a logout_token and POSTs it to the client's backchannelLogoutUri; resolves with the HTTP status the app answered. */
  sendBackchannelLogout(options: { clientId?: string; sub?: string; sid?: string }): Promise<number>
  /**
   * Signs any payload as a JWT with the tenant key (RS256, the JWKS `kid`), or with a key that is
   * not in the JWKS (`foreignKey`): for tests that feed an app crafted tokens, e.g. an ID token
   * served through `fault("/oauth/token", { status: 200, body })`.
   */
  signToken(payload: Record<string, unknown>, options?: { foreignKey?: boolean; typ?: string }): Promise<string>
  /** Builds (but does not send) a signed logout token; options break it on purpose. */
  makeLogoutToken(options: LogoutTokenOptions): Promise<string>
  /**
   * Makes the next `times` (default 1) requests to an endpoint fail: a path like "/oauth/token" or
   * "/me/v1/connected-accounts/accounts" (prefix match on path segments). With `delayMs` only, the
   * request is delayed and then served normally.
   */
  fault(endpoint: string, fault: { times?: number; status?: number; delayMs?: number; body?: string; contentType?: string }): void
  /** Requests seen for a path (and below it); for /oauth/token optionally per grant_type. */
  requestCount(path: string, grantType?: string): number
  resetCounts(): void
  /** DPoP nonce challenges (`use_dpop_nonce` with a `DPoP-Nonce`) sent for a path and below it. */
  dpopNonceChallenges(path: string): number
  /**
   * How many times a refresh token that rotation had replaced was presented again outside its
   * reuse interval (each revoked its family). An SDK that coordinates refreshes keeps this at 0.
   */
  refreshTokenReuseDetections(): number
  /**
   * Options for the SDK (`new ServerClient(...)`, `Auth0.layer(...)`) that make it a client of this
   * emulator: `domain` is the loopback origin, so `allowInsecureHttp` is on, and cookies are not
   * `Secure` (plain http). For tests and local development only.
   */
  sdkOptions(options?: { clientId?: string; redirectUri?: string; secret?: string }): EmulatorSdkOptions
  /** URL of the fake third-party API for a connection, e.g. thirdPartyApiUrl("google-oauth2") => .../thirdparty/google-oauth2/calendar/events */
  thirdPartyApiUrl(connection: string, path?: string): string
  /** Seeds a connected account for a user (sub or email) without the connect flow. */
  addConnectedAccount(user: string, account: { connection: string; scopes?: string[] }): Promise<{ id: string }>
  /**
   * Enrolls an MFA factor for a user (sub or email), active at once: `otp` answers the base32
   * `secret` to compute codes from with `totp(secret)`; the user's first factor also gets a
   * `recoveryCode`.
   */
  enrollMfa(user: string, factor: { type: "otp" | "sms" | "voice" | "email" | "push"; name?: string }): Promise<{ authenticatorId: string; secret?: string; recoveryCode?: string }>
  /** The last code "sent" to a user (sub or email) by an sms, voice or email challenge or enrollment. */
  lastMfaCode(user: string): string | undefined
  /** Approves a user's pending push challenges (the Guardian app's "Allow"); resolves with how many. */
  approveMfaPush(user: string): number
  /** Creates an organization; `id` defaults to `org_<random>`; `name` is lowercase letters, digits, `-`, `_`. */
  createOrganization(organization: { name: string; id?: string; displayName?: string }): Promise<{ id: string; name: string }>
  /** Makes a user (sub or email) a member of an organization (id or name). */
  addMember(organization: string, user: string): Promise<void>
  /**
   * Invites `email` to an organization; resolves with the invitation link Auth0 would send:
   * `loginUri` (the application login URI; default the client's first redirect URI's origin + "/login")
   * with `invitation`, `organization` and `organization_name`. Logging in through it as that email makes the user a member.
   */
  createInvitation(organization: string, invitation: { email: string; clientId?: string; loginUri?: string }): Promise<{ id: string; url: string }>
  /** A user's `identities` (its own first, then linked ones), as the ID token's `identities` claim shows them. */
  identities(user: string): Array<{ provider: string; user_id: string; connection: string; isSocial: boolean }>
  /** The last passwordless code sent to an email or phone number (nothing is sent), or `undefined`. */
  lastPasswordlessCode(recipient: string): string | undefined
  /** The last magic link sent to an email, or `undefined`; `login(link)` follows it to the app's callback. */
  lastMagicLink(email: string): string | undefined
  /** The last password reset ticket URL that change_password made for an email, or `undefined`. */
  lastPasswordResetTicket(email: string): string | undefined
  /** Whether `password` is the database connection password of the user with this email. */
  checkPassword(email: string, password: string): boolean
  /**
   * CIBA: the user approves a backchannel request on their device; the next poll gets the tokens.
   * `target` is the auth_req_id, or `{ user }` (sub or email) for that user's newest pending request.
   */
  approveBackchannel(target: BackchannelTarget): Promise<void>
  /** CIBA: the user rejects a backchannel request; the next poll answers `access_denied`. */
  denyBackchannel(target: BackchannelTarget): Promise<void>
  /** CIBA: the requests still waiting for the user, with their binding message and authorization_details. */
  pendingBackchannelRequests(): ReadonlyArray<BackchannelRequest>
  /** CIBA: the next `times` (default 1) polls of the CIBA grant answer `slow_down`. */
  slowDownBackchannelPolls(times?: number): void
  stop(): Promise<void>
}

/** What {@link Emulator.sdkOptions} returns: a valid SDK configuration for one of the emulator's clients. */
export interface EmulatorSdkOptions {
  readonly domain: string
  readonly allowInsecureHttp: true
  readonly clientId: string
  readonly clientSecret?: string
  readonly secret: string
  readonly redirectUri?: string
  readonly cookie: { readonly secure: false }
}

export const DEFAULT_CLIENT_ID = "test-client"
/** Redirect URIs of the default client. */
export const DEFAULT_REDIRECT_URIS: ReadonlyArray<string> = [
  "http://127.0.0.1:3000/auth/callback",
  "http://localhost:3000/auth/callback",
  "http://127.0.0.1/callback",
  "http://localhost/callback"
]
/** Allowed logout URLs of the default client. */
export const DEFAULT_LOGOUT_URIS: ReadonlyArray<string> = [
  "http://127.0.0.1:3000/",
  "http://localhost:3000/",
  "http://127.0.0.1/",
  "http://localhost/"
]

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"])

const defaultClients = (): Array<EmulatorClient> => [
  {
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: randomId(32),
    redirectUris: [...DEFAULT_REDIRECT_URIS],
    postLogoutRedirectUris: [...DEFAULT_LOGOUT_URIS],
    refreshTokenPolicies: [
      { audience: "{origin}/me/", scopes: [MY_ACCOUNT_SCOPES.create, MY_ACCOUNT_SCOPES.read, MY_ACCOUNT_SCOPES.delete] }
    ]
  }
]

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

/** Matches `path` against `prefix` on segment boundaries ("/me/v1" matches "/me/v1/x", not "/me/v10"). */
const underPath = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`)

/** Minimal cookie jar for `login()`: name => value, no paths (everything is on one origin). */
class CookieJar {
  readonly #cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";")
      const eq = pair.indexOf("=")
      if (eq < 0) continue
      const name = pair.slice(0, eq).trim()
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a))
      if (expired) this.#cookies.delete(name)
      else this.#cookies.set(name, pair.slice(eq + 1).trim())
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ")
  }
}

/**
 * Starts a local Auth0 emulator on a loopback port. Each call is an independent tenant.
 *
 * @throws Error when `host` is not a loopback address, or the port is taken.
 * @example
 * const emulator = await startEmulator({ clients: [{ clientId: "app", clientSecret: "s", redirectUris: ["http://127.0.0.1:3000/cb"] }] })
 * const { sub } = await emulator.createUser({ email: "ada@example.com" })
 * await emulator.stop()
 */
export const startEmulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  const host = options.host ?? "127.0.0.1"
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(`The Auth0 emulator only listens on loopback (127.0.0.1, ::1, localhost), not "${host}"`)
  }
  const clientsInput = options.clients ?? defaultClients()
  if (clientsInput.length === 0) throw new Error("The emulator needs at least one client")
  const key = await makeTenantKey()

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503)
    res.end()
  }
  const server = createServer((req, res) => handler(req, res))
  const bindHost = host === "localhost" ? "127.0.0.1" : host
  const port = await listen(server, options.port ?? 0, bindHost)
  const origin = `http://${host === "::1" ? "[::1]" : host}:${port}`
  const issuer = `${origin}/`
  const myAccountAudience = `${origin}/me/`

  const clients = new Map<string, ResolvedClient>()
  for (const client of clientsInput) {
    clients.set(client.clientId, {
      ...client,
      ...(client.refreshTokenPolicies
        ? {
          refreshTokenPolicies: client.refreshTokenPolicies.map((p) => ({
            audience: resolveOrigin(p.audience, origin),
            scopes: [...p.scopes]
          }))
        }
        : {})
    })
  }
  const apis = new Map<string, ReadonlyArray<string>>([
    [myAccountAudience, [MY_ACCOUNT_SCOPES.create, MY_ACCOUNT_SCOPES.read, MY_ACCOUNT_SCOPES.delete]]
  ])
  for (const api of options.apis ?? []) apis.set(resolveOrigin(api.audience, origin), [...api.scopes])

  const state: State = {
    origin,
    issuer,
    myAccountAudience,
    accessTokenTtl: options.accessTokenTtlSeconds ?? 3600,
    clients,
    apis,
    connections: options.connections ?? ["google-oauth2", "github"],
    users: new Map(),
    refreshTokens: new Map(),
    revokedRefreshTokens: new Set(),
    refreshFamilies: makeRefreshFamilyState(),
    accounts: new Map(),
    accountSeq: 0,
    connectSessions: new Map(),
    vaultTokens: new Map(),
    usedAssertionIds: new Set(),
    faults: [],
    counts: new Map(),
    rateLimit: options.myAccountRateLimit,
    rateWindow: { start: Date.now(), count: 0 },
    dpop: makeDpopState(options.dpop),
    mfa: makeMfaState((options.apis ?? []).filter((a) => a.requireMfa).map((a) => resolveOrigin(a.audience, origin))),
    organizations: makeOrganizationsState(),
    linking: makeLinkingState(),
    ciba: makeCibaState(options.ciba),
    tokenExchange: options.tokenExchange
  }

  configureDatabase(state, options.databaseConnection)
  configureSessionTransfer(state, options.sessionTransfer?.subjectTokenType)
  const provider = makeProvider(state, key)
  const providerCallback = provider.callback()
  const firstClient = [...clients.values()][0]!
  // Encrypts the cookies of SDKs configured through sdkOptions(); random per emulator.
  const sdkSecret = randomId(48)

  const findUser = (user: string): UserRecord | undefined =>
    state.users.get(user) ?? [...state.users.values()].find((u) => u.claims["email"] === user)

  const count = (name: string) => state.counts.set(name, (state.counts.get(name) ?? 0) + 1)

  handler = (req, res) => {
    handle(state, provider, providerCallback, key, findUser, count, req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendText(res, 500, `emulator error: ${error instanceof Error ? error.message : String(error)}`, "text/plain; charset=utf-8")
      } else {
        res.destroy()
      }
    })
  }

  const makeLogoutToken = async (o: LogoutTokenOptions): Promise<string> => {
    const clientId = o.clientId ?? firstClient.clientId
    const iat = o.iat ?? nowSeconds()
    const payload: jose.JWTPayload = {
      iss: o.iss ?? issuer,
      aud: o.aud ?? clientId,
      iat,
      exp: nowSeconds() + (o.expiresIn ?? 120),
      ...(o.jti === null ? {} : { jti: o.jti ?? randomId(16) }),
      ...(o.events === null ? {} : { events: o.events ?? { "http://schemas.openid.net/event/backchannel-logout": {} } }),
      ...(o.sub !== undefined ? { sub: o.sub } : {}),
      ...(o.sid !== undefined ? { sid: o.sid } : {}),
      ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
      ...(o.nbf !== undefined ? { nbf: o.nbf } : {}),
      ...(o.azp !== undefined ? { azp: o.azp } : {})
    }
    const typ = o.typ === null ? undefined : (o.typ ?? "logout+jwt")
    if (o.foreignKey) {
      const other = await makeTenantKey()
      return signJwt(other, payload, typ)
    }
    return signJwt(key, payload, typ)
  }

  const emulator: Emulator = {
    origin,
    issuer,
    domain: origin,
    clientId: firstClient.clientId,
    clientSecret: firstClient.clientSecret,
    myAccountAudience,

    createUser: async (user) => {
      const { sub: requestedSub, ...claims } = user
      const sub = typeof requestedSub === "string" && requestedSub.length > 0 ? requestedSub : `auth0|${randomId(12)}`
      if (state.users.has(sub)) throw new Error(`User ${sub} already exists`)
      if (findUser(user.email)) throw new Error(`A user with email ${user.email} already exists`)
      state.users.set(sub, {
        sub,
        claims: {
          email_verified: true,
          name: user.email,
          nickname: user.email.split("@")[0],
          picture: `${origin}/avatar.png`,
          updated_at: new Date().toISOString(),
          ...claims
        }
      })
      return { sub }
    },

    login: async (authorizeUrl, { user, consent = true }) => {
      // Without a user, only a one-time login (magic link, session transfer token) can succeed.
      const account = user === undefined ? undefined : findUser(user)
      if (user !== undefined && !account) throw new Error(`Unknown user "${user}": create it with createUser() first`)
      const jar = new CookieJar()
      let url = new URL(authorizeUrl)
      let init: RequestInit = { method: "GET" }
      for (let hop = 0; hop < 20; hop++) {
        const response = await fetch(url, {
          ...init,
          redirect: "manual",
          headers: { ...(init.headers as Record<string, string> | undefined), cookie: jar.header() }
        })
        jar.store(response)
        const location = response.headers.get("location")
        if (response.status >= 300 && response.status < 400 && location) {
          await response.arrayBuffer()
          const next = new URL(location, url)
          if (next.origin !== origin) return next.href
          if (next.pathname.startsWith("/u/login/")) {
            init = {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({ user: account?.sub ?? "", action: consent ? "login" : "deny" }).toString()
            }
          } else {
            init = { method: "GET" }
          }
          url = next
          continue
        }
        const text = await response.text()
        throw new Error(`login() stopped at ${url.pathname} with HTTP ${response.status}: ${pageMessage(text)}`)
      }
      throw new Error("login() followed too many redirects")
    },

    connect: async (connectUri, connectOptions = {}) => {
      const url = new URL(connectUri)
      const page = await fetch(url)
      const html = await page.text()
      if (page.status !== 200) throw new Error(`connect() page answered HTTP ${page.status}: ${pageMessage(html)}`)
      const form = new URLSearchParams({
        ticket: url.searchParams.get("ticket") ?? "",
        decision: connectOptions.deny ? "deny" : "approve"
      })
      if (connectOptions.error) form.set("error", connectOptions.error)
      if (connectOptions.errorDescription) form.set("error_description", connectOptions.errorDescription)
      const response = await fetch(`${origin}/connect`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString()
      })
      await response.arrayBuffer()
      const location = response.headers.get("location")
      if (!location) throw new Error(`connect() consent answered HTTP ${response.status}`)
      return location
    },

    sendBackchannelLogout: async ({ clientId, sub, sid }) => {
      const client = clients.get(clientId ?? firstClient.clientId)
      if (!client) throw new Error(`Unknown client ${clientId}`)
      if (!client.backchannelLogoutUri) throw new Error(`Client ${client.clientId} has no backchannelLogoutUri`)
      if (sub === undefined && sid === undefined) throw new Error("A logout token needs sub, sid or both")
      const token = await makeLogoutToken({
        clientId: client.clientId,
        ...(sub !== undefined ? { sub } : {}),
        ...(sid !== undefined ? { sid } : {})
      })
      const response = await fetch(client.backchannelLogoutUri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ logout_token: token }).toString()
      })
      await response.arrayBuffer()
      return response.status
    },

    makeLogoutToken,
    signToken: async (payload, options = {}) =>
      signJwt(options.foreignKey ? await makeTenantKey() : key, payload as jose.JWTPayload, options.typ),

    fault: (endpoint, f) => {
      const fault: Fault = {
        endpoint,
        remaining: f.times ?? 1,
        status: f.status,
        delayMs: f.delayMs,
        body: f.body,
        contentType: f.contentType
      }
      state.faults.push(fault)
    },

    requestCount: (path, grantType) => {
      let total = 0
      for (const [name, n] of state.counts) {
        const [p = "", grant] = name.split("#")
        if (grantType === undefined ? grant === undefined && underPath(p, path) : grant === grantType && underPath(p, path)) {
          total += n
        }
      }
      return total
    },

    resetCounts: () => {
      state.counts.clear()
      state.dpop.challenges.clear()
    },

    refreshTokenReuseDetections: () => state.refreshFamilies.reuseDetections,
    dpopNonceChallenges: (path) =>
      [...state.dpop.challenges].reduce((total, [p, n]) => (underPath(p, path) ? total + n : total), 0),

    sdkOptions: (options = {}) => {
      const client = clients.get(options.clientId ?? firstClient.clientId)
      if (!client) throw new Error(`Unknown client ${options.clientId}`)
      const redirectUri = options.redirectUri ?? client.redirectUris[0]
      return {
        domain: origin,
        allowInsecureHttp: true,
        clientId: client.clientId,
        ...(client.clientSecret !== undefined ? { clientSecret: client.clientSecret } : {}),
        secret: options.secret ?? sdkSecret,
        ...(redirectUri !== undefined ? { redirectUri } : {}),
        cookie: { secure: false }
      }
    },
    thirdPartyApiUrl: (connection, path = "calendar/events") =>
      `${origin}/thirdparty/${encodeURIComponent(connection)}/${path.replace(/^\//, "")}`,

    addConnectedAccount: async (user, account) => {
      const found = findUser(user)
      if (!found) throw new Error(`Unknown user "${user}"`)
      const stored = storeAccount(state, found.sub, account.connection, account.scopes ?? ["openid"])
      return { id: stored.id }
    },

    enrollMfa: async (user, factor) => {
      const found = findUser(user)
      if (!found) throw new Error(`Unknown user "${user}"`)
      const channel = factor.type === "push" ? "auth0" : factor.type === "otp" ? undefined : factor.type
      const { authenticator, recoveryCode } = addAuthenticator(
        state,
        found.sub,
        { type: factor.type === "otp" ? "otp" : "oob", channel, name: factor.name },
        true
      )
      return {
        authenticatorId: authenticator.id,
        ...(authenticator.secret !== undefined ? { secret: authenticator.secret } : {}),
        ...(recoveryCode !== undefined ? { recoveryCode } : {})
      }
    },

    lastMfaCode: (user) => {
      const found = findUser(user)
      return found ? state.mfa.lastCodes.get(found.sub) : undefined
    },

    approveMfaPush: (user) => {
      const found = findUser(user)
      return found ? approvePush(state, found.sub) : 0
    },

    createOrganization: async (organization) => {
      const org = createTenantOrganization(state.organizations, organization)
      return { id: org.id, name: org.name }
    },

    addMember: async (organization, user) => {
      const org = findOrganization(state.organizations, organization)
      if (!org) throw new Error(`Unknown organization "${organization}"`)
      const found = findUser(user)
      if (!found) throw new Error(`Unknown user "${user}"`)
      addOrganizationMember(org, found.sub)
    },

    createInvitation: async (organization, invitation) => {
      const org = findOrganization(state.organizations, organization)
      if (!org) throw new Error(`Unknown organization "${organization}"`)
      const client = clients.get(invitation.clientId ?? firstClient.clientId)
      if (!client) throw new Error(`Unknown client ${invitation.clientId}`)
      const redirect = client.redirectUris[0]
      const loginUri = invitation.loginUri ?? (redirect ? `${new URL(redirect).origin}/login` : undefined)
      if (!loginUri) throw new Error(`Client ${client.clientId} has no redirect URI: pass loginUri`)
      const created = createOrganizationInvitation(state.organizations, org, { email: invitation.email, clientId: client.clientId, loginUri })
      return { id: created.id, url: created.url }
    },

    identities: (user) => {
      const found = findUser(user)
      if (!found) throw new Error(`Unknown user "${user}"`)
      return identitiesOf(state.linking, found)
    },
    lastPasswordlessCode: (recipient) => lastPasswordlessCode(state, recipient),
    lastMagicLink: (email) => lastMagicLink(state, email),
    lastPasswordResetTicket: (email) => lastPasswordResetTicket(state, email),
    checkPassword: (email, password) => checkPassword(state, email, password),

    approveBackchannel: (target) => approveBackchannel(state, provider, target, findUser, OIDC_SCOPES),
    denyBackchannel: (target) => denyBackchannel(state, provider, target, findUser),
    pendingBackchannelRequests: () =>
      [...state.ciba.requests.values()].filter((r) => r.status === "pending" && r.expiresAt > nowSeconds()).map((r) => ({ ...r })),
    slowDownBackchannelPolls: (times = 1) => {
      state.ciba.slowDown += times
    },

    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
  return emulator
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Request bodies the emulator reads itself before deciding who answers. */
const readsBody = (method: string, path: string): boolean =>
  method === "POST" &&
  (path === "/oauth/token" || path === "/oauth/par" || path === CIBA_PATH || path.startsWith("/me/") || path === "/connect" || path.startsWith("/u/login/") ||
    path.startsWith("/mfa/") || path === "/oauth/revoke" || path === "/passwordless/start" || path.startsWith("/dbconnections/"))

/** Token and PAR bodies as form parameters (Auth0 also accepts JSON bodies there). */
const formParams = (req: IncomingMessage, raw: string): URLSearchParams => {
  if (mediaType(req) === "application/json") {
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(parsed)) if (v !== undefined && v !== null) params.set(k, String(v))
      return params
    } catch {
      return new URLSearchParams()
    }
  }
  return new URLSearchParams(raw)
}

/** A JSON body as an object (Auth0's Authentication API takes JSON or a form), or the form's fields. */
const jsonOrForm = (req: IncomingMessage, raw: string): Record<string, unknown> => {
  if (mediaType(req) === "application/json") {
    try {
      const parsed = JSON.parse(raw) as unknown
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
    } catch {
      return {}
    }
  }
  return Object.fromEntries(new URLSearchParams(raw))
}

const CLIENT_AUTH_PARAMS = ["client_secret", "client_assertion", "client_assertion_type"]

const handle = async (
  state: State,
  provider: Provider,
  providerCallback: (req: IncomingMessage, res: ServerResponse) => unknown,
  key: TenantKey,
  findUser: (user: string) => UserRecord | undefined,
  count: (name: string) => void,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> => {
  const url = new URL(req.url ?? "/", state.origin)
  const path = url.pathname
  const method = req.method ?? "GET"
  const consumed = readsBody(method, path)
  const raw = consumed ? await readBody(req) : ""
  const params = path === "/oauth/token" || path === "/oauth/par" ? formParams(req, raw) : undefined

  count(path)
  if (path === "/oauth/token") count(`${path}#${params?.get("grant_type") ?? ""}`)

  const faultIndex = state.faults.findIndex((f) => f.remaining > 0 && underPath(path, f.endpoint))
  if (faultIndex >= 0) {
    const fault = state.faults[faultIndex]!
    fault.remaining -= 1
    if (fault.remaining <= 0) state.faults.splice(faultIndex, 1)
    if (fault.delayMs) await sleep(fault.delayMs)
    if (fault.status !== undefined) {
      return sendText(
        res,
        fault.status,
        fault.body ?? JSON.stringify({ error: "emulated_fault", error_description: "Fault injected by the emulator" }),
        fault.contentType ?? "application/json; charset=utf-8"
      )
    }
  }

  // Revocation: the emulator's own (the refresh tokens it minted are not oidc-provider's).
  if (path === "/oauth/revoke" && method === "POST") {
    const form = formParams(req, raw)
    const auth = await authenticateClient(state, form, req.headers.authorization)
    if (!auth.ok) return sendOAuthError(res, auth.status, auth.error, auth.description)
    return handleRevocation(state, provider, auth.client, form, res)
  }

  if (path === "/passwordless/start" && method === "POST") {
    const body = jsonOrForm(req, raw)
    const auth = await authenticateClient(state, formParams(req, raw), req.headers.authorization)
    if (!auth.ok) return sendOAuthError(res, auth.status, auth.error, auth.description)
    return handlePasswordlessStart(state, auth.client, body, res)
  }
  if (path === "/passwordless/verify_redirect" && method === "GET") return handleVerifyRedirect(state, res, url)
  if (path === "/dbconnections/signup" && method === "POST") return handleSignup(state, jsonOrForm(req, raw), res)
  if (path === "/dbconnections/change_password" && method === "POST") return handleChangePassword(state, jsonOrForm(req, raw), res)
  if (path === CIBA_PATH && method === "POST") return handleBackchannelAuthorize(state, req, res, raw, providerCallback)

  // Token endpoint and PAR: the emulator authenticates the client itself, answers the refresh and
  // Token Vault grants, and hands the rest to oidc-provider without the credentials.
  if ((path === "/oauth/token" || path === "/oauth/par") && method === "POST" && params) {
    const auth = await authenticateClient(state, params, req.headers.authorization)
    if (!auth.ok) {
      return sendOAuthError(res, auth.status, auth.error, auth.description, auth.basic ? { "www-authenticate": 'Basic realm="auth0-emulator"' } : {})
    }
    const grantType = params.get("grant_type")
    // Grants the emulator answers itself verify the proof here (oidc-provider checks its own).
    const ownGrant = grantType === "refresh_token" || grantType === TOKEN_VAULT_GRANT || isMfaGrant(grantType) ||
      grantType === PASSWORDLESS_OTP_GRANT || grantType === TOKEN_EXCHANGE_GRANT || isSessionTransferRequest(state, params)
    const dpop = path === "/oauth/token" ? await checkTokenRequest(state.dpop, req, res, state.origin, path, ownGrant) : { jkt: undefined }
    if (dpop === undefined) return
    if (path === "/oauth/token" && grantType === "refresh_token") {
      return handleRefreshGrant(state, provider, key, auth.client, params, res, dpop.jkt)
    }
    if (path === "/oauth/token" && grantType === TOKEN_VAULT_GRANT) {
      return handleTokenVaultGrant(state, provider, auth.client, params, res, dpop.jkt)
    }
    if (path === "/oauth/token" && isMfaGrant(grantType)) return handleMfaGrant(state, key, auth.client, params, res, dpop.jkt)
    if (path === "/oauth/token" && grantType === "authorization_code" && (await codeGrantNeedsMfa(state, provider, auth.client.clientId, params, res))) return
    if (path === "/oauth/token" && grantType === PASSWORDLESS_OTP_GRANT) {
      return handlePasswordlessGrant(state, key, auth.client, params, res, dpop.jkt)
    }
    if (path === "/oauth/token" && isSessionTransferRequest(state, params)) {
      return handleSessionTransferGrant(state, key, auth.client, params, res)
    }
    if (path === "/oauth/token" && grantType === TOKEN_EXCHANGE_GRANT) return handleTokenExchangeGrant(state, key, auth.client, params, res, dpop.jkt)
    if (path === "/oauth/token" && grantType === CIBA_GRANT && interceptCibaPoll(state, params, res)) return
    if (path === "/oauth/par") withOfflineAccessPrompt(params)
    if (path === "/oauth/par") withoutLinkingAudience(params)
    for (const name of CLIENT_AUTH_PARAMS) params.delete(name)
    params.set("client_id", auth.client.clientId)
    delete req.headers.authorization
    req.headers["content-type"] = "application/x-www-form-urlencoded"
    if (path === "/oauth/token" && grantType === "authorization_code") {
      await reportLoginScopes(provider, params.get("code") ?? "", res)
    }
    countProviderChallenges(state.dpop, res, path)
    return void providerCallback(withBody(req, params.toString()), res)
  }

  if (await handleMyAccount(state, key, req, res, url, raw)) return
  if (path.startsWith("/mfa/") && (await handleMfaApi(state, req, res, path, raw))) return
  if (path === "/connect") return handleConnectPage(state, req, res, url, raw)
  if (path.startsWith("/thirdparty/") && (await handleThirdPartyApi(state, req, res, url))) return
  if (path === "/v2/logout" && method === "GET") return handleV2Logout(state, res, url)
  if (path.startsWith("/u/login/")) return handleLoginInteraction(state, provider, findUser, req, res, raw)
  if (path === "/avatar.png") return sendText(res, 404, "", "image/png")
  if (path === "/authorize" && method === "GET" && withoutLinkingAudience(url.searchParams)) {
    req.url = `${url.pathname}${url.search}`
  }
  if (path === "/authorize" && method === "GET" && withOfflineAccessPrompt(url.searchParams)) {
    req.url = `${url.pathname}${url.search}`
  }

  providerCallback(consumed ? withBody(req, raw) : req, res)
}

/**
 * With `audience`, oidc-provider's code-grant response lists only the API's scopes; Auth0 lists the
 * granted OIDC scopes too (`openid profile email offline_access read:x`). Rewrite the JSON body on its way out.
 */
const reportLoginScopes = async (provider: Provider, code: string, res: ServerResponse): Promise<void> => {
  const models = provider as unknown as { AuthorizationCode: { find(value: string): Promise<{ scope?: string; resource?: unknown } | undefined> } }
  let granted: { scope?: string; resource?: unknown } | undefined
  try {
    granted = await models.AuthorizationCode.find(code)
  } catch {
    return
  }
  if (!granted?.scope || granted.resource === undefined) return
  const oidcScopes = granted.scope.split(" ").filter((s) => OIDC_SCOPES.has(s))
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: Array<unknown>) => ServerResponse
  res.end = ((chunk?: unknown, ...rest: Array<unknown>) => {
    if (res.statusCode === 200 && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
      try {
        const body = JSON.parse(chunk.toString()) as Record<string, unknown>
        const apiScopes = typeof body["scope"] === "string" ? body["scope"].split(" ").filter((s) => s.length > 0) : []
        body["scope"] = [...new Set([...oidcScopes, ...apiScopes])].join(" ")
        const text = JSON.stringify(body)
        res.setHeader("content-length", Buffer.byteLength(text))
        return end(text, ...rest.filter((r) => typeof r === "function"))
      } catch {
        // not JSON: leave it alone
      }
    }
    return end(chunk, ...rest)
  }) as typeof res.end
}

/**
 * Auth0's `/v2/logout`: clears the login session and redirects to `returnTo` when it is one of the
 * client's Allowed Logout URLs (https://auth0.com/docs/authenticate/login/logout/redirect-users-after-logout).
 */
const handleV2Logout = (state: State, res: ServerResponse, url: URL): void => {
  const clientId = url.searchParams.get("client_id")
  const returnTo = url.searchParams.get("returnTo")
  const client = clientId ? state.clients.get(clientId) : undefined
  if (clientId && !client) return sendHtml(res, 400, errorPage("Invalid request", `Unknown client_id "${clientId}"`))
  const clearCookies = ["_session", "_session.sig", "_session.legacy", "_session.legacy.sig"].map(
    (name) => `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`
  )
  if (returnTo === null) {
    res.setHeader("set-cookie", clearCookies)
    return sendHtml(res, 200, messagePage("Logged out", "You are logged out."))
  }
  const allowed = client
    ? (client.postLogoutRedirectUris ?? [])
    : [...state.clients.values()].flatMap((c) => c.postLogoutRedirectUris ?? [])
  if (!allowed.includes(returnTo)) {
    return sendHtml(
      res,
      400,
      errorPage("Invalid returnTo", `"${returnTo}" is not in the Allowed Logout URLs of ${client ? `client "${client.clientId}"` : "the tenant"}`)
    )
  }
  redirect(res, returnTo, 302, { "set-cookie": clearCookies })
}

interface InteractionDetails {
  readonly uid: string
  readonly prompt: { readonly name: string; readonly details: Record<string, unknown> }
  readonly params: Record<string, unknown>
  readonly session?: { readonly accountId?: string }
  readonly grantId?: string
}

/** The login page (GET) and its form post (POST) for an oidc-provider interaction. */
const handleLoginInteraction = async (
  state: State,
  provider: Provider,
  findUser: (user: string) => UserRecord | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string
): Promise<void> => {
  let details: InteractionDetails
  try {
    details = (await provider.interactionDetails(req, res)) as unknown as InteractionDetails
  } catch {
    return sendHtml(res, 400, errorPage("Login session expired", "Start the login again from the application."))
  }
  const action = `/u/login/${details.uid}`
  const users = [...state.users.values()].map((u) => ({
    sub: u.sub,
    email: typeof u.claims["email"] === "string" ? u.claims["email"] : undefined
  }))
  const clientId = String(details.params["client_id"] ?? "")
  const loginHint = typeof details.params["login_hint"] === "string" ? details.params["login_hint"] : undefined

  // A session transfer token or magic-link ticket logs its user in, once, instead of the login page.
  const ticket = details.prompt.name === "login" ? redeemLoginTicket(state, details.params) : undefined
  if (ticket !== undefined && !ticket.ok) return sendHtml(res, 400, errorPage("Invalid session transfer token", ticket.detail))
  if (ticket !== undefined) {
    return provider.interactionFinished(req, res, { login: { accountId: ticket.sub, ts: nowSeconds() } }, { mergeWithLastSubmission: false })
  }

  if (details.prompt.name === "consent") {
    // Consent is implicit (first-party application); grant what is missing and move on.
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined
    const grant = existing ?? new provider.Grant({ accountId: details.session?.accountId ?? "", clientId })
    const missingScopes = details.prompt.details["missingOIDCScope"] as Array<string> | undefined
    if (missingScopes) grant.addOIDCScope(missingScopes.join(" "))
    const missingClaims = details.prompt.details["missingOIDCClaims"] as Array<string> | undefined
    if (missingClaims) grant.addOIDCClaims(missingClaims)
    const missingResource = details.prompt.details["missingResourceScopes"] as Record<string, Array<string>> | undefined
    for (const [indicator, scopes] of Object.entries(missingResource ?? {})) grant.addResourceScope(indicator, scopes.join(" "))
    const grantId = await grant.save()
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }

  if (req.method !== "POST") {
    return sendHtml(res, 200, loginPage({ action, clientId, users, loginHint }))
  }
  const form = new URLSearchParams(raw)
  if (form.get("action") === "deny") {
    return provider.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "The user cancelled the login" },
      { mergeWithLastSubmission: false }
    )
  }
  const user = findUser((form.get("user") ?? "").trim())
  if (!user) {
    return sendHtml(res, 400, loginPage({ action, clientId, users, loginHint, error: "Wrong email or user id." }))
  }
  // Account linking may complete the login as another (the primary) user; organizations admit or refuse it.
  const linked = onLogin(state.linking, state.users, details.params, user)
  const account = "accountId" in linked ? state.users.get(linked.accountId) : undefined
  const refusal = "error" in linked ? linked : account ? admit(state.organizations, details.params, clientId, account) : undefined
  if (refusal || !account) {
    return provider.interactionFinished(
      req,
      res,
      { error: refusal?.error ?? "access_denied", error_description: refusal?.description ?? "Unknown user" },
      { mergeWithLastSubmission: false }
    )
  }
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.sub, ts: nowSeconds() } },
    { mergeWithLastSubmission: false }
  )
}

