/**
 * A scripted Auth0 tenant behind the real `FetchHttpClient.layer`: discovery, the token endpoint
 * (refresh and Token Vault grants) and the My Account connected-accounts endpoints, enough for
 * the Connected Accounts and Token Vault flows. Tests see every request as it was really sent,
 * and can answer the next request to a path themselves (`tenant.answer(...)`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Auth0 from "../../src/Auth0.js"
import { RequestCookies } from "../../src/RequestCookies.js"
import type { FacadeServices } from "../../src/ServerClient.js"
import type { SessionData } from "../../src/Session.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { testOptions } from "./config.js"

export const ORIGIN = testOptions.domain
export const MY_ACCOUNT = `${ORIGIN}/me/v1/connected-accounts`
export const MY_ACCOUNT_AUDIENCE = `${ORIGIN}/me/`

export interface Seen {
  readonly method: string
  readonly url: URL
  readonly headers: Headers
  readonly body: string
}

export type Answer = (request: Seen, signal: AbortSignal | undefined) => Response | Promise<Response>

export const json = (status: number, body: unknown, contentType = "application/json; charset=utf-8") =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "content-type": contentType } })

export const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `https://auth0.com/api-errors/A0E-${status}`, status, title, detail, ...extra }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers }
  })

/** A fetch answer that never comes, except as the abort the timeout sends. */
export const never: Answer = (_request, signal) =>
  new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)))

interface Account {
  id: string
  connection: string
  scopes: Array<string>
  created_at: string
}

export interface FakeTenant {
  readonly seen: Array<Seen>
  /** Requests to a path (exact pathname, or with `grant` the token endpoint's grant_type). */
  readonly count: (path: string, grant?: string) => number
  /** Answers the next request whose pathname ends with `pathSuffix` (and optionally method). */
  readonly answer: (pathSuffix: string, answer: Answer, method?: string) => void
  readonly accounts: Array<Account>
  /** Adds accounts directly, as if connected. */
  readonly seed: (count: number, connection?: string) => void
  readonly fetch: typeof globalThis.fetch
  /** Lifetime of issued tokens. */
  expiresIn: number | undefined
  /** Real milliseconds every answer waits (so concurrent callers overlap). */
  latencyMs: number
}

export const makeFakeTenant = (): FakeTenant => {
  const seen: Array<Seen> = []
  const overrides: Array<{ suffix: string; method: string | undefined; answer: Answer }> = []
  const accounts: Array<Account> = []
  const sessions = new Map<string, { connection: string; code: string | undefined; used: boolean; redirectUri: string; state: string }>()
  let seq = 0
  let tokenSeq = 0

  const tenant: FakeTenant = {
    seen,
    accounts,
    expiresIn: 3600,
    latencyMs: 0,
    count: (path, grant) =>
      seen.filter((r) =>
        r.url.pathname === path && (grant === undefined || new URLSearchParams(r.body).get("grant_type") === grant)
      ).length,
    answer: (suffix, answer, method) => void overrides.push({ suffix, method, answer }),
    seed: (count, connection = "google-oauth2") => {
      for (let i = 0; i < count; i++) {
        seq += 1
        accounts.push({ id: `cac_${seq}`, connection, scopes: ["openid"], created_at: new Date(seq * 1000).toISOString() })
      }
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      const body = request.body ? await request.text() : ""
      const url = new URL(request.url)
      const entry: Seen = { method: request.method, url, headers: request.headers, body }
      seen.push(entry)
      if (tenant.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, tenant.latencyMs))
      const i = overrides.findIndex((o) => url.pathname.endsWith(o.suffix) && (o.method === undefined || o.method === request.method))
      if (i >= 0) {
        const [override] = overrides.splice(i, 1)
        return override!.answer(entry, init?.signal ?? undefined)
      }
      return route(entry)
    }) as typeof globalThis.fetch
  }

  const route = (request: Seen): Response => {
    const path = request.url.pathname
    if (path === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: `${ORIGIN}/`,
        authorization_endpoint: `${ORIGIN}/authorize`,
        token_endpoint: `${ORIGIN}/oauth/token`,
        jwks_uri: `${ORIGIN}/.well-known/jwks.json`
      })
    }
    if (path === "/oauth/token") {
      const form = new URLSearchParams(request.body)
      tokenSeq += 1
      const grant = form.get("grant_type")
      if (grant === "refresh_token") {
        return json(200, {
          access_token: `at-${tokenSeq}`,
          token_type: "Bearer",
          scope: form.get("scope") ?? "",
          ...(tenant.expiresIn !== undefined ? { expires_in: tenant.expiresIn } : {})
        })
      }
      return json(200, {
        access_token: `fat-${tokenSeq}`,
        token_type: "Bearer",
        scope: "https://www.googleapis.com/auth/calendar",
        issued_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
        ...(tenant.expiresIn !== undefined ? { expires_in: tenant.expiresIn } : {})
      })
    }
    const base = "/me/v1/connected-accounts"
    if (path === `${base}/connect` && request.method === "POST") {
      const body = JSON.parse(request.body) as { connection: string; redirect_uri: string; state: string }
      const authSession = `as-${sessions.size + 1}`
      sessions.set(authSession, { connection: body.connection, code: undefined, used: false, redirectUri: body.redirect_uri, state: body.state })
      return json(201, {
        auth_session: authSession,
        connect_uri: `${ORIGIN}/connect`,
        connect_params: { ticket: `ticket-${authSession}` },
        expires_in: 300
      })
    }
    if (path === `${base}/complete` && request.method === "POST") {
      const body = JSON.parse(request.body) as { auth_session: string; connect_code: string }
      const session = sessions.get(body.auth_session)
      if (!session || session.code !== body.connect_code) return problem(400, "Bad Request", "Invalid connect_code")
      if (session.used) return problem(409, "Conflict", "The connect_code was already used")
      session.used = true
      seq += 1
      const account: Account = { id: `cac_${seq}`, connection: session.connection, scopes: ["openid"], created_at: new Date(seq * 1000).toISOString() }
      accounts.push(account)
      return json(201, { ...account, access_type: "offline" })
    }
    if (path === `${base}/accounts` && request.method === "GET") {
      const take = Number(request.url.searchParams.get("take") ?? "10")
      const from = Number(request.url.searchParams.get("from") ?? "0")
      const connection = request.url.searchParams.get("connection")
      const all = accounts.filter((a) => connection === null || a.connection === connection)
      const page = all.slice(from, from + take)
      return json(200, {
        accounts: page.map((a) => ({ ...a, access_type: "offline" })),
        ...(from + take < all.length ? { next: String(from + take) } : {})
      })
    }
    if (path === `${base}/connections` && request.method === "GET") {
      const names = ["google-oauth2", "github", "slack"]
      const take = Number(request.url.searchParams.get("take") ?? "10")
      const from = Number(request.url.searchParams.get("from") ?? "0")
      return json(200, {
        connections: names.slice(from, from + take).map((name) => ({ name, strategy: name, scopes: ["openid"] })),
        ...(from + take < names.length ? { next: String(from + take) } : {})
      })
    }
    if (path.startsWith(`${base}/accounts/`) && request.method === "DELETE") {
      const id = decodeURIComponent(path.slice(`${base}/accounts/`.length))
      const index = accounts.findIndex((a) => a.id === id)
      if (index < 0) return problem(404, "Not Found", `Connected account "${id}" not found`)
      accounts.splice(index, 1)
      return new Response(null, { status: 204 })
    }
    return problem(404, "Not Found", `No route for ${request.method} ${path}`)
  }

  return Object.assign(tenant, {
    /** The connect_code the provider would put on the callback for an auth session. */
    approve: (authSession: string) => {
      const session = sessions.get(authSession)!
      session.code = `code-${authSession}`
      return `https://app.example.com/callback?connect_code=${session.code}&state=${encodeURIComponent(session.state)}`
    }
  })
}

/** The provider's redirect back to the app after the user approved the connect whose URL is `connectUrl`. */
export const approve = (tenant: FakeTenant, connectUrl: URL): string =>
  (tenant as FakeTenant & { approve: (authSession: string) => string }).approve(
    connectUrl.searchParams.get("ticket")!.slice("ticket-".length)
  )

export type FlowServices = FacadeServices | RequestCookies

/** Every service the flows need, over the fake tenant; `options` replace the test configuration's keys. */
export const flowLayer = (tenant: FakeTenant, options: Record<string, unknown> = {}): Layer.Layer<FlowServices> => {
  const http = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, tenant.fetch)))
  const core = Auth0.layerWithoutHttp({ ...testOptions, ...options }).pipe(Layer.provideMerge(http), Layer.orDie)
  return Layer.mergeAll(StateStore.memory, TransactionStore.memory, RequestCookies.memory).pipe(Layer.provideMerge(core))
}

/** A logged-in session with a refresh token and no access tokens yet. */
export const sessionData = (overrides: Partial<SessionData> = {}): SessionData => ({
  user: { sub: "auth0|user-1" },
  refreshToken: "rt-1",
  tokenSets: [],
  connectionTokenSets: [],
  internal: { createdAt: 0 },
  ...overrides
})

/** Stores a logged-in session. */
export const logIn = (overrides: Partial<SessionData> = {}) =>
  Effect.flatMap(StateStore, (store) => store.set(sessionData(overrides)))
