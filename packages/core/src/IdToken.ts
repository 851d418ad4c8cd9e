/**
 * ID token validation, OIDC Core 1.0 §3.1.3.7. Each rule is a small named check; `validate`
 * runs them all after the signature is verified with a key from the tenant's JWKS.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as jose from "jose"
import { decodeProtectedHeader } from "jose/decode/protected_header"
import { compactVerify } from "jose/jws/compact/verify"
import type { KeyResolver } from "./AuthorizationServer.js"
import { IdTokenValidationError } from "./Errors.js"
import * as OrganizationRules from "./OrganizationRules.js"
import type { DiscoveryError, TransportError } from "./Errors.js"

/** Asymmetric algorithms we accept; `none` and HMAC never (the key would be the client secret). */
export const SUPPORTED_ALGORITHMS: ReadonlyArray<string> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

export interface Expectations {
  readonly issuer: string
  readonly clientId: string
  /** The nonce sent at login; `undefined` for ID tokens from a refresh (OIDC Core §12.2). */
  readonly nonce: string | undefined
  /** Seconds since the epoch. */
  readonly now: number
  readonly toleranceSeconds: number
  /** The `max_age` sent in the authorization request, if any. */
  readonly maxAge?: number | undefined
  /** Algorithms the provider advertises (`id_token_signing_alg_values_supported`). */
  readonly advertisedAlgorithms?: ReadonlyArray<string> | undefined
  /** The `organization` sent in the authorization request (id or name), if any. */
  readonly organization?: string | undefined
}

export type Claims = jose.JWTPayload & { readonly sub: string }

const invalid = (reason: IdTokenValidationError["reason"], message: string) =>
  new IdTokenValidationError({ reason, message: `Invalid ID token: ${message}` })

/**
 * §3.1.3.7 (6, 7): the alg is pinned: asymmetric, supported, and advertised by the provider
 * (`id_token_signing_alg_values_supported`). What is wrong, or `undefined`; logout tokens follow
 * the same rule (Back-Channel Logout §2.6 step 2).
 */
export const algorithmProblem = (alg: unknown, advertised: ReadonlyArray<string> | undefined): string | undefined => {
  if (typeof alg !== "string" || !SUPPORTED_ALGORITHMS.includes(alg)) return `algorithm "${String(alg)}" is not allowed`
  if (advertised && !advertised.includes(alg)) return `algorithm "${alg}" is not one the provider advertises`
  return undefined
}

/** {@link algorithmProblem} as an ID token rule. */
export const checkAlgorithm = (alg: unknown, advertised: ReadonlyArray<string> | undefined) => {
  const problem = algorithmProblem(alg, advertised)
  return problem === undefined ? undefined : invalid("algorithm", problem)
}

/**
 * The media type in `typ`, as RFC 7515 §4.1.9 compares it: case-insensitively, with an omitted
 * `application/` prefix implied (so `JWT` and `application/jwt` are one type).
 */
export const mediaType = (typ: string): string => {
  const lower = typ.toLowerCase()
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower
}

/**
 * `typ`, when present, is `JWT` (RFC 7519 §5.1, the type OIDC Core §2 ID tokens carry). Explicit
 * types of other JWTs are refused, so a token minted for another purpose cannot pass as an ID
 * token: `logout+jwt` (Back-Channel Logout §2.4), `at+jwt` (RFC 9068 §2.1), `dpop+jwt` (RFC 9449
 * §4.2), and anything else (RFC 8725 §3.11, explicit typing).
 */
export const checkType = (typ: unknown) => {
  if (typ === undefined) return undefined
  if (typeof typ === "string" && mediaType(typ) === "jwt") return undefined
  return invalid("typ", `typ "${String(typ)}" is not JWT`)
}

/** §3.1.3.7 (2): `iss` exactly equals the expected issuer. */
export const checkIssuer = (claims: jose.JWTPayload, issuer: string) =>
  claims.iss === issuer ? undefined : invalid("issuer", `iss "${String(claims.iss)}" is not "${issuer}"`)

/** §3.1.3.7 (3): `aud` contains the client id. */
export const checkAudience = (claims: jose.JWTPayload, clientId: string) => {
  const aud = claims.aud
  const ok = typeof aud === "string" ? aud === clientId : Array.isArray(aud) && aud.includes(clientId)
  return ok ? undefined : invalid("audience", `aud does not contain the client id "${clientId}"`)
}

/**
 * §3.1.3.7 (4, 5): with several audiences `azp` is required; when present it is the client id.
 * What is wrong, or `undefined`; logout tokens follow the same rule (Back-Channel Logout §2.6 step 3).
 */
export const authorizedPartyProblem = (claims: jose.JWTPayload, clientId: string): string | undefined => {
  const azp = (claims as { azp?: unknown }).azp
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && azp === undefined) return "azp is required when aud has several values"
  if (azp !== undefined && azp !== clientId) return `azp "${String(azp)}" is not the client id`
  return undefined
}

/** {@link authorizedPartyProblem} as an ID token rule. */
export const checkAuthorizedParty = (claims: jose.JWTPayload, clientId: string) => {
  const problem = authorizedPartyProblem(claims, clientId)
  return problem === undefined ? undefined : invalid("azp", problem)
}

/** §3.1.3.7 (9): the current time is before `exp` (plus leeway). */
export const checkExpiry = (claims: jose.JWTPayload, now: number, tolerance: number) => {
  if (typeof claims.exp !== "number") return invalid("expired", "exp is missing")
  return now < claims.exp + tolerance ? undefined : invalid("expired", "the token has expired")
}

/** §3.1.3.7 (10): `iat` is present and not in the future (beyond leeway). */
export const checkIssuedAt = (claims: jose.JWTPayload, now: number, tolerance: number) => {
  if (typeof claims.iat !== "number") return invalid("issued_at", "iat is missing")
  return claims.iat <= now + tolerance ? undefined : invalid("issued_at", "iat is in the future")
}

/**
 * RFC 7519 §4.1.5: a JWT must not be accepted before its `nbf`, when present; the leeway is
 * `iat`'s (§3.1.3.7 (10)), so a tenant clock slightly ahead of ours is tolerated alike. What is
 * wrong, or `undefined`.
 */
export const notBeforeProblem = (claims: jose.JWTPayload, now: number, tolerance: number): string | undefined => {
  if (claims.nbf === undefined) return undefined
  if (typeof claims.nbf !== "number") return "nbf is not a NumericDate"
  return claims.nbf <= now + tolerance ? undefined : "the token is not valid yet (nbf)"
}

/** {@link notBeforeProblem} as an ID token rule. */
export const checkNotBefore = (claims: jose.JWTPayload, now: number, tolerance: number) => {
  const problem = notBeforeProblem(claims, now, tolerance)
  return problem === undefined ? undefined : invalid("not_before", problem)
}

/** §3.1.3.7 (11): `nonce` equals the one sent in the authorization request. */
export const checkNonce = (claims: jose.JWTPayload, nonce: string | undefined) =>
  nonce === undefined || (claims as { nonce?: unknown }).nonce === nonce ? undefined : invalid("nonce", "nonce does not match the request")

/** §3.1.3.7 (13): with `max_age`, `auth_time` is present and not too long ago. */
export const checkAuthTime = (claims: jose.JWTPayload, maxAge: number | undefined, now: number, tolerance: number) => {
  if (maxAge === undefined) return undefined
  const authTime = (claims as { auth_time?: unknown }).auth_time
  if (typeof authTime !== "number") return invalid("auth_time", "auth_time is required when max_age was sent")
  return now <= authTime + maxAge + tolerance
    ? undefined
    : invalid("auth_time", "the user authenticated longer ago than max_age allows")
}

/**
 * Auth0 Organizations: a login to an organization is proven by `org_id` (an `org_...` id) or
 * `org_name` (a name, compared case-insensitively); see {@link OrganizationRules.claimProblem}.
 */
export const checkOrganization = (claims: jose.JWTPayload, organization: string | undefined) => {
  if (organization === undefined) return undefined
  const problem = OrganizationRules.claimProblem(claims, organization)
  return problem === undefined ? undefined : invalid("organization", problem)
}

/** §2: `sub` is a non-empty string. */
export const checkSubject = (claims: jose.JWTPayload) =>
  typeof claims.sub === "string" && claims.sub.length > 0 ? undefined : invalid("subject", "sub is missing")

/** Every claim rule of §3.1.3.7 (and RFC 7519 §4.1.5's `nbf`), in order; the first broken one is reported. */
export const checkClaims = (claims: jose.JWTPayload, expected: Expectations): IdTokenValidationError | undefined =>
  checkIssuer(claims, expected.issuer) ??
    checkAudience(claims, expected.clientId) ??
    checkAuthorizedParty(claims, expected.clientId) ??
    checkExpiry(claims, expected.now, expected.toleranceSeconds) ??
    checkIssuedAt(claims, expected.now, expected.toleranceSeconds) ??
    checkNotBefore(claims, expected.now, expected.toleranceSeconds) ??
    checkNonce(claims, expected.nonce) ??
    checkAuthTime(claims, expected.maxAge, expected.now, expected.toleranceSeconds) ??
    checkSubject(claims) ??
    checkOrganization(claims, expected.organization)

/** Verifies the signature through the JWKS, then every claim rule. */
export const validate = (
  idToken: string,
  keyFor: KeyResolver,
  expected: Expectations
): Effect.Effect<Claims, IdTokenValidationError | DiscoveryError | TransportError> =>
  Effect.gen(function*() {
    const header = yield* Effect.try({
      try: () => decodeProtectedHeader(idToken),
      catch: () => invalid("malformed", "not a compact JWS")
    })
    const headerError = checkAlgorithm(header.alg, expected.advertisedAlgorithms) ?? checkType(header.typ)
    if (headerError) return yield* headerError
    const key = yield* keyFor(header).pipe(
      Effect.catchTag("DiscoveryError", (e) =>
        Effect.gen(function*() {
          if (e.reason === "unknown_key") return yield* invalid("signature", e.message)
          return yield* e
        }))
    )
    const verified = yield* Effect.tryPromise({
      try: () => compactVerify(idToken, key, { algorithms: [header.alg as string] }),
      catch: () => invalid("signature", "the signature does not verify")
    })
    const claims = yield* Effect.try({
      try: () => JSON.parse(new TextDecoder().decode(verified.payload)) as unknown,
      catch: () => invalid("malformed", "the payload is not JSON")
    })
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
      return yield* invalid("malformed", "the payload is not a JSON object")
    }
    const claimError = checkClaims(claims as jose.JWTPayload, expected)
    if (claimError) return yield* claimError
    return claims as Claims
  })

/** The claims of the ID token a session was created with that a refreshed one must repeat. */
export interface OriginalSubject {
  readonly iss: string
  readonly sub: string
  readonly auth_time?: unknown
}

/**
 * OIDC Core §12.2: an ID token from a refresh is about the same user and the same login as the
 * original: its `iss` and `sub` equal the original's, and its `auth_time` too when both carry
 * one. Returns the first claim that differs, or `undefined`.
 */
export const refreshedSubjectMismatch = (
  original: OriginalSubject,
  refreshed: jose.JWTPayload
): "iss" | "sub" | "auth_time" | undefined => {
  if (refreshed.iss !== original.iss) return "iss"
  if (refreshed.sub !== original.sub) return "sub"
  const authTime = (refreshed as { auth_time?: unknown }).auth_time
  if (authTime !== undefined && original.auth_time !== undefined && authTime !== original.auth_time) return "auth_time"
  return undefined
}
