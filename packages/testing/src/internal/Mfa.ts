/**
 * Auth0's multi-factor authentication, emulated: APIs whose policy requires MFA (their refresh,
 * MRRT and code grants answer 403 `mfa_required` with an `mfa_token`), the MFA API
 * (`/mfa/authenticators`, `/mfa/associate`, `/mfa/challenge`); the verify grants (`mfa-otp`,
 * `mfa-oob`, `mfa-recovery-code`) are in MfaGrants.ts. Nothing is sent: tests read oob codes with
 * `lastMfaCode(user)`, approve pushes with `approveMfaPush(user)`, and compute TOTP codes from
 * the enrollment's secret with `totp(secret)`.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type Provider from "oidc-provider"
import { authenticateClient } from "./ClientAuth.js"
import { mediaType, nowSeconds, randomId, sendJson, sendOAuthError } from "./Http.js"
import type { State } from "./State.js"
import { base32Encode } from "./Totp.js"

export const MFA_GRANTS = {
  otp: "http://auth0.com/oauth/grant-type/mfa-otp",
  oob: "http://auth0.com/oauth/grant-type/mfa-oob",
  recovery: "http://auth0.com/oauth/grant-type/mfa-recovery-code"
} as const

/** How long an mfa_token lives (Auth0: 10 minutes). */
const MFA_TOKEN_TTL = 600

export type MfaChannel = "sms" | "voice" | "email" | "auth0"

export interface MfaAuthenticator {
  readonly id: string
  readonly type: "otp" | "oob"
  readonly channel: MfaChannel | undefined
  /** Base32 TOTP secret (otp). */
  readonly secret: string | undefined
  readonly name: string | undefined
  active: boolean
}

export interface MfaTokenRecord {
  readonly clientId: string
  readonly sub: string
  readonly audience: string
  readonly scope: string
  /** A code exchange continues with an ID token and, with offline_access, a refresh token. */
  readonly source: "refresh" | "code"
  readonly sid: string | undefined
  readonly authTime: number | undefined
  readonly nonce: string | undefined
  readonly expiresAt: number
  used: boolean
}

interface OobRecord {
  readonly mfaToken: string
  readonly sub: string
  readonly authenticatorId: string
  /** The code the user received (sms, email, voice); none for push. */
  readonly bindingCode: string | undefined
  approved: boolean
}

/** The emulator's MFA state: one per emulator, inside its `State`. */
export interface MfaState {
  /** Audiences whose policy requires MFA. */
  readonly required: Set<string>
  readonly authenticators: Map<string, Array<MfaAuthenticator>>
  readonly recoveryCodes: Map<string, string>
  readonly tokens: Map<string, MfaTokenRecord>
  readonly oob: Map<string, OobRecord>
  /** sub => the last code "sent" by sms, voice or email. */
  readonly lastCodes: Map<string, string>
}

export const makeMfaState = (required: Iterable<string>): MfaState => ({
  required: new Set(required),
  authenticators: new Map(),
  recoveryCodes: new Map(),
  tokens: new Map(),
  oob: new Map(),
  lastCodes: new Map()
})

const sixDigits = () => String(crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000).padStart(6, "0")
export const newRecoveryCode = () => base32Encode(crypto.getRandomValues(new Uint8Array(15))).slice(0, 24)

/** `mfa_requirements` types, as Auth0 names factors there. */
const requirementType = (a: MfaAuthenticator) =>
  a.type === "otp" ? "otp" : a.channel === "auth0" ? "push-notification" : a.channel === "email" ? "email" : "phone"

/** Whether a grant for `audience` must answer `mfa_required`. */
export const requiresMfa = (state: State, audience: string | undefined): boolean =>
  audience !== undefined && state.mfa.required.has(audience)

/** Answers 403 `mfa_required` with a fresh mfa_token and the user's `mfa_requirements`. */
export const sendMfaRequired = (
  state: State,
  res: ServerResponse,
  grant: Omit<MfaTokenRecord, "expiresAt" | "used">
): void => {
  const token = `mfa_${randomId(24)}`
  state.mfa.tokens.set(token, { ...grant, expiresAt: nowSeconds() + MFA_TOKEN_TTL, used: false })
  const active = (state.mfa.authenticators.get(grant.sub) ?? []).filter((a) => a.active)
  const challenge = [...new Set(active.map(requirementType))].map((type) => ({ type }))
  if (challenge.length > 0 && state.mfa.recoveryCodes.has(grant.sub)) challenge.push({ type: "recovery-code" })
  sendJson(res, 403, {
    error: "mfa_required",
    error_description: "Multifactor authentication required",
    mfa_token: token,
    mfa_requirements: challenge.length > 0
      ? { challenge }
      : { enroll: [{ type: "otp" }, { type: "phone" }, { type: "email" }, { type: "push-notification" }] }
  })
}

/**
 * The code grant for an audience that requires MFA: the code is spent and the answer is
 * `mfa_required`. Returns false (nothing sent) when the code's audience does not require MFA.
 */
export const codeGrantNeedsMfa = async (
  state: State,
  provider: Provider,
  clientId: string,
  params: URLSearchParams,
  res: ServerResponse
): Promise<boolean> => {
  if (state.mfa.required.size === 0) return false
  const models = provider as unknown as {
    AuthorizationCode: { find(value: string): Promise<CodeLike | undefined> }
  }
  let code: CodeLike | undefined
  try {
    code = await models.AuthorizationCode.find(params.get("code") ?? "")
  } catch {
    return false
  }
  const resource = Array.isArray(code?.resource) ? code.resource[0] : code?.resource
  if (!code || code.clientId !== clientId || code.consumed || code.isExpired || typeof resource !== "string") return false
  if (!requiresMfa(state, resource)) return false
  await code.consume()
  sendMfaRequired(state, res, {
    clientId,
    sub: code.accountId,
    audience: resource,
    scope: code.scope ?? "",
    source: "code",
    sid: code.sid,
    authTime: code.authTime,
    nonce: code.nonce
  })
  return true
}

interface CodeLike {
  readonly clientId: string
  readonly accountId: string
  readonly scope?: string
  readonly resource?: string | ReadonlyArray<string>
  readonly sid?: string
  readonly authTime?: number
  readonly nonce?: string
  readonly isExpired: boolean
  readonly consumed?: unknown
  consume(): Promise<void>
}

/** The live record of an mfa_token, or why not. */
export const findToken = (state: State, token: string | null | undefined):
  | { readonly ok: true; readonly record: MfaTokenRecord }
  | { readonly ok: false; readonly error: string; readonly description: string } =>
{
  const record = token ? state.mfa.tokens.get(token) : undefined
  if (!record || record.used) return { ok: false, error: "invalid_grant", description: "Malformed mfa_token" }
  if (record.expiresAt <= nowSeconds()) return { ok: false, error: "expired_token", description: "mfa_token is expired" }
  return { ok: true, record }
}

const bearer = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization ?? ""
  return /^bearer /i.test(header) ? header.slice(7).trim() : undefined
}

const bodyParams = (req: IncomingMessage, raw: string): URLSearchParams => {
  if (mediaType(req) !== "application/json") return new URLSearchParams(raw)
  const params = new URLSearchParams()
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") params.set(k, v)
  } catch {
    // not JSON: no parameters
  }
  return params
}

/** Adds an authenticator for `sub` (pending until verified unless `active`), with a recovery code on the first one. */
export const addAuthenticator = (
  state: State,
  sub: string,
  factor: { readonly type: "otp" | "oob"; readonly channel?: MfaChannel | undefined; readonly name?: string | undefined },
  active: boolean
): { readonly authenticator: MfaAuthenticator; readonly recoveryCode: string | undefined } => {
  const prefix = factor.type === "otp" ? "totp" : factor.channel === "auth0" ? "push" : factor.channel ?? "sms"
  const authenticator: MfaAuthenticator = {
    id: `${prefix}|dev_${randomId(12)}`,
    type: factor.type,
    channel: factor.type === "oob" ? factor.channel ?? "sms" : undefined,
    secret: factor.type === "otp" ? base32Encode(crypto.getRandomValues(new Uint8Array(20))) : undefined,
    name: factor.name,
    active
  }
  const list = state.mfa.authenticators.get(sub) ?? []
  list.push(authenticator)
  state.mfa.authenticators.set(sub, list)
  let recoveryCode: string | undefined
  if (!state.mfa.recoveryCodes.has(sub)) {
    recoveryCode = newRecoveryCode()
    state.mfa.recoveryCodes.set(sub, recoveryCode)
  }
  return { authenticator, recoveryCode }
}

/** "Sends" a code or a push for `authenticator`: an oob record the verify grant checks. */
const startOob = (state: State, mfaToken: string, sub: string, authenticator: MfaAuthenticator): string => {
  const oobCode = `oob_${randomId(18)}`
  const bindingCode = authenticator.channel === "auth0" ? undefined : sixDigits()
  if (bindingCode !== undefined) state.mfa.lastCodes.set(sub, bindingCode)
  state.mfa.oob.set(oobCode, { mfaToken, sub, authenticatorId: authenticator.id, bindingCode, approved: false })
  return oobCode
}

/** Approves every pending push challenge of `sub`; returns how many. */
export const approvePush = (state: State, sub: string): number => {
  let approved = 0
  for (const record of state.mfa.oob.values()) {
    if (record.sub === sub && record.bindingCode === undefined && !record.approved) {
      record.approved = true
      approved++
    }
  }
  return approved
}

/** Sends an OAuth error and reports the request handled. */
const refused = (res: ServerResponse, status: number, error: string, description: string): true => {
  sendOAuthError(res, status, error, description)
  return true
}

/** `/mfa/authenticators`, `/mfa/associate` and `/mfa/challenge`; false when the path is none of them. */
export const handleMfaApi = async (
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  raw: string
): Promise<boolean> => {
  const method = req.method ?? "GET"
  if (path === "/mfa/authenticators" && method === "GET") {
    const found = findToken(state, bearer(req))
    if (!found.ok) return refused(res, 401, "invalid_token", found.description)
    const list = (state.mfa.authenticators.get(found.record.sub) ?? []).map((a) => ({
      id: a.id,
      authenticator_type: a.type,
      active: a.active,
      ...(a.channel !== undefined ? { oob_channel: a.channel } : {}),
      ...(a.name !== undefined ? { name: a.name } : {})
    }))
    const recovery = state.mfa.recoveryCodes.has(found.record.sub)
      ? [{ id: `recovery-code|dev_${found.record.sub.replace(/[^A-Za-z0-9]/g, "").slice(-12)}`, authenticator_type: "recovery-code", active: true }]
      : []
    sendJson(res, 200, [...list, ...recovery])
    return true
  }
  if (path === "/mfa/associate" && method === "POST") {
    const found = findToken(state, bearer(req))
    if (!found.ok) return refused(res, 401, "invalid_token", found.description)
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(raw) as Record<string, unknown>
    } catch {
      return refused(res, 400, "invalid_request", "The body must be JSON")
    }
    const types = body["authenticator_types"]
    const channels = Array.isArray(body["oob_channels"]) ? body["oob_channels"] : []
    if (!Array.isArray(types) || (types[0] !== "otp" && types[0] !== "oob")) {
      return refused(res, 400, "invalid_request", "authenticator_types must be [\"otp\"] or [\"oob\"]")
    }
    const channel = channels[0] as MfaChannel | undefined
    if (types[0] === "oob" && !["sms", "voice", "email", "auth0"].includes(String(channel))) {
      return refused(res, 400, "invalid_request", "oob_channels must be sms, voice, email or auth0")
    }
    if ((channel === "sms" || channel === "voice") && typeof body["phone_number"] !== "string") {
      return refused(res, 400, "invalid_request", "phone_number is required for sms and voice")
    }
    const sub = found.record.sub
    const { authenticator, recoveryCode } = addAuthenticator(state, sub, { type: types[0], channel }, false)
    const recovery = recoveryCode !== undefined ? { recovery_codes: [recoveryCode] } : {}
    if (authenticator.type === "otp") {
      sendJson(res, 200, {
        authenticator_type: "otp",
        secret: authenticator.secret,
        barcode_uri: `otpauth://totp/emulator:${encodeURIComponent(sub)}?secret=${authenticator.secret}&issuer=emulator`,
        ...recovery
      })
      return true
    }
    const oobCode = startOob(state, bearer(req)!, sub, authenticator)
    sendJson(res, 200, {
      authenticator_type: "oob",
      oob_channel: authenticator.channel,
      oob_code: oobCode,
      ...(authenticator.channel === "auth0"
        ? { barcode_uri: `otpauth://totp/emulator:${encodeURIComponent(sub)}?enrollment_tx_id=${oobCode}` }
        : { binding_method: "prompt" }),
      ...recovery
    })
    return true
  }
  if (path === "/mfa/challenge" && method === "POST") {
    const params = bodyParams(req, raw)
    const auth = await authenticateClient(state, params, req.headers.authorization)
    if (!auth.ok) return refused(res, auth.status, auth.error, auth.description)
    const token = params.get("mfa_token")
    const found = findToken(state, token)
    if (!found.ok) return refused(res, 403, found.error, found.description)
    if (found.record.clientId !== auth.client.clientId) {
      return refused(res, 403, "invalid_grant", "The mfa_token was issued to another client")
    }
    const types = (params.get("challenge_type") ?? "").split(" ").filter((t) => t === "otp" || t === "oob")
    if (types.length === 0) return refused(res, 400, "invalid_request", "challenge_type must be otp and/or oob")
    const wanted = params.get("authenticator_id")
    const candidates = (state.mfa.authenticators.get(found.record.sub) ?? [])
      .filter((a) => a.active && types.includes(a.type) && (wanted === null || a.id === wanted))
    const chosen = candidates[0]
    if (!chosen) {
      return refused(res, 403, "unsupported_challenge_type", "The user has no active authenticator for this challenge")
    }
    if (chosen.type === "otp") {
      sendJson(res, 200, { challenge_type: "otp" })
      return true
    }
    const oobCode = startOob(state, token!, found.record.sub, chosen)
    sendJson(res, 200, {
      challenge_type: "oob",
      oob_code: oobCode,
      ...(chosen.channel === "auth0" ? {} : { binding_method: "prompt" })
    })
    return true
  }
  return false
}
