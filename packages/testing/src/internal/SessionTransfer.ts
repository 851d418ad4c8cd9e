import type { ServerResponse } from "node:http"
import * as jose from "jose"
import type { TenantKey } from "./Keys.js"
import { nowSeconds, randomId, sendJson, sendOAuthError } from "./Http.js"
import type { ResolvedClient, State, UserRecord } from "./State.js"

/**
 * Session transfer tokens (Auth0 Custom Token Exchange, audience `urn:{domain}:session_transfer`,
 * https://auth0.com/docs/authenticate/single-sign-on/native-to-web) and the one-time login
 * tickets they share with magic links: a ticket on `/authorize` logs its user in instead of the
 * login page, once, within {@link TICKET_TTL_SECONDS}.
 */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
export const SESSION_TRANSFER_TOKEN_TYPE = "urn:auth0:params:oauth:token-type:session_transfer_token"
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
/** The subject token type the emulated Action accepts by default: the subject token names a user (sub or email). */
export const DEFAULT_SUBJECT_TOKEN_TYPE = "urn:auth0-emulator:user"
/** The `/authorize` parameter that carries a session transfer token (Auth0's name). */
export const SESSION_TRANSFER_PARAM = "session_transfer_token"
/** The `/authorize` parameter of the emulator's own magic-link tickets. */
export const LOGIN_TICKET_PARAM = "login_ticket"
export const TICKET_TTL_SECONDS = 60

interface Ticket {
  readonly sub: string
  readonly actor: string | undefined
  readonly expiresAt: number
  used: boolean
}

const tickets = new WeakMap<State, Map<string, Ticket>>()
const ticketsOf = (state: State) => {
  let found = tickets.get(state)
  if (!found) {
    found = new Map()
    tickets.set(state, found)
  }
  return found
}

/** A one-time ticket that logs `sub` in at `/authorize`. */
export const issueLoginTicket = (state: State, sub: string, actor?: string): string => {
  const value = `stt_${randomId(24)}`
  ticketsOf(state).set(value, { sub, actor, expiresAt: nowSeconds() + TICKET_TTL_SECONDS, used: false })
  return value
}

/**
 * What the login interaction does with its authorize parameters: `undefined` when they carry no
 * ticket (show the login page), the user to log in for a valid ticket (now spent), or why the
 * ticket is refused (unknown, expired or already used: the second use of a token fails).
 */
export const redeemLoginTicket = (
  state: State,
  params: Record<string, unknown>
): { readonly ok: true; readonly sub: string } | { readonly ok: false; readonly detail: string } | undefined => {
  const value = params[SESSION_TRANSFER_PARAM] ?? params[LOGIN_TICKET_PARAM]
  if (typeof value !== "string" || value.length === 0) return undefined
  const ticket = ticketsOf(state).get(value)
  if (!ticket || ticket.used || ticket.expiresAt <= nowSeconds() || !state.users.has(ticket.sub)) {
    return { ok: false, detail: "The session transfer token is invalid, expired or was already used." }
  }
  ticket.used = true
  return { ok: true, sub: ticket.sub }
}

/** Whether a token request asks for a session transfer token (token exchange to the session_transfer audience). */
export const isSessionTransferRequest = (state: State, params: URLSearchParams): boolean =>
  params.get("grant_type") === TOKEN_EXCHANGE_GRANT &&
  params.get("audience") === `urn:${new URL(state.origin).host}:session_transfer`

const subjectTypes = new WeakMap<State, string>()
/** Sets the subject token type the emulated Action accepts (default {@link DEFAULT_SUBJECT_TOKEN_TYPE}). */
export const configureSessionTransfer = (state: State, subjectTokenType: string | undefined): void => {
  subjectTypes.set(state, subjectTokenType ?? DEFAULT_SUBJECT_TOKEN_TYPE)
}

const findUser = (state: State, value: string): UserRecord | undefined =>
  state.users.get(value) ?? [...state.users.values()].find((u) => u.claims["email"] === value)

/**
 * Mints a session transfer token for an authenticated client. The emulated Action accepts
 * `subject_token_type` = the configured type and a `subject_token` naming a user (its `setUserById`);
 * the actor (`actor_token`, an ID token this tenant issued to this client, unexpired) is required.
 */
export const handleSessionTransferGrant = async (
  state: State,
  key: TenantKey,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse
): Promise<void> => {
  const subjectTokenType = subjectTypes.get(state) ?? DEFAULT_SUBJECT_TOKEN_TYPE
  if (params.get("subject_token_type") !== subjectTokenType) {
    return sendOAuthError(res, 400, "invalid_request", "No Token Exchange Profile matches subject_token_type")
  }
  const user = findUser(state, params.get("subject_token") ?? "")
  if (!user) return sendOAuthError(res, 403, "access_denied", "The subject token was rejected by the Action")
  const actorToken = params.get("actor_token")
  if (!actorToken) return sendOAuthError(res, 400, "invalid_request", "setActor is required: actor_token is missing")
  if ((params.get("actor_token_type") ?? ID_TOKEN_TYPE) !== ID_TOKEN_TYPE) {
    return sendOAuthError(res, 400, "invalid_request", `actor_token_type must be ${ID_TOKEN_TYPE}`)
  }
  let actor: string
  try {
    const { payload } = await jose.jwtVerify(actorToken, key.publicKey, { issuer: state.issuer, audience: client.clientId })
    if (typeof payload.sub !== "string") throw new Error("no sub")
    actor = payload.sub
  } catch {
    return sendOAuthError(res, 400, "invalid_request", "actor_token is not a valid, unexpired ID token issued to this client")
  }
  sendJson(res, 200, {
    access_token: issueLoginTicket(state, user.sub, actor),
    issued_token_type: SESSION_TRANSFER_TOKEN_TYPE,
    token_type: "N_A",
    expires_in: TICKET_TTL_SECONDS
  })
}
