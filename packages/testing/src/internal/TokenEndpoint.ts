import type { ServerResponse } from "node:http"
import type Provider from "oidc-provider"
import type { TenantKey } from "./Keys.js"
import { signJwt } from "./Keys.js"
import { nowSeconds, randomId, sendJson, sendOAuthError } from "./Http.js"
import { CLAIMS_BY_SCOPE, OIDC_SCOPES } from "./Provider.js"
import { requiresMfa, sendMfaRequired } from "./Mfa.js"
import type { RefreshGrant, ResolvedClient, State } from "./State.js"
import { identitiesOf } from "./AccountLinking.js"
import { organizationClaims } from "./Organizations.js"
import { familyOf, presentRotated } from "./RefreshFamilies.js"
import { boundClaims, tokenTypeFor } from "./Binding.js"

export const TOKEN_VAULT_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
export const REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"
export const FEDERATED_TOKEN_TYPE = "http://auth0.com/oauth/token-type/federated-connection-access-token"

/** The parts of oidc-provider's models the emulator reads: its refresh tokens, and opaque access tokens for /userinfo. */
interface RefreshTokenLike {
  readonly clientId: string
  readonly accountId: string
  readonly scope?: string
  readonly resource?: string | ReadonlyArray<string>
  readonly sid?: string
  readonly authTime?: number
  readonly grantId?: string
  readonly exp?: number
  readonly isExpired: boolean
  readonly consumed?: unknown
  consume(): Promise<void>
}
interface Models {
  readonly RefreshToken: { find(value: string): Promise<RefreshTokenLike | undefined> }
  readonly AccessToken: new (init: Record<string, unknown>) => { save(): Promise<string> }
  readonly Client: { find(id: string): Promise<unknown> }
}
const models = (provider: Provider): Models => provider as unknown as Models

const splitScope = (scope: string | null | undefined): Array<string> =>
  (scope ?? "").split(" ").filter((s) => s.length > 0)

const unique = (values: ReadonlyArray<string>): Array<string> => [...new Set(values)]

export interface FoundRefreshToken {
  readonly grant: RefreshGrant
  /** Ends this token's life: `rotated` keeps it for reuse detection, `revoked` forgets it. */
  readonly consume: (reason: "rotated" | "revoked") => Promise<void>
}

/**
 * Looks a refresh token up: first the ones the emulator minted on rotation, then oidc-provider's.
 * A rotated-away token is usable inside its client's reuse interval; later it revokes its family
 * (internal/RefreshFamilies.ts) and is refused.
 */
export const findRefreshToken = async (state: State, provider: Provider, value: string): Promise<FoundRefreshToken | undefined> => {
  if (value.length === 0 || state.revokedRefreshTokens.has(value)) return undefined
  const families = state.refreshFamilies
  const end = (grant: RefreshGrant) => (reason: "rotated" | "revoked") => {
    state.refreshTokens.delete(value)
    if (reason === "rotated" && !families.rotated.has(value)) {
      families.rotated.set(value, { family: familyOf(grant, value), grant, at: nowSeconds() })
    } else if (reason === "revoked") {
      families.rotated.delete(value)
      state.revokedRefreshTokens.add(value)
    }
  }
  const rotated = families.rotated.get(value)
  if (rotated) {
    const interval = state.clients.get(rotated.grant.clientId)?.refreshTokenReuseIntervalSeconds ?? 0
    if (presentRotated(families, rotated, interval, nowSeconds()) === "breach") return undefined
    return rotated.grant.expiresAt > nowSeconds() ? { grant: rotated.grant, consume: async (reason) => end(rotated.grant)(reason) } : undefined
  }
  const own = state.refreshTokens.get(value)
  if (own) {
    if (families.revoked.has(familyOf(own, value))) return undefined
    return own.expiresAt > nowSeconds() ? { grant: own, consume: async (reason) => end(own)(reason) } : undefined
  }
  let token: RefreshTokenLike | undefined
  try {
    token = await models(provider).RefreshToken.find(value)
  } catch {
    return undefined
  }
  if (!token || token.isExpired || token.consumed) return undefined
  const resource = Array.isArray(token.resource) ? token.resource[0] : token.resource
  const grant: RefreshGrant = {
    clientId: token.clientId,
    accountId: token.accountId,
    scope: token.scope ?? "",
    audience: typeof resource === "string" ? resource : undefined,
    sid: token.sid,
    authTime: token.authTime,
    grantId: token.grantId,
    expiresAt: token.exp ?? nowSeconds() + 30 * 24 * 3600
  }
  if (families.revoked.has(familyOf(grant, value))) return undefined
  return {
    grant,
    consume: async (reason) => {
      end(grant)(reason)
      await token.consume()
    }
  }
}

/** OIDC Core §5.4 claims for the granted scopes. */
export const userClaims = (state: State, sub: string, scopes: ReadonlyArray<string>): Record<string, unknown> => {
  const user = state.users.get(sub)
  const claims: Record<string, unknown> = {}
  if (!user) return claims
  for (const scope of scopes) {
    for (const name of CLAIMS_BY_SCOPE[scope] ?? []) {
      if (name !== "sub" && user.claims[name] !== undefined) claims[name] = user.claims[name]
    }
  }
  return claims
}

/**
 * refresh_token grant with Auth0's Multi-Resource Refresh Token rules
 * (https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token):
 * `audience` picks the API, `scope` is intersected with what the client's refresh policy for that API
 * allows (the login audience keeps its original scopes), and rotation follows the client setting.
 */
export const handleRefreshGrant = async (
  state: State,
  provider: Provider,
  key: TenantKey,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse,
  jkt?: string | undefined
): Promise<void> => {
  const value = params.get("refresh_token")
  if (!value) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: refresh_token")
  const found = await findRefreshToken(state, provider, value)
  if (!found || found.grant.clientId !== client.clientId) {
    return sendOAuthError(res, 403, "invalid_grant", "Unknown or invalid refresh token.")
  }
  const grant = found.grant
  const requestedAudience = params.get("audience") || undefined
  const audience = requestedAudience ?? grant.audience
  const requested = params.has("scope") ? splitScope(params.get("scope")) : undefined
  const original = splitScope(grant.scope)
  const keep = (scopes: ReadonlyArray<string>) => (requested ? scopes.filter((s) => requested.includes(s)) : [...scopes])

  const oidcScopes = keep(original.filter((s) => OIDC_SCOPES.has(s)))
  let apiScopes: Array<string> = []
  if (audience !== undefined) {
    const api = state.apis.get(audience)
    const policy = client.refreshTokenPolicies?.find((p) => p.audience === audience)
    if (!api) return sendOAuthError(res, 403, "access_denied", `Service not found: ${audience}`)
    const fromLogin = audience === grant.audience ? original.filter((s) => !OIDC_SCOPES.has(s)) : []
    if (audience !== grant.audience && !policy) {
      return sendOAuthError(
        res,
        403,
        "access_denied",
        `Client "${client.clientId}" has no refresh token policy for audience "${audience}"`
      )
    }
    const allowed = unique([...fromLogin, ...(policy?.scopes ?? []).filter((s) => api.includes(s))])
    apiScopes = keep(allowed)
  }
  const scope = unique([...oidcScopes, ...apiScopes]).join(" ")
  if (requiresMfa(state, audience)) {
    return sendMfaRequired(state, res, {
      clientId: client.clientId,
      sub: grant.accountId,
      audience: audience!,
      scope,
      source: "refresh",
      sid: grant.sid,
      authTime: grant.authTime,
      nonce: undefined
    })
  }
  const iat = nowSeconds()
  const exp = iat + state.accessTokenTtl

  let accessToken: string
  if (audience !== undefined) {
    accessToken = await signJwt(
      key,
      {
        iss: state.issuer,
        sub: grant.accountId,
        aud: audience,
        azp: client.clientId,
        client_id: client.clientId,
        ...organizationClaims(state.organizations, grant.grantId),
        scope,
        iat,
        exp,
        jti: randomId(16),
        // Bound to the proof's key (RFC 9449 §6.1).
        ...boundClaims(jkt)
      },
      "at+jwt"
    )
  } else {
    // No API: an opaque token that oidc-provider's /userinfo accepts, as on Auth0.
    const m = models(provider)
    const at = new m.AccessToken({
      accountId: grant.accountId,
      client: await m.Client.find(client.clientId),
      grantId: grant.grantId,
      gty: "refresh_token",
      scope: oidcScopes.join(" "),
      ...(grant.sid ? { sid: grant.sid } : {}),
      ...(jkt !== undefined ? { jkt } : {})
    })
    accessToken = await at.save()
  }

  const body: Record<string, unknown> = {
    access_token: accessToken,
    scope,
    expires_in: state.accessTokenTtl,
    token_type: tokenTypeFor(jkt)
  }
  if (oidcScopes.includes("openid")) {
    body["id_token"] = await signJwt(key, {
      ...userClaims(state, grant.accountId, oidcScopes),
      ...(state.users.has(grant.accountId) ? { identities: identitiesOf(state.linking, state.users.get(grant.accountId)!) } : {}),
      // The refresh keeps the organization of the login (its grant).
      ...organizationClaims(state.organizations, grant.grantId),
      iss: state.issuer,
      sub: grant.accountId,
      aud: client.clientId,
      iat,
      exp: iat + 36000,
      ...(grant.sid ? { sid: grant.sid } : {}),
      ...(grant.authTime ? { auth_time: grant.authTime } : {})
    })
  }
  if (client.refreshTokenRotation) {
    const next = randomId(32)
    await found.consume("rotated")
    state.refreshTokens.set(next, {
      ...grant,
      family: familyOf(grant, value),
      expiresAt: Math.max(grant.expiresAt, iat + 30 * 24 * 3600)
    })
    body["refresh_token"] = next
  }
  sendJson(res, 200, body)
}

/**
 * Token Vault: exchange a refresh token for the access token of a connected account
 * (https://auth0.com/docs/api/authentication/token-vault-token-exchange/get-token).
 */
export const handleTokenVaultGrant = async (
  state: State,
  provider: Provider,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse,
  jkt?: string | undefined
): Promise<void> => {
  const subjectTokenType = params.get("subject_token_type")
  if (subjectTokenType !== REFRESH_TOKEN_TYPE) {
    return sendOAuthError(res, 400, "invalid_request", `subject_token_type must be ${REFRESH_TOKEN_TYPE}`)
  }
  if (params.get("requested_token_type") !== FEDERATED_TOKEN_TYPE) {
    return sendOAuthError(res, 400, "invalid_request", `requested_token_type must be ${FEDERATED_TOKEN_TYPE}`)
  }
  const connection = params.get("connection")
  if (!connection) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: connection")
  const subjectToken = params.get("subject_token")
  if (!subjectToken) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: subject_token")
  const found = await findRefreshToken(state, provider, subjectToken)
  if (!found || found.grant.clientId !== client.clientId) {
    return sendOAuthError(res, 400, "invalid_grant", "Unknown or invalid refresh token.")
  }
  const account = [...state.accounts.values()]
    .filter((a) => a.sub === found.grant.accountId && a.connection === connection)
    .at(-1)
  if (!account) {
    return sendOAuthError(res, 401, "federated_connection_refresh_token_not_found", "Federated connection Refresh Token not found.")
  }
  const token = `fat_${randomId(24)}`
  const ttl = 3600
  state.vaultTokens.set(token, {
    sub: account.sub,
    connection,
    scopes: account.scopes,
    expiresAt: nowSeconds() + ttl,
    ...(jkt !== undefined ? { jkt } : {})
  })
  sendJson(res, 200, {
    access_token: token,
    token_type: tokenTypeFor(jkt),
    expires_in: ttl,
    scope: account.scopes.join(" "),
    issued_token_type: FEDERATED_TOKEN_TYPE
  })
}
