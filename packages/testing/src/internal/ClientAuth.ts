import { timingSafeEqual } from "node:crypto"
import * as jose from "jose"
import type { ResolvedClient, State } from "./State.js"

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

export type ClientAuthResult =
  | { readonly ok: true; readonly client: ResolvedClient; readonly method: string }
  | { readonly ok: false; readonly status: number; readonly error: string; readonly description: string; readonly basic: boolean }

const fail = (description: string, basic = false, error = "invalid_client", status = 401): ClientAuthResult => ({
  ok: false,
  status,
  error,
  description,
  basic
})

const sameSecret = (a: string, b: string): boolean => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** `Authorization: Basic` credentials: form-urlencoded id and secret (RFC 6749 §2.3.1). */
const parseBasic = (header: string | undefined): { id: string; secret: string } | undefined => {
  if (!header || !/^basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return undefined
  const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, " "))
  try {
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

/**
 * Authenticates the client of a token or PAR request the way Auth0 does: client_secret_basic,
 * client_secret_post, or private_key_jwt (RFC 7523 §3) for clients with registered `jwks`.
 * Clients with neither a secret nor keys are public: `client_id` alone identifies them.
 */
export const authenticateClient = async (
  state: State,
  params: URLSearchParams,
  authorization: string | undefined
): Promise<ClientAuthResult> => {
  const basic = parseBasic(authorization)
  const assertion = params.get("client_assertion")
  const bodySecret = params.get("client_secret")
  const bodyId = params.get("client_id")

  if (basic) {
    if (bodyId && bodyId !== basic.id) return fail("client_id mismatch", true, "invalid_request", 400)
    const client = state.clients.get(basic.id)
    if (!client?.clientSecret || !sameSecret(client.clientSecret, basic.secret)) {
      return fail("Unauthorized", true)
    }
    return { ok: true, client, method: "client_secret_basic" }
  }

  if (assertion !== null) {
    if (params.get("client_assertion_type") !== JWT_BEARER) {
      return fail(`client_assertion_type must be ${JWT_BEARER}`)
    }
    let claims: jose.JWTPayload
    try {
      claims = jose.decodeJwt(assertion)
    } catch {
      return fail("client_assertion is not a JWT")
    }
    const clientId = claims.sub ?? claims.iss
    const client = clientId ? state.clients.get(clientId) : undefined
    if (!client || !client.jwks) return fail("Unknown client or no registered keys for private_key_jwt")
    if (bodyId && bodyId !== client.clientId) return fail("client_id mismatch")
    try {
      const { payload } = await jose.jwtVerify(assertion, jose.createLocalJWKSet(client.jwks as jose.JSONWebKeySet), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: [`${state.origin}/oauth/token`, `${state.origin}/oauth/par`, state.issuer, state.origin],
        requiredClaims: ["exp", "jti"]
      })
      const jti = `${client.clientId}:${String(payload.jti)}`
      if (state.usedAssertionIds.has(jti)) return fail("client_assertion jti already used")
      state.usedAssertionIds.add(jti)
      return { ok: true, client, method: "private_key_jwt" }
    } catch (error) {
      return fail(`client_assertion rejected: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  if (!bodyId) return fail("Missing client credentials")
  const client = state.clients.get(bodyId)
  if (!client) return fail("Unknown client")
  if (bodySecret !== null) {
    if (!client.clientSecret || !sameSecret(client.clientSecret, bodySecret)) return fail("Unauthorized")
    return { ok: true, client, method: "client_secret_post" }
  }
  if (client.clientSecret || client.jwks) return fail("Client authentication is required")
  return { ok: true, client, method: "none" }
}
