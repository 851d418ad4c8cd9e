/**
 * The demo app: a small `node:http` server using `ServerClient` from @auth0-effect/node against
 * the local Auth0 emulator from @auth0-effect/testing. Everything runs on 127.0.0.1, in memory.
 *
 * `startDemo()` starts both and resolves once they listen, so tests can run it in-process;
 * `main.ts` is the command line around it.
 */
import { createHash, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { StateStore } from "@auth0-effect/core/StateStore"
import { AccessTokenForConnectionError, Auth0Error, ServerClient } from "@auth0-effect/node"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { display, html, keyValueTable, layout, type LayoutUser } from "./html.js"
import { safeReturnTo } from "./returnTo.js"

/** The API the demo asks tokens for through MRRT. */
export const DEMO_API = "https://api.demo.local"
/** Scopes the API defines; the client's refresh policy allows only the first two. */
export const DEMO_API_SCOPES = ["read:messages", "write:messages", "delete:messages"] as const
export const DEMO_API_POLICY_SCOPES = ["read:messages", "write:messages"] as const
export const DEMO_CLIENT_ID = "auth0-effect-demo"
/** Users seeded in the emulator. */
export const DEMO_USERS = [
  { email: "ada@example.com", name: "Ada Lovelace", sub: "auth0|ada" },
  { email: "grace@example.com", name: "Grace Hopper", sub: "auth0|grace" }
] as const

const MY_ACCOUNT_SCOPES = ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
/** Scopes asked of each provider on connect; the fake calendar API wants one mentioning "calendar". */
const CONNECT_SCOPES: Readonly<Record<string, ReadonlyArray<string>>> = {
  "google-oauth2": ["openid", "email", "profile", "https://www.googleapis.com/auth/calendar.readonly"]
}
const CONNECT_LABELS: Readonly<Record<string, string>> = { "google-oauth2": "Google", github: "GitHub" }

export interface DemoOptions {
  /** Port of the app; default 3000. When it is taken, a free port is used instead. */
  readonly port?: number | undefined
  /** Port of the emulator; default a free one. */
  readonly emulatorPort?: number | undefined
}

export interface Demo {
  /** The app's URL, `http://127.0.0.1:PORT/`. */
  readonly url: string
  readonly emulator: Emulator
  /** True when the requested port was taken and another one was picked. */
  readonly portFallback: boolean
  stop(): Promise<void>
}

/** What the Node `ServerClient` takes to identify a request. */
type StoreOptions = { readonly req: IncomingMessage; readonly res: ServerResponse }

/** A refused request (failed same-origin check, oversized form, upstream API error). */
class HttpProblem extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** A page that needs a session was opened without one: redirect to login and back. */
class LoginRequired extends Error {}

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

const readForm = async (req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new HttpProblem(413, "The form is too large.")
    chunks.push(chunk as Buffer)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
}

/** A short, one-way fingerprint of a token, so pages can tell tokens apart without showing them. */
const fingerprint = (token: string): string => `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 12)}`

const expiry = (expiresAt: number): string => {
  const seconds = Math.round(expiresAt - Date.now() / 1000)
  return `${new Date(expiresAt * 1000).toISOString()} (in ${Math.floor(seconds / 60)} min ${seconds % 60} s)`
}

const userLabel = (user: Record<string, unknown>): string =>
  [user["name"], user["email"]].filter((v): v is string => typeof v === "string").filter((v, i, all) => all.indexOf(v) === i)
    .join(" · ") || String(user["sub"])

const statusOf = (error: Auth0Error): number => {
  switch (error._tag) {
    case "MissingSessionError":
      return 401
    case "InvalidArgumentError":
    case "MissingRequiredArgumentError":
    case "MissingTransactionError":
    case "AuthorizationError":
    case "IdTokenValidationError":
    case "BackchannelLogoutError":
      return 400
    default:
      return 502
  }
}

/**
 * Starts the emulator (seeded with {@link DEMO_USERS}, the API {@link DEMO_API} and refresh
 * policies for it and the My Account API) and the app on 127.0.0.1.
 */
export const startDemo = async (options: DemoOptions = {}): Promise<Demo> => {
  // The app listens first: its port goes into the emulator's redirect and logout URLs.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end()
  }
  const server = createServer((req, res) => handler(req, res))
  const requested = options.port ?? 3000
  let port: number
  let portFallback = false
  try {
    port = await listen(server, requested)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error
    port = await listen(server, 0)
    portFallback = true
  }
  const origin = `http://127.0.0.1:${port}`
  const host = `127.0.0.1:${port}`

  let emulator: Emulator
  try {
    const clientSecret = randomBytes(24).toString("base64url")
    emulator = await startEmulator({
      ...(options.emulatorPort !== undefined ? { port: options.emulatorPort } : {}),
      clients: [{
        clientId: DEMO_CLIENT_ID,
        clientSecret,
        redirectUris: [`${origin}/callback`],
        postLogoutRedirectUris: [`${origin}/`],
        backchannelLogoutUri: `${origin}/backchannel-logout`,
        refreshTokenPolicies: [
          { audience: DEMO_API, scopes: [...DEMO_API_POLICY_SCOPES] },
          { audience: "{origin}/me/", scopes: MY_ACCOUNT_SCOPES }
        ]
      }],
      apis: [{ audience: DEMO_API, scopes: [...DEMO_API_SCOPES] }]
    })
    for (const user of DEMO_USERS) await emulator.createUser({ ...user })

    const auth0 = new ServerClient({
      domain: emulator.domain,
      clientId: DEMO_CLIENT_ID,
      clientSecret,
      // A fresh secret each run: sessions live in this process's memory anyway.
      secret: randomBytes(32).toString("base64url"),
      redirectUri: `${origin}/callback`,
      authorizationParams: {
        scope: {
          // Login (no audience).
          "": "openid profile email offline_access",
          // The recommended My Account scope map: one token serves connect, list and delete.
          [`${emulator.origin}/me/`]: MY_ACCOUNT_SCOPES.join(" ")
        }
      },
      // LOCAL ONLY: the emulator speaks plain http on loopback, and so does this app. Never set
      // either of these in production.
      allowInsecureHttp: true,
      cookie: { secure: false },
      // Sessions kept server-side (the cookie holds only an encrypted id), so back-channel logout
      // can find and delete them.
      sessionStore: StateStore.memory
    })
    handler = makeHandler({ auth0, emulator, origin, host })

    return {
      url: `${origin}/`,
      emulator,
      portFallback,
      stop: async () => {
        await closeServer(server)
        await auth0.dispose()
        await emulator.stop()
      }
    }
  } catch (error) {
    await closeServer(server)
    throw error
  }
}

interface AppContext {
  readonly auth0: ServerClient
  readonly emulator: Emulator
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  /** `127.0.0.1:PORT` */
  readonly host: string
}

const makeHandler = (app: AppContext) => (req: IncomingMessage, res: ServerResponse): void => {
  handle(app, req, res).catch((error: unknown) => {
    console.error("demo: unexpected error", error)
    if (!res.headersSent) send(res, 500, layout("Something went wrong", html`<p class="error">Internal error.</p>`, undefined))
    else res.end()
  })
}

const securityHeaders = (emulatorOrigin: string): Record<string, string> => ({
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // same-origin keeps the Origin header on our own form posts (no-referrer would make it "null").
  "referrer-policy": "same-origin",
  // Forms post here and redirect to the emulator (login, connect, logout).
  "content-security-policy":
    `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' ${emulatorOrigin}; frame-ancestors 'none'; base-uri 'none'`
})

const send = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" })
  res.end(body)
}

const redirect = (res: ServerResponse, location: string): void => {
  res.writeHead(302, { location })
  res.end()
}

const handle = async (app: AppContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  for (const [name, value] of Object.entries(securityHeaders(app.emulator.origin))) res.setHeader(name, value)
  const method = req.method ?? "GET"
  // One canonical host: cookies set on localhost would not reach the 127.0.0.1 callback.
  if (req.headers.host !== app.host) {
    if (method === "GET" || method === "HEAD") return redirect(res, `${app.origin}${req.url ?? "/"}`)
    return send(res, 421, layout("Wrong host", html`<p>Use <a href="${app.origin}/">${app.origin}</a>.</p>`, undefined))
  }
  // Appended to the origin, not resolved against it: a request path like `//host/x` stays here.
  const url = new URL(`${app.origin}${req.url ?? "/"}`)
  const storeOptions = { req, res }
  const route = `${method} ${url.pathname}`
  try {
    switch (route) {
      case "GET /":
        return await home(app, storeOptions)
      case "GET /login":
        return await login(app, url, storeOptions)
      case "GET /callback":
        return await callback(app, url, storeOptions)
      case "GET /logout":
        return await logoutPage(app, storeOptions)
      case "POST /logout":
        return await logout(app, storeOptions)
      case "GET /profile":
        return await profile(app, storeOptions)
      case "GET /api-token":
        return await apiToken(app, url, storeOptions)
      case "GET /connections":
        return await connections(app, storeOptions)
      case "POST /connect":
        return await connect(app, storeOptions)
      case "POST /disconnect":
        return await disconnect(app, storeOptions)
      case "GET /calendar":
        return await calendar(app, storeOptions)
      case "POST /backchannel-logout":
        return await backchannelLogout(app, storeOptions)
      case "POST /simulate-backchannel-logout":
        return await simulateBackchannelLogout(app, storeOptions)
      case "GET /favicon.ico":
        res.writeHead(204).end()
        return
      default:
        return send(res, 404, layout("Not found", html`<p>No page at <code>${url.pathname}</code>. <a href="/">Home</a></p>`, await currentUser(app, storeOptions)))
    }
  } catch (error) {
    if (res.headersSent) return void res.end()
    if (error instanceof LoginRequired) {
      // Back to the page after login; a form post cannot be replayed, so that goes home.
      const back = method === "GET" ? `${url.pathname}${url.search}` : "/"
      return redirect(res, `/login?returnTo=${encodeURIComponent(back)}`)
    }
    return errorPage(app, error, storeOptions)
  }
}

/** The header's user, or undefined; a broken session store shows as logged out here. */
const currentUser = async (app: AppContext, storeOptions: StoreOptions): Promise<LayoutUser | undefined> => {
  try {
    const user = await app.auth0.getUser(storeOptions)
    return user ? { label: userLabel(user) } : undefined
  } catch {
    return undefined
  }
}

const requireUser = async (app: AppContext, storeOptions: StoreOptions) => {
  const user = await app.auth0.getUser(storeOptions)
  if (!user) throw new LoginRequired()
  return user
}

/**
 * CSRF check for state-changing POSTs: session cookies are SameSite=Lax (so cross-site posts
 * carry none), and the Origin (or, failing that, Referer) must be this app.
 */
const requireSameOrigin = (app: AppContext, req: IncomingMessage): void => {
  const origin = req.headers.origin
  let from: string | undefined = typeof origin === "string" ? origin : undefined
  if (from === undefined && typeof req.headers.referer === "string") {
    try {
      from = new URL(req.headers.referer).origin
    } catch {
      from = undefined
    }
  }
  if (from !== app.origin) throw new HttpProblem(403, "This form must be posted from the demo's own pages.")
}

/** Typed errors become a page with the error's `_tag` and message: no stack, no tokens. */
const errorPage = async (app: AppContext, error: unknown, storeOptions: StoreOptions): Promise<void> => {
  const user = await currentUser(app, storeOptions)
  if (error instanceof Auth0Error) {
    return send(storeOptions.res, statusOf(error), layout("Something went wrong", html`
<p class="error" id="error"><code id="error-tag">${error._tag}</code> <span id="error-message">${error.message}</span></p>
<p><a href="/">Back home</a>${user ? "" : html` · <a href="/login">Log in</a>`}</p>`, user))
  }
  if (error instanceof HttpProblem) {
    return send(storeOptions.res, error.status, layout("Request refused", html`<p class="error" id="error">${error.message}</p>`, user))
  }
  throw error
}

const home = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const user = await app.auth0.getUser(storeOptions)
  if (!user) {
    return send(storeOptions.res, 200, layout("Welcome", html`
<p>You are not logged in.</p>
<p><a href="/login" id="login" class="button">Log in</a></p>
<p class="note">The login page is the local Auth0 emulator's. Demo users: ${DEMO_USERS.map((u, i) => html`${i ? ", " : ""}<code>${u.email}</code>`)}.</p>`, undefined))
  }
  return send(storeOptions.res, 200, layout("Welcome back", html`
<p id="user">Logged in as <strong id="user-name">${display(user["name"] ?? user.sub)}</strong>${typeof user["email"] === "string" ? html` (<span id="user-email">${user["email"]}</span>)` : ""}.</p>
<ul id="nav">
<li><a href="/profile">Profile</a>: your claims and token sets (getSession)</li>
<li><a href="/api-token">API token</a>: an access token for ${DEMO_API} through MRRT (getAccessToken)</li>
<li><a href="/connections">Connections</a>: link Google or GitHub (My Account API)</li>
<li><a href="/calendar">Calendar</a>: Google events through Token Vault (getAccessTokenForConnection)</li>
</ul>
<form method="post" action="/logout"><button type="submit" class="secondary" id="logout-main">Log out</button></form>`, { label: userLabel(user) }))
}

/** Starts a login; `returnTo` rides along in the transaction's appState, checked to stay on this app. */
const login = async (app: AppContext, url: URL, storeOptions: StoreOptions): Promise<void> => {
  const returnTo = safeReturnTo(url.searchParams.get("returnTo"))
  const to = await app.auth0.startInteractiveLogin({ appState: { returnTo } }, storeOptions)
  return redirect(storeOptions.res, to.href)
}

/** Ends the session here, then at the tenant, which redirects back home. */
const logout = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  requireSameOrigin(app, storeOptions.req)
  const to = await app.auth0.logout({ returnTo: `${app.origin}/` }, storeOptions)
  return redirect(storeOptions.res, to.href)
}

/** One callback URL for login and connect: `handleCallback` completes whichever the URL carries. */
const callback = async (app: AppContext, url: URL, storeOptions: StoreOptions): Promise<void> => {
  // On failure the error page is shown and the session the user already had is left as it was.
  const result = await app.auth0.handleCallback(url, storeOptions)
  const appState = result.appState as { readonly returnTo?: unknown } | undefined
  const fallback = result._tag === "Connect" ? "/connections" : "/"
  const target = safeReturnTo(appState?.returnTo)
  return redirect(storeOptions.res, target === "/" ? fallback : target)
}

const logoutPage = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const user = await currentUser(app, storeOptions)
  if (!user) return redirect(storeOptions.res, "/")
  return send(storeOptions.res, 200, layout("Log out", html`
<form method="post" action="/logout"><button type="submit" id="logout-confirm">Log out</button></form>`, user))
}

const profile = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const session = await app.auth0.getSession(storeOptions)
  if (!session) throw new LoginRequired()
  const user = { label: userLabel(session.user) }
  const claims = Object.entries(session.user).map(([k, v]) => [k, display(v)] as const)
  const tokenRows = session.tokenSets.map((set) =>
    html`<tr><td>${set.audience}</td><td>${set.scope}</td><td>${expiry(set.expiresAt)}</td><td><code>${fingerprint(set.accessToken)}</code></td></tr>`
  )
  const connectionRows = session.connectionTokenSets.map((set) =>
    html`<tr><td>${set.connection}</td><td>${set.scope}</td><td>${expiry(set.expiresAt)}</td><td><code>${fingerprint(set.accessToken)}</code></td></tr>`
  )
  return send(storeOptions.res, 200, layout("Profile", html`
<h2>User claims</h2>
${keyValueTable("claims", claims)}
<h2>Access tokens (one per API)</h2>
<table id="token-sets"><thead><tr><th>audience</th><th>scope granted</th><th>expires</th><th>fingerprint</th></tr></thead>
<tbody>${tokenRows}</tbody></table>
<h2>Token Vault tokens</h2>
${connectionRows.length === 0
      ? html`<p class="note" id="no-connection-tokens">None cached yet: open <a href="/calendar">Calendar</a> after connecting Google.</p>`
      : html`<table id="connection-token-sets"><thead><tr><th>connection</th><th>scope</th><th>expires</th><th>fingerprint</th></tr></thead><tbody>${connectionRows}</tbody></table>`}
<p>ID token: ${session.idToken ? "present" : "absent"} · refresh token: ${session.refreshToken ? "present" : "absent"}</p>
<p class="note">Tokens are never shown; a fingerprint (first 12 hex digits of SHA-256) tells them apart.</p>
<h2>Back-channel logout</h2>
<p class="note">Asks the emulator to send a signed logout token to <code>/backchannel-logout</code>, as Auth0 does when the user's
session ends elsewhere. The server-side session is deleted; your next page load shows you logged out.</p>
<form method="post" action="/simulate-backchannel-logout"><button type="submit" class="danger" id="simulate-backchannel">Send a back-channel logout</button></form>`, user))
}

const apiToken = async (app: AppContext, url: URL, storeOptions: StoreOptions): Promise<void> => {
  const user = await requireUser(app, storeOptions)
  // Only scopes the API defines are passed on; anything else in the query is ignored.
  const asked = (url.searchParams.get("scope") ?? "read:messages").split(" ")
    .filter((s) => (DEMO_API_SCOPES as ReadonlyArray<string>).includes(s))
  const scope = asked.length > 0 ? asked.join(" ") : "read:messages"
  const token = await app.auth0.getAccessToken({ audience: DEMO_API, scope }, storeOptions)
  const dropped = scope.split(" ").filter((s) => !token.scope.split(" ").includes(s))
  return send(storeOptions.res, 200, layout("API token", html`
<p>One refresh token, many APIs (MRRT): this token for <code>${DEMO_API}</code> came from the refresh token of your login.</p>
${keyValueTable("api-token", [
    ["audience", html`<span id="audience">${token.audience}</span>`],
    ["scope asked", html`<span id="scope-asked">${scope}</span>`],
    ["scope granted", html`<span id="scope-granted">${token.scope}</span>`],
    ["expires", html`<span id="expires">${expiry(token.expiresAt)}</span>`],
    ["fingerprint", html`<code>${fingerprint(token.accessToken)}</code>`]
  ])}
${dropped.length > 0 ? html`<p class="note" id="dropped">Not granted: ${dropped.join(" ")} (outside the client's refresh policy; Auth0 drops such scopes silently).</p>` : ""}
<p>Ask for: <a href="/api-token?scope=read:messages">read:messages</a> ·
<a href="/api-token?scope=${"read:messages write:messages"}">read:messages write:messages</a> ·
<a href="/api-token?scope=${"read:messages delete:messages"}" id="ask-outside-policy">read:messages delete:messages</a> (delete is outside the policy)</p>`, { label: userLabel(user) }))
}

const connections = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const user = await requireUser(app, storeOptions)
  const [{ connections: available }, { accounts }] = await Promise.all([
    app.auth0.listConnectedAccountConnections({}, storeOptions),
    app.auth0.listConnectedAccounts({}, storeOptions)
  ])
  const accountRows = accounts.map((account) =>
    html`<tr data-connection="${account.connection}"><td>${account.connection}</td><td>${account.scopes.join(" ")}</td><td>${account.createdAt}</td>
<td><form method="post" action="/disconnect"><input type="hidden" name="id" value="${account.id}"><button type="submit" class="danger" data-disconnect="${account.connection}">Disconnect</button></form></td></tr>`
  )
  const connectButtons = available.map((connection) =>
    html`<li><form method="post" action="/connect"><input type="hidden" name="connection" value="${connection.name}">
<button type="submit" data-connect="${connection.name}">Connect ${CONNECT_LABELS[connection.name] ?? connection.name}</button>
<span class="note">${connection.strategy}</span></form></li>`
  )
  return send(storeOptions.res, 200, layout("Connections", html`
<h2>Connected accounts</h2>
${accounts.length === 0
      ? html`<p id="no-accounts">No connected accounts yet.</p>`
      : html`<table id="accounts"><thead><tr><th>connection</th><th>scopes</th><th>connected</th><th></th></tr></thead><tbody>${accountRows}</tbody></table>`}
<h2>Connect another account</h2>
<ul id="connections">${connectButtons}</ul>
<p class="note">Listed with listConnectedAccountConnections and listConnectedAccounts (My Account API).</p>`, { label: userLabel(user) }))
}

const connect = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  requireSameOrigin(app, storeOptions.req)
  const form = await readForm(storeOptions.req)
  await requireUser(app, storeOptions)
  const connection = form.get("connection") ?? ""
  const scopes = CONNECT_SCOPES[connection]
  const to = await app.auth0.startConnectAccount(
    { connection, ...(scopes ? { scopes } : {}), appState: { returnTo: "/connections" } },
    storeOptions
  )
  return redirect(storeOptions.res, to.href)
}

const disconnect = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  requireSameOrigin(app, storeOptions.req)
  const form = await readForm(storeOptions.req)
  await requireUser(app, storeOptions)
  await app.auth0.deleteConnectedAccount({ connectedAccountId: form.get("id") ?? "" }, storeOptions)
  return redirect(storeOptions.res, "/connections")
}

interface CalendarEvent {
  readonly id?: unknown
  readonly summary?: unknown
  readonly start?: unknown
}

const calendar = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const user = { label: userLabel(await requireUser(app, storeOptions)) }
  let token
  try {
    token = await app.auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, storeOptions)
  } catch (error) {
    if (error instanceof AccessTokenForConnectionError) {
      return send(storeOptions.res, 200, layout("Calendar", html`
<p id="not-connected">Google isn't connected yet. <a href="/connections">Connect Google</a> first, then come back.</p>
<p class="note">Token Vault answered <code id="error-tag">${error._tag}</code>: <code>${error.error}</code>${error.errorDescription ? html` (${error.errorDescription})` : ""}.</p>`, user))
    }
    throw error
  }
  const response = await fetch(app.emulator.thirdPartyApiUrl("google-oauth2", "calendar/events"), {
    headers: { authorization: `Bearer ${token.accessToken}`, accept: "application/json" },
    signal: AbortSignal.timeout(5_000)
  })
  if (!response.ok) {
    throw new HttpProblem(502, `The calendar API answered ${response.status}.`)
  }
  const body = await response.json() as { readonly items?: ReadonlyArray<CalendarEvent> }
  const events = Array.isArray(body.items) ? body.items : []
  return send(storeOptions.res, 200, layout("Calendar", html`
<p>Events from the fake Google Calendar API, called with a Google token from Token Vault
(scope <code>${token.scope}</code>, expires ${expiry(token.expiresAt)}; cached in the session until then).</p>
<table id="events"><thead><tr><th>when</th><th>what</th></tr></thead><tbody>${
    events.map((event) => html`<tr><td>${display(event.start)}</td><td class="summary">${display(event.summary)}</td></tr>`)
  }</tbody></table>`, user))
}

/** Auth0 POSTs `logout_token` here when a user's session ends elsewhere (OIDC Back-Channel Logout 1.0). */
const backchannelLogout = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  const { res } = storeOptions
  const form = await readForm(storeOptions.req)
  try {
    const deleted = await app.auth0.handleBackchannelLogout(form.get("logout_token") ?? "")
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
    res.end(JSON.stringify({ deleted }))
  } catch (error) {
    if (!(error instanceof Auth0Error)) throw error
    // §2.8: 400 for a token that does not validate, with an OAuth-style error body.
    res.writeHead(400, { "content-type": "application/json", "cache-control": "no-store" })
    res.end(JSON.stringify({ error: "invalid_request", error_description: `${error._tag}: ${error.message}` }))
  }
}

/** Demo only: has the emulator send a back-channel logout for the current user. */
const simulateBackchannelLogout = async (app: AppContext, storeOptions: StoreOptions): Promise<void> => {
  requireSameOrigin(app, storeOptions.req)
  const user = await requireUser(app, storeOptions)
  const status = await app.emulator.sendBackchannelLogout({ clientId: DEMO_CLIENT_ID, sub: user.sub })
  if (status !== 200) throw new HttpProblem(502, `The app answered the back-channel logout with ${status}.`)
  return redirect(storeOptions.res, "/")
}

