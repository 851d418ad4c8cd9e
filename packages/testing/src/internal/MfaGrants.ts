/**
 * The MFA verify grants of the emulated token endpoint (`mfa-otp`, `mfa-oob`,
 * `mfa-recovery-code`), and the tokens a verified mfa_token answers.
 */
import type { ServerResponse } from "node:http"
import { nowSeconds, randomId, sendJson, sendOAuthError } from "./Http.js"
import { signJwt, type TenantKey } from "./Keys.js"
import { findToken, MFA_GRANTS, type MfaAuthenticator, type MfaTokenRecord, newRecoveryCode } from "./Mfa.js"
import { OIDC_SCOPES } from "./Provider.js"
import type { ResolvedClient, State } from "./State.js"
import { totp } from "./Totp.js"
import { userClaims } from "./TokenEndpoint.js"
import { boundClaims, tokenTypeFor } from "./Binding.js"

export const isMfaGrant = (grantType: string | null): boolean =>
  grantType === MFA_GRANTS.otp || grantType === MFA_GRANTS.oob || grantType === MFA_GRANTS.recovery

/** Whether a TOTP code matches `secret` now, one 30 s step either side (RFC 6238 §5.2). */
const otpMatches = async (secret: string, otp: string): Promise<boolean> => {
  const now = Date.now() / 1000
  for (const drift of [0, -30, 30]) if ((await totp(secret, now + drift)) === otp) return true
  return false
}

/** The `mfa-otp`, `mfa-oob` and `mfa-recovery-code` grants. */
export const handleMfaGrant = async (
  state: State,
  key: TenantKey,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse,
  jkt?: string | undefined
): Promise<void> => {
  const grantType = params.get("grant_type")
  const token = params.get("mfa_token")
  const found = findToken(state, token)
  if (!found.ok) return sendOAuthError(res, 403, found.error, found.description)
  const record = found.record
  if (record.clientId !== client.clientId) return sendOAuthError(res, 403, "invalid_grant", "The mfa_token was issued to another client")
  const authenticators = state.mfa.authenticators.get(record.sub) ?? []
  let newRecoveryCodeValue: string | undefined
  if (grantType === MFA_GRANTS.otp) {
    const otp = params.get("otp") ?? ""
    let matched: MfaAuthenticator | undefined
    for (const a of authenticators) if (a.type === "otp" && a.secret && (await otpMatches(a.secret, otp))) matched = a
    if (!matched) return sendOAuthError(res, 403, "invalid_grant", "Invalid otp_code.")
    matched.active = true
  } else if (grantType === MFA_GRANTS.oob) {
    const oobCode = params.get("oob_code") ?? ""
    const oob = state.mfa.oob.get(oobCode)
    if (!oob || oob.mfaToken !== token) return sendOAuthError(res, 403, "invalid_grant", "Invalid oob_code.")
    if (oob.bindingCode === undefined && !oob.approved) {
      return sendOAuthError(res, 400, "authorization_pending", "Authorization pending: please repeat the request in a few seconds.")
    }
    if (oob.bindingCode !== undefined && params.get("binding_code") !== oob.bindingCode) {
      return sendOAuthError(res, 403, "invalid_grant", "Invalid binding_code.")
    }
    state.mfa.oob.delete(oobCode)
    const authenticator = authenticators.find((a) => a.id === oob.authenticatorId)
    if (authenticator) authenticator.active = true
  } else {
    const expected = state.mfa.recoveryCodes.get(record.sub)
    if (expected === undefined || params.get("recovery_code") !== expected) {
      return sendOAuthError(res, 403, "invalid_grant", "Invalid recovery_code.")
    }
    newRecoveryCodeValue = newRecoveryCode()
    state.mfa.recoveryCodes.set(record.sub, newRecoveryCodeValue)
  }
  record.used = true
  sendJson(res, 200, await mintTokens(state, key, client, record, newRecoveryCodeValue, jkt))
}

/** What a verified mfa_token answers: the original request's tokens, with `amr: ["mfa"]`. */
const mintTokens = async (
  state: State,
  key: TenantKey,
  client: ResolvedClient,
  record: MfaTokenRecord,
  recoveryCode: string | undefined,
  jkt: string | undefined
): Promise<Record<string, unknown>> => {
  const iat = nowSeconds()
  const scopes = record.scope.split(" ").filter((s) => s.length > 0)
  const oidcScopes = scopes.filter((s) => OIDC_SCOPES.has(s))
  const body: Record<string, unknown> = {
    access_token: await signJwt(key, {
      iss: state.issuer,
      sub: record.sub,
      aud: record.audience,
      azp: client.clientId,
      client_id: client.clientId,
      scope: record.scope,
      amr: ["mfa"],
      iat,
      exp: iat + state.accessTokenTtl,
      jti: randomId(16),
      ...boundClaims(jkt)
    }, "at+jwt"),
    scope: record.scope,
    expires_in: state.accessTokenTtl,
    token_type: tokenTypeFor(jkt)
  }
  if (oidcScopes.includes("openid")) {
    body["id_token"] = await signJwt(key, {
      ...userClaims(state, record.sub, oidcScopes),
      iss: state.issuer,
      sub: record.sub,
      aud: client.clientId,
      iat,
      exp: iat + 36000,
      amr: ["mfa"],
      ...(record.source === "code" && record.nonce ? { nonce: record.nonce } : {}),
      ...(record.sid ? { sid: record.sid } : {}),
      ...(record.authTime ? { auth_time: record.authTime } : {})
    })
  }
  if (record.source === "code" && scopes.includes("offline_access")) {
    const refreshToken = randomId(32)
    state.refreshTokens.set(refreshToken, {
      clientId: client.clientId,
      accountId: record.sub,
      scope: record.scope,
      audience: record.audience,
      sid: record.sid,
      authTime: record.authTime,
      grantId: undefined,
      expiresAt: iat + 30 * 24 * 3600
    })
    body["refresh_token"] = refreshToken
  }
  if (recoveryCode !== undefined) body["recovery_code"] = recoveryCode
  return body
}
