/**
 * Auth0's Custom Token Exchange (RFC 8693 grant at /oauth/token): an app trades a token of its
 * own (`subject_token`, typed by a `subject_token_type` URI in its namespace) for Auth0 tokens.
 * On Auth0 an Action validates the subject token and picks the user; here the test does, through
 * `EmulatorOptions.tokenExchange.validate`.
 *
 * @see https://auth0.com/docs/authenticate/custom-token-exchange
 */
import type { ServerResponse } from "node:http"
import type { TenantKey } from "./Keys.js"
import { signJwt } from "./Keys.js"
import { nowSeconds, randomId, sendJson, sendOAuthError } from "./Http.js"
import { CLAIMS_BY_SCOPE, OIDC_SCOPES } from "./Provider.js"
import type { ResolvedClient, State } from "./State.js"
import type { TokenExchangeDecision, TokenExchangeRequest } from "./PublicTypes.js"
import { boundClaims, tokenTypeFor } from "./Binding.js"
export type { TokenExchangeDecision, TokenExchangeOptions, TokenExchangeRequest } from "./PublicTypes.js"

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
const ISSUED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"

/** What the validator sees of an exchange request (the Action's `event.transaction` and `event.request.body`). */

/** Auth0's reserved namespaces: no Custom Token Exchange profile can use them. */
export const isReservedTokenType = (type: string): boolean => {
  const lower = type.toLowerCase()
  if (/^urn:(ietf|auth0|okta):/.test(lower)) return true
  try {
    const url = new URL(type)
    const host = url.hostname.toLowerCase()
    return (url.protocol === "http:" || url.protocol === "https:") &&
      ["auth0.com", "okta.com"].some((domain) => host === domain || host.endsWith(`.${domain}`))
  } catch {
    return false
  }
}

const optional = (params: URLSearchParams, name: string): string | undefined => {
  const value = params.get(name)
  return value === null || value === "" ? undefined : value
}

const split = (scope: string | undefined): Array<string> => (scope ?? "").split(" ").filter((s) => s.length > 0)

/** The token-exchange grant: asks the test's validator, then issues tokens for the user it names. */
export const handleTokenExchangeGrant = async (
  state: State,
  key: TenantKey,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse,
  jkt?: string | undefined
): Promise<void> => {
  const subjectToken = optional(params, "subject_token")
  const subjectTokenType = optional(params, "subject_token_type")
  if (!subjectToken) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: subject_token")
  if (!subjectTokenType) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: subject_token_type")
  if (isReservedTokenType(subjectTokenType) || state.tokenExchange === undefined) {
    return sendOAuthError(res, 400, "invalid_request", "No Custom Token Exchange profile matches subject_token_type")
  }
  const audience = optional(params, "audience")
  const scope = optional(params, "scope")
  const request: TokenExchangeRequest = {
    subjectToken,
    subjectTokenType,
    actorToken: optional(params, "actor_token"),
    actorTokenType: optional(params, "actor_token_type"),
    audience,
    scope,
    organization: optional(params, "organization"),
    clientId: client.clientId
  }
  let decision: TokenExchangeDecision
  try {
    decision = await state.tokenExchange.validate(request)
  } catch (error) {
    return sendOAuthError(res, 400, "invalid_request", error instanceof Error ? error.message : "The subject token was refused")
  }
  if (!("sub" in decision)) {
    return sendOAuthError(res, decision.status ?? 400, decision.error, decision.errorDescription ?? "The subject token was refused")
  }
  const user = state.users.get(decision.sub)
  if (!user) return sendOAuthError(res, 400, "invalid_request", `The validator named an unknown user ${decision.sub}`)

  const requested = split(scope)
  const oidcScopes = requested.filter((s) => OIDC_SCOPES.has(s))
  let apiScopes: Array<string> = []
  if (audience !== undefined) {
    const api = state.apis.get(audience)
    if (!api) return sendOAuthError(res, 403, "access_denied", `Service not found: ${audience}`)
    apiScopes = requested.filter((s) => api.includes(s))
  }
  const granted = [...oidcScopes, ...apiScopes].join(" ")
  const iat = nowSeconds()
  const body: Record<string, unknown> = {
    access_token: await signJwt(
      key,
      {
        iss: state.issuer,
        sub: user.sub,
        aud: audience ?? `${state.issuer}userinfo`,
        azp: client.clientId,
        client_id: client.clientId,
        scope: granted,
        iat,
        exp: iat + state.accessTokenTtl,
        jti: randomId(16),
        ...(request.organization !== undefined ? { org_id: request.organization } : {}),
        ...boundClaims(jkt)
      },
      "at+jwt"
    ),
    scope: granted,
    expires_in: state.accessTokenTtl,
    token_type: tokenTypeFor(jkt),
    issued_token_type: ISSUED_TOKEN_TYPE
  }
  if (oidcScopes.includes("openid")) {
    const claims: Record<string, unknown> = {}
    for (const s of oidcScopes) {
      for (const name of CLAIMS_BY_SCOPE[s] ?? []) if (name !== "sub" && user.claims[name] !== undefined) claims[name] = user.claims[name]
    }
    body["id_token"] = await signJwt(key, { ...claims, iss: state.issuer, sub: user.sub, aud: client.clientId, iat, exp: iat + 36000, auth_time: iat })
  }
  if (oidcScopes.includes("offline_access")) {
    const refreshToken = randomId(32)
    state.refreshTokens.set(refreshToken, {
      clientId: client.clientId,
      accountId: user.sub,
      scope: granted,
      audience,
      sid: undefined,
      authTime: iat,
      grantId: undefined,
      expiresAt: iat + 30 * 24 * 3600
    })
    body["refresh_token"] = refreshToken
  }
  sendJson(res, 200, body)
}
