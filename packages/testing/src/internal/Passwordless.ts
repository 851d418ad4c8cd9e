import type { ServerResponse } from "node:http"
import type { TenantKey } from "./Keys.js"
import { signJwt } from "./Keys.js"
import { errorPage } from "./Pages.js"
import { nowSeconds, randomId, redirect, sendHtml, sendJson, sendOAuthError } from "./Http.js"
import { CLAIMS_BY_SCOPE, OIDC_SCOPES } from "./Provider.js"
import { issueLoginTicket, LOGIN_TICKET_PARAM } from "./SessionTransfer.js"
import type { ResolvedClient, State, UserRecord } from "./State.js"
import { boundClaims, tokenTypeFor } from "./Binding.js"

/**
 * Auth0's passwordless connections `email` and `sms`
 * (https://auth0.com/docs/api/authentication/passwordless): `/passwordless/start` sends nothing
 * but remembers the last code or magic link per recipient for the tests to read; the OTP grant
 * and the link's `/passwordless/verify_redirect` log the user in, creating the user on first use
 * as Auth0 does. Codes are 6 digits, single use, expire after {@link CODE_TTL_SECONDS} and die
 * after {@link MAX_ATTEMPTS} wrong tries; links are single use with the same lifetime.
 */
export const PASSWORDLESS_OTP_GRANT = "http://auth0.com/oauth/grant-type/passwordless/otp"
export const CODE_TTL_SECONDS = 300
export const MAX_ATTEMPTS = 3

interface Pending {
  readonly connection: "email" | "sms"
  readonly recipient: string
  readonly clientId: string
  readonly code: string
  readonly expiresAt: number
  /** For a link: the authorize parameters it carries. */
  readonly authParams: Record<string, string> | undefined
  readonly link: string | undefined
  failures: number
  used: boolean
}

interface PasswordlessState {
  /** By recipient (lower-cased email, or phone number): the last code or link sent. */
  readonly pending: Map<string, Pending>
  readonly links: Map<string, string>
}

const states = new WeakMap<State, PasswordlessState>()
const of = (state: State): PasswordlessState => {
  let found = states.get(state)
  if (!found) {
    found = { pending: new Map(), links: new Map() }
    states.set(state, found)
  }
  return found
}

const keyOf = (recipient: string) => recipient.trim().toLowerCase()

/** The user with this email or phone number, created (connection `email`/`sms`) on first use as Auth0 does. */
const ensureUser = (state: State, connection: "email" | "sms", recipient: string): UserRecord => {
  const claim = connection === "email" ? "email" : "phone_number"
  const found = [...state.users.values()].find((u) =>
    typeof u.claims[claim] === "string" && keyOf(u.claims[claim] as string) === keyOf(recipient)
  )
  if (found) return found
  const sub = `${connection}|${randomId(12)}`
  const user: UserRecord = {
    sub,
    claims: connection === "email"
      ? { email: recipient, email_verified: true, name: recipient, nickname: recipient.split("@")[0], updated_at: new Date().toISOString() }
      : { phone_number: recipient, phone_number_verified: true, name: recipient, updated_at: new Date().toISOString() }
  }
  state.users.set(sub, user)
  return user
}

/** The last code sent to an email or phone number, or `undefined`. */
export const lastPasswordlessCode = (state: State, recipient: string): string | undefined => {
  const pending = of(state).pending.get(keyOf(recipient))
  return pending && pending.link === undefined ? pending.code : undefined
}

/** The last magic link sent to an email, or `undefined`. */
export const lastMagicLink = (state: State, email: string): string | undefined => of(state).pending.get(keyOf(email))?.link

const AUTH_PARAMS = ["response_type", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "audience", "prompt"]

/** `POST /passwordless/start` for an authenticated client; `body` is the parsed JSON (or form) body. */
export const handlePasswordlessStart = (state: State, client: ResolvedClient, body: Record<string, unknown>, res: ServerResponse): void => {
  const connection = body["connection"]
  if (connection !== "email" && connection !== "sms") {
    return sendOAuthError(res, 400, "bad.connection", `Connection does not exist: ${String(connection).slice(0, 64)}`)
  }
  const recipient = connection === "email" ? body["email"] : body["phone_number"]
  if (typeof recipient !== "string" || recipient.length === 0) {
    return sendOAuthError(res, 400, connection === "email" ? "bad.email" : "bad.phone_number", `Missing ${connection === "email" ? "email" : "phone_number"}`)
  }
  const send = body["send"] ?? (connection === "email" ? "link" : "code")
  if (send !== "code" && send !== "link") return sendOAuthError(res, 400, "bad.send", "send must be code or link")
  if (connection === "sms" && send === "link") return sendOAuthError(res, 400, "bad.send", "sms connections send codes only")
  let authParams: Record<string, string> | undefined
  let link: string | undefined
  const code = String(100000 + (crypto.getRandomValues(new Uint32Array(1))[0]! % 900000))
  if (send === "link") {
    const raw = body["authParams"]
    authParams = {}
    if (typeof raw === "object" && raw !== null) {
      for (const name of AUTH_PARAMS) {
        const value = (raw as Record<string, unknown>)[name]
        if (typeof value === "string") authParams[name] = value
      }
    }
    const redirectUri = authParams["redirect_uri"]
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return sendOAuthError(res, 400, "bad.redirect_uri", "authParams.redirect_uri is not an Allowed Callback URL of the client")
    }
    const url = new URL(`${state.origin}/passwordless/verify_redirect`)
    url.searchParams.set("verification_code", code)
    url.searchParams.set("email", recipient)
    url.searchParams.set("connection", "email")
    url.searchParams.set("client_id", client.clientId)
    link = url.href
  }
  of(state).pending.set(keyOf(recipient), {
    connection,
    recipient,
    clientId: client.clientId,
    code,
    expiresAt: nowSeconds() + CODE_TTL_SECONDS,
    authParams,
    link,
    failures: 0,
    used: false
  })
  sendJson(res, 200, connection === "email"
    ? { _id: randomId(12), email: recipient, email_verified: false }
    : { _id: randomId(12), phone_number: recipient, phone_verified: false, request_language: null })
}

/** Checks a code for a recipient; counts a wrong one. Returns an error description, or the pending entry. */
const consume = (state: State, connection: string, recipient: string, code: string, clientId: string): Pending | string => {
  const noun = connection === "sms" ? "phone number" : "email"
  const pending = of(state).pending.get(keyOf(recipient))
  if (!pending || pending.used || pending.connection !== connection || pending.clientId !== clientId) {
    return `Wrong ${noun} or verification code.`
  }
  if (pending.expiresAt <= nowSeconds()) return "The verification code has expired. Please try to login again."
  if (pending.failures >= MAX_ATTEMPTS) return "You've reached the maximum number of attempts. Please try to login again."
  if (pending.code !== code) {
    pending.failures += 1
    return `Wrong ${noun} or verification code.`
  }
  pending.used = true
  return pending
}

const claimsFor = (user: UserRecord, scopes: ReadonlyArray<string>): Record<string, unknown> => {
  const claims: Record<string, unknown> = {}
  for (const scope of scopes) {
    for (const name of CLAIMS_BY_SCOPE[scope] ?? []) if (name !== "sub" && user.claims[name] !== undefined) claims[name] = user.claims[name]
  }
  return claims
}

/** The passwordless OTP grant (`realm`, `username`, `otp`, `scope`, `audience`) for an authenticated client. */
export const handlePasswordlessGrant = async (
  state: State,
  key: TenantKey,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse,
  jkt?: string | undefined
): Promise<void> => {
  const realm = params.get("realm")
  const username = params.get("username")
  const otp = params.get("otp")
  if (realm !== "email" && realm !== "sms") return sendOAuthError(res, 400, "invalid_request", "realm must be email or sms")
  if (!username || !otp) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: username or otp")
  const checked = consume(state, realm, username, otp, client.clientId)
  if (typeof checked === "string") return sendOAuthError(res, 403, "invalid_grant", checked)
  const audience = params.get("audience") || undefined
  const api = audience !== undefined ? state.apis.get(audience) : undefined
  if (audience !== undefined && !api) return sendOAuthError(res, 403, "access_denied", `Service not found: ${audience}`)
  const requested = (params.get("scope") ?? "openid").split(" ").filter((s) => s.length > 0)
  const scopes = [...new Set(requested.filter((s) => OIDC_SCOPES.has(s) || (api ?? []).includes(s)))]
  const user = ensureUser(state, realm, checked.recipient)
  const iat = nowSeconds()
  const sid = randomId(16)
  const accessToken = await signJwt(key, {
    iss: state.issuer,
    sub: user.sub,
    aud: audience ?? `${state.issuer}userinfo`,
    azp: client.clientId,
    client_id: client.clientId,
    scope: scopes.join(" "),
    iat,
    exp: iat + state.accessTokenTtl,
    jti: randomId(16),
    ...boundClaims(jkt)
  }, "at+jwt")
  const body: Record<string, unknown> = { access_token: accessToken, scope: scopes.join(" "), expires_in: state.accessTokenTtl, token_type: tokenTypeFor(jkt) }
  if (scopes.includes("openid")) {
    body["id_token"] = await signJwt(key, {
      ...claimsFor(user, scopes),
      iss: state.issuer,
      sub: user.sub,
      aud: client.clientId,
      iat,
      exp: iat + 36000,
      auth_time: iat,
      sid
    })
  }
  if (scopes.includes("offline_access")) {
    const refreshToken = randomId(32)
    state.refreshTokens.set(refreshToken, {
      clientId: client.clientId,
      accountId: user.sub,
      scope: scopes.join(" "),
      audience,
      sid,
      authTime: iat,
      grantId: undefined,
      expiresAt: iat + 30 * 24 * 3600
    })
    body["refresh_token"] = refreshToken
  }
  sendJson(res, 200, body)
}

/**
 * `GET /passwordless/verify_redirect`: the magic link. A valid, unused, unexpired link logs its
 * user in through `/authorize` with the parameters the link was started with (a one-time login
 * ticket stands in for the login page); anything else is an error page.
 */
export const handleVerifyRedirect = (state: State, res: ServerResponse, url: URL): void => {
  const email = url.searchParams.get("email") ?? ""
  const code = url.searchParams.get("verification_code") ?? ""
  const clientId = url.searchParams.get("client_id") ?? ""
  const checked = consume(state, "email", email, code, clientId)
  if (typeof checked === "string" || checked.authParams === undefined) {
    return sendHtml(res, 400, errorPage("Invalid link", typeof checked === "string" ? checked : "This link is not a magic link."))
  }
  const user = ensureUser(state, "email", checked.recipient)
  const authorize = new URL(`${state.origin}/authorize`)
  for (const [name, value] of Object.entries(checked.authParams)) authorize.searchParams.set(name, value)
  authorize.searchParams.set("client_id", clientId)
  authorize.searchParams.set(LOGIN_TICKET_PARAM, issueLoginTicket(state, user.sub))
  redirect(res, authorize.href)
}
