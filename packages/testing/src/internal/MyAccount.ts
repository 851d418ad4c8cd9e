import { createHash } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as jose from "jose"
import type { TenantKey } from "./Keys.js"
import {
  nowSeconds,
  randomId,
  redirect,
  sendHtml,
  sendJson,
  sendProblem,
  type ValidationError
} from "./Http.js"
import { boundJkt, checkResource } from "./Dpop.js"
import { connectPage, errorPage } from "./Pages.js"
import type { ConnectedAccount, State } from "./State.js"

export const MY_ACCOUNT_SCOPES = {
  create: "create:me:connected_accounts",
  read: "read:me:connected_accounts",
  delete: "delete:me:connected_accounts"
} as const

const BASE = "/me/v1/connected-accounts"
const CONNECT_TTL = 300

/** Default scopes and strategy of the fake upstream connections. */
const connectionInfo = (name: string): { strategy: string; scopes: ReadonlyArray<string> } => {
  if (name === "google-oauth2") return { strategy: "google-oauth2", scopes: ["openid", "profile", "email"] }
  if (name === "github") return { strategy: "github", scopes: ["read:user"] }
  return { strategy: name, scopes: ["openid"] }
}

/** Authorization parameters the My Account API forwards to the upstream IdP (its published schema). */
const AUTHORIZATION_PARAMS = new Set([
  "acr_values",
  "audience",
  "resource",
  "display",
  "id_token_hint",
  "login_hint",
  "max_age",
  "prompt",
  "ui_locales",
  "access_type",
  "scope"
])

type Validator = (errors: Array<ValidationError>) => void

const field = (errors: Array<ValidationError>, name: string, detail: string, inBody = true): void => {
  errors.push({ detail, field: name, ...(inBody ? { pointer: `/${name}` } : {}) })
}

const checkString = (
  body: Record<string, unknown>,
  name: string,
  options: { required: boolean; min?: number; max: number }
): Validator => (errors) => {
  const value = body[name]
  if (value === undefined) {
    if (options.required) field(errors, name, `${name} is required`)
    return
  }
  if (typeof value !== "string") return field(errors, name, `${name} must be a string`)
  const min = options.min ?? 1
  if (value.length < min || value.length > options.max) {
    field(errors, name, `${name} length must be between ${min} and ${options.max}`)
  }
}

const checkUri = (body: Record<string, unknown>, name: string): Validator => (errors) => {
  checkString(body, name, { required: true, max: 2048 })(errors)
  const value = body[name]
  if (typeof value === "string" && value.length > 0 && value.length <= 2048 && URL.parse(value) === null) {
    field(errors, name, `${name} must be an absolute URI`)
  }
}

/** Verifies the bearer token: our signature, issuer, My Account audience, expiry, and the endpoint's scope. */
const authorize = async (
  state: State,
  key: TenantKey,
  req: IncomingMessage,
  res: ServerResponse,
  scope: string
): Promise<{ sub: string; clientId: string | undefined } | undefined> => {
  const header = req.headers.authorization ?? ""
  const match = /^(Bearer|DPoP) (.+)$/i.exec(header)
  if (!match) {
    sendProblem(res, 401, "Unauthorized", "Missing bearer token", {
      headers: { "www-authenticate": 'Bearer realm="my-account"' }
    })
    return undefined
  }
  let payload: jose.JWTPayload
  try {
    payload = (
      await jose.jwtVerify(match[2]!, key.publicKey, {
        issuer: state.issuer,
        audience: state.myAccountAudience,
        algorithms: ["RS256"],
        requiredClaims: ["exp", "sub"]
      })
    ).payload
  } catch (error) {
    sendProblem(res, 401, "Unauthorized", `Invalid token: ${error instanceof Error ? error.message : String(error)}`, {
      headers: { "www-authenticate": 'Bearer realm="my-account", error="invalid_token"' }
    })
    return undefined
  }
  const dpop = await checkResource(state.dpop, req, state.origin, { scheme: match[1]!, token: match[2]!, jkt: boundJkt(payload) })
  if (!dpop.ok) {
    sendProblem(res, dpop.status, "Unauthorized", dpop.description, { headers: dpop.headers })
    return undefined
  }
  const scopes = typeof payload["scope"] === "string" ? payload["scope"].split(" ") : []
  if (!scopes.includes(scope)) {
    sendProblem(res, 403, "Forbidden", `Insufficient scope, expected: ${scope}`, {
      headers: { "www-authenticate": `Bearer realm="my-account", error="insufficient_scope", scope="${scope}"` }
    })
    return undefined
  }
  const azp = payload["azp"] ?? payload["client_id"]
  return { sub: String(payload.sub), clientId: typeof azp === "string" ? azp : undefined }
}

/** Fixed-window rate limit over the whole My Account API of this instance. */
const rateLimited = (state: State, res: ServerResponse): boolean => {
  const limit = state.rateLimit
  if (!limit) return false
  const now = Date.now()
  if (now - state.rateWindow.start >= limit.windowSeconds * 1000) state.rateWindow = { start: now, count: 0 }
  state.rateWindow.count += 1
  const resetAt = state.rateWindow.start + limit.windowSeconds * 1000
  const headers = {
    "x-ratelimit-limit": String(limit.limit),
    "x-ratelimit-remaining": String(Math.max(0, limit.limit - state.rateWindow.count)),
    "x-ratelimit-reset": String(Math.ceil(resetAt / 1000))
  }
  if (state.rateWindow.count <= limit.limit) {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    return false
  }
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000))
  sendProblem(res, 429, "Too Many Requests", "Global limit has been reached", {
    headers: { ...headers, "retry-after": String(retryAfter) }
  })
  return true
}

const parseJsonBody = (raw: string, res: ServerResponse): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // fall through
  }
  sendProblem(res, 400, "Bad Request", "Request body must be a JSON object", {
    validationErrors: [{ detail: "Invalid JSON body", field: "body" }]
  })
  return undefined
}

const accountJson = (a: ConnectedAccount) => ({
  id: a.id,
  connection: a.connection,
  access_type: "offline" as const,
  scopes: [...a.scopes],
  created_at: a.createdAt,
  ...(a.expiresAt ? { expires_at: a.expiresAt } : {})
})

/** Paging cursor: opaque to callers, the creation sequence number inside. */
const encodeCursor = (position: number): string => Buffer.from(`p:${position}`).toString("base64url")
const decodeCursor = (value: string): number | undefined => {
  const match = /^p:(\d+)$/.exec(Buffer.from(value, "base64url").toString("utf8"))
  return match ? Number(match[1]) : undefined
}

const paging = (url: URL, errors: Array<ValidationError>): { take: number; from: number } => {
  const takeParam = url.searchParams.get("take")
  let take = 10
  if (takeParam !== null) {
    take = /^\d+$/.test(takeParam) ? Number(takeParam) : Number.NaN
    if (!Number.isInteger(take) || take < 1 || take > 20) {
      field(errors, "take", "take must be an integer between 1 and 20", false)
    }
  }
  const fromParam = url.searchParams.get("from")
  let from = 0
  if (fromParam !== null) {
    const decoded = decodeCursor(fromParam)
    if (decoded === undefined) field(errors, "from", "from is not a valid cursor", false)
    else from = decoded
  }
  return { take, from }
}

export const storeAccount = (
  state: State,
  sub: string,
  connection: string,
  scopes: ReadonlyArray<string>
): ConnectedAccount => {
  state.accountSeq += 1
  const account: ConnectedAccount = {
    id: `cac_${randomId(12)}`,
    seq: state.accountSeq,
    sub,
    connection,
    scopes: [...scopes],
    createdAt: new Date().toISOString(),
    expiresAt: undefined
  }
  state.accounts.set(account.id, account)
  return account
}

const s256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url")

/** The My Account API (`/me/v1/connected-accounts/...`). Returns false when the path is not one of its routes. */
export const handleMyAccount = async (
  state: State,
  key: TenantKey,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  rawBody: string
): Promise<boolean> => {
  const path = url.pathname
  if (!path.startsWith(`${BASE}/`)) return false
  if (rateLimited(state, res)) return true
  const method = req.method ?? "GET"
  const route = path.slice(BASE.length)

  if (route === "/connect" && method === "POST") {
    const who = await authorize(state, key, req, res, MY_ACCOUNT_SCOPES.create)
    if (!who) return true
    const body = parseJsonBody(rawBody, res)
    if (!body) return true
    const errors: Array<ValidationError> = []
    checkString(body, "connection", { required: true, max: 128 })(errors)
    checkUri(body, "redirect_uri")(errors)
    checkString(body, "state", { required: false, max: 4096 })(errors)
    checkString(body, "code_challenge", { required: false, min: 43, max: 128 })(errors)
    if (body["code_challenge_method"] !== undefined && body["code_challenge_method"] !== "S256") {
      field(errors, "code_challenge_method", 'code_challenge_method must be "S256"')
    }
    if (body["code_challenge"] !== undefined && body["code_challenge_method"] === undefined) {
      field(errors, "code_challenge_method", "code_challenge_method is required when code_challenge is provided")
    }
    const scopes = body["scopes"]
    if (scopes !== undefined) {
      if (!Array.isArray(scopes) || scopes.length < 1 || scopes.length > 100) {
        field(errors, "scopes", "scopes must be an array of 1 to 100 strings")
      } else {
        scopes.forEach((s, i) => {
          if (typeof s !== "string" || s.length < 1 || s.length > 255) {
            errors.push({ detail: "each scope must be a string of length 1 to 255", field: "scopes", pointer: `/scopes/${i}` })
          }
        })
      }
    }
    const params = body["authorization_params"]
    if (params !== undefined) {
      if (!params || typeof params !== "object" || Array.isArray(params)) {
        field(errors, "authorization_params", "authorization_params must be an object")
      } else {
        for (const name of Object.keys(params)) {
          if (!AUTHORIZATION_PARAMS.has(name)) {
            errors.push({
              detail: `authorization_params.${name} is not allowed`,
              field: "authorization_params",
              pointer: `/authorization_params/${name}`
            })
          }
        }
      }
    }
    if (errors.length > 0) {
      sendProblem(res, 400, "Bad Request", "Invalid request payload input", { validationErrors: errors })
      return true
    }
    const connection = body["connection"] as string
    if (!state.connections.includes(connection)) {
      sendProblem(res, 404, "Not Found", `Connection "${connection}" not found or not enabled for Connected Accounts`)
      return true
    }
    const session = {
      authSession: randomId(32),
      ticket: randomId(24),
      sub: who.sub,
      clientId: who.clientId,
      connection,
      redirectUri: body["redirect_uri"] as string,
      state: body["state"] as string | undefined,
      codeChallenge: body["code_challenge"] as string | undefined,
      scopes: (scopes as Array<string> | undefined) ?? connectionInfo(connection).scopes,
      expiresAt: nowSeconds() + CONNECT_TTL,
      connectCode: undefined,
      completed: false
    }
    state.connectSessions.set(session.authSession, session)
    sendJson(res, 201, {
      auth_session: session.authSession,
      connect_uri: `${state.origin}/connect`,
      connect_params: { ticket: session.ticket },
      expires_in: CONNECT_TTL
    })
    return true
  }

  if (route === "/complete" && method === "POST") {
    const who = await authorize(state, key, req, res, MY_ACCOUNT_SCOPES.create)
    if (!who) return true
    const body = parseJsonBody(rawBody, res)
    if (!body) return true
    const errors: Array<ValidationError> = []
    checkString(body, "auth_session", { required: true, max: 64 })(errors)
    checkString(body, "connect_code", { required: true, max: 64 })(errors)
    checkUri(body, "redirect_uri")(errors)
    checkString(body, "code_verifier", { required: false, min: 43, max: 128 })(errors)
    if (errors.length > 0) {
      sendProblem(res, 400, "Bad Request", "Invalid request payload input", { validationErrors: errors })
      return true
    }
    const session = state.connectSessions.get(body["auth_session"] as string)
    if (!session || session.sub !== who.sub || session.expiresAt < nowSeconds()) {
      sendProblem(res, 404, "Not Found", "The connect session was not found or has expired")
      return true
    }
    if (session.completed) {
      sendProblem(res, 409, "Conflict", "The connect_code was already used")
      return true
    }
    if (!session.connectCode || session.connectCode !== body["connect_code"]) {
      sendProblem(res, 400, "Bad Request", "Invalid connect_code", {
        validationErrors: [{ detail: "connect_code does not match the session", field: "connect_code", pointer: "/connect_code" }]
      })
      return true
    }
    if (session.redirectUri !== body["redirect_uri"]) {
      sendProblem(res, 400, "Bad Request", "redirect_uri does not match the one sent to connect", {
        validationErrors: [{ detail: "redirect_uri mismatch", field: "redirect_uri", pointer: "/redirect_uri" }]
      })
      return true
    }
    if (session.codeChallenge !== undefined) {
      const verifier = body["code_verifier"]
      if (typeof verifier !== "string" || s256(verifier) !== session.codeChallenge) {
        sendProblem(res, 400, "Bad Request", "PKCE verification failed", {
          validationErrors: [{ detail: "code_verifier does not match code_challenge", field: "code_verifier", pointer: "/code_verifier" }]
        })
        return true
      }
    }
    session.completed = true
    const account = storeAccount(state, session.sub, session.connection, session.scopes)
    sendJson(res, 201, accountJson(account))
    return true
  }

  if (route === "/accounts" && method === "GET") {
    const who = await authorize(state, key, req, res, MY_ACCOUNT_SCOPES.read)
    if (!who) return true
    const errors: Array<ValidationError> = []
    const { take, from } = paging(url, errors)
    const connection = url.searchParams.get("connection")
    if (connection !== null && (connection.length < 1 || connection.length > 128)) {
      field(errors, "connection", "connection length must be between 1 and 128", false)
    }
    if (errors.length > 0) {
      sendProblem(res, 400, "Bad Request", "Invalid query parameters", { validationErrors: errors })
      return true
    }
    const all = [...state.accounts.values()]
      .filter((a) => a.sub === who.sub && (connection === null || a.connection === connection))
      .sort((a, b) => a.seq - b.seq)
    const page = all.filter((a) => a.seq > from).slice(0, take)
    const last = page.at(-1)
    const more = last !== undefined && all.some((a) => a.seq > last.seq)
    sendJson(res, 200, { accounts: page.map(accountJson), ...(more ? { next: encodeCursor(last.seq) } : {}) })
    return true
  }

  if (route === "/connections" && method === "GET") {
    const who = await authorize(state, key, req, res, MY_ACCOUNT_SCOPES.read)
    if (!who) return true
    const errors: Array<ValidationError> = []
    const { take, from } = paging(url, errors)
    if (errors.length > 0) {
      sendProblem(res, 400, "Bad Request", "Invalid query parameters", { validationErrors: errors })
      return true
    }
    const page = state.connections.slice(from, from + take)
    const more = from + take < state.connections.length
    sendJson(res, 200, {
      connections: page.map((name) => {
        const info = connectionInfo(name)
        return { name, strategy: info.strategy, scopes: [...info.scopes] }
      }),
      ...(more ? { next: encodeCursor(from + take) } : {})
    })
    return true
  }

  const deleteMatch = /^\/accounts\/([^/]+)$/.exec(route)
  if (deleteMatch && method === "DELETE") {
    const who = await authorize(state, key, req, res, MY_ACCOUNT_SCOPES.delete)
    if (!who) return true
    const id = decodeURIComponent(deleteMatch[1]!)
    const account = state.accounts.get(id)
    if (!account || account.sub !== who.sub) {
      sendProblem(res, 404, "Not Found", `Connected account "${id}" not found`)
      return true
    }
    state.accounts.delete(id)
    res.writeHead(204)
    res.end()
    return true
  }

  sendProblem(res, 404, "Not Found", `No route for ${method} ${path}`)
  return true
}

/**
 * The fake upstream provider's consent page at `/connect?ticket=`: approving redirects to the app with
 * `connect_code` and `state`, denying with `error` and `error_description`.
 */
export const handleConnectPage = (state: State, req: IncomingMessage, res: ServerResponse, url: URL, rawBody: string): void => {
  const form = req.method === "POST" ? new URLSearchParams(rawBody) : url.searchParams
  const ticket = form.get("ticket") ?? ""
  const session = [...state.connectSessions.values()].find((s) => s.ticket === ticket)
  if (!session || session.expiresAt < nowSeconds() || session.completed) {
    return sendHtml(res, 400, errorPage("Invalid ticket", "The connect ticket is unknown, used or expired."))
  }
  if (req.method !== "POST") {
    return sendHtml(
      res,
      200,
      connectPage({ action: `${state.origin}/connect`, ticket, connection: session.connection, scopes: session.scopes })
    )
  }
  const target = new URL(session.redirectUri)
  if (form.get("decision") === "approve") {
    session.connectCode = randomId(24)
    target.searchParams.set("connect_code", session.connectCode)
  } else {
    target.searchParams.set("error", form.get("error") || "access_denied")
    target.searchParams.set("error_description", form.get("error_description") || "The user denied the connection request")
  }
  if (session.state !== undefined) target.searchParams.set("state", session.state)
  redirect(res, target.href, 303)
}

/**
 * A fake third-party API at `/thirdparty/{connection}/{resource}/...`: accepts only Token Vault tokens for
 * that connection, and only when one of the token's scopes mentions `{resource}` (e.g. `calendar`).
 */
export const handleThirdPartyApi = async (state: State, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
  const match = /^\/thirdparty\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname)
  if (!match) return false
  const connection = decodeURIComponent(match[1]!)
  const resource = decodeURIComponent(match[2]!)
  const presented = /^(Bearer|DPoP) (.+)$/i.exec(req.headers.authorization ?? "")
  const bearer = presented?.[2]
  const token = bearer ? state.vaultTokens.get(bearer) : undefined
  if (presented && token) {
    const dpop = await checkResource(state.dpop, req, state.origin, { scheme: presented[1]!, token: bearer!, jkt: token.jkt })
    if (!dpop.ok) {
      sendJson(res, dpop.status, { error: "invalid_token", error_description: dpop.description }, dpop.headers)
      return true
    }
  }
  if (!token || token.expiresAt < nowSeconds() || token.connection !== connection) {
    sendJson(
      res,
      401,
      { error: "invalid_token", error_description: `A Token Vault access token for ${connection} is required` },
      { "www-authenticate": 'Bearer error="invalid_token"' }
    )
    return true
  }
  if (!token.scopes.some((s) => s.includes(resource))) {
    sendJson(
      res,
      403,
      { error: "insufficient_scope", error_description: `The token has no scope for "${resource}"` },
      { "www-authenticate": `Bearer error="insufficient_scope"` }
    )
    return true
  }
  sendJson(res, 200, {
    connection,
    sub: token.sub,
    path: url.pathname,
    items: [
      { id: "evt_1", summary: "Stand-up", start: "2030-01-01T09:00:00Z" },
      { id: "evt_2", summary: "Review", start: "2030-01-01T14:00:00Z" }
    ]
  })
  return true
}
