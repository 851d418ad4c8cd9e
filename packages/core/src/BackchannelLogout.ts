/**
 * OpenID Connect Back-Channel Logout 1.0: the tenant POSTs a signed `logout_token`; once it is
 * validated (§2.6) every session it names (by `sid`, by `sub`, or both) is deleted, and the
 * token is remembered until it expires so that a replay cannot end a later login.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as jose from "jose"
import { decodeProtectedHeader } from "jose/decode/protected_header"
import { compactVerify } from "jose/jws/compact/verify"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { BackchannelLogoutError } from "./Errors.js"
import { algorithmProblem, authorizedPartyProblem, mediaType, notBeforeProblem } from "./IdToken.js"
import { type LogoutToken, StateStore } from "./StateStore.js"
import { epochSeconds } from "./internal/time.js"
import * as Telemetry from "./Telemetry.js"

/** The event a logout token must carry (§2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

const reject = (why: string) => new BackchannelLogoutError({ message: `Invalid logout token: ${why}` })

/** What a valid logout token yields: whom to log out, and the token's identity (§2.4). */
export type LogoutTokenClaims = LogoutToken

/**
 * §2.4: `typ`, when present, is `logout+jwt` (recommended) or `JWT`, compared as media types
 * (RFC 7515 §4.1.9: case-insensitively, `application/` implied). An ID token (`JWT` is
 * allowed, but it carries a `nonce` and no event) or an access token (`at+jwt`) is refused.
 * What is wrong, or `undefined`.
 */
export const checkType = (typ: unknown): string | undefined => {
  if (typ === undefined) return undefined
  if (typeof typ === "string" && ["logout+jwt", "jwt"].includes(mediaType(typ))) return undefined
  return `typ "${String(typ)}" is not logout+jwt`
}

/**
 * The claim rules of §2.6 (steps 3-7) on a payload whose signature was verified: exact `iss`,
 * `aud` containing the client and, with several audiences, an `azp` that is the client (as for
 * ID tokens, OIDC Core §3.1.3.7 (3-5)), `iat` present and not in the future, `nbf` passed
 * (RFC 7519 §4.1.5), `exp` not passed, a `jti` (REQUIRED, §2.4), the back-channel logout event,
 * `sid` and/or `sub`, and no `nonce` (so an ID token cannot pass).
 */
export const checkLogoutClaims = (
  claims: jose.JWTPayload,
  expected: { readonly issuer: string; readonly clientId: string; readonly now: number; readonly toleranceSeconds: number }
): BackchannelLogoutError | LogoutTokenClaims => {
  if (claims.iss !== expected.issuer) return reject(`iss "${String(claims.iss)}" is not "${expected.issuer}"`)
  const aud = claims.aud
  if (!(typeof aud === "string" ? aud === expected.clientId : Array.isArray(aud) && aud.includes(expected.clientId))) {
    return reject("aud does not contain the client id")
  }
  const azp = authorizedPartyProblem(claims, expected.clientId)
  if (azp !== undefined) return reject(azp)
  if (typeof claims.iat !== "number") return reject("iat is missing")
  if (claims.iat > expected.now + expected.toleranceSeconds) return reject("iat is in the future")
  const nbf = notBeforeProblem(claims, expected.now, expected.toleranceSeconds)
  if (nbf !== undefined) return reject(nbf)
  if (typeof claims.exp !== "number") return reject("exp is missing")
  if (expected.now >= claims.exp + expected.toleranceSeconds) return reject("the token has expired")
  if (typeof claims.jti !== "string" || claims.jti.length === 0) return reject("jti is missing")
  const events = (claims as { events?: unknown }).events
  if (typeof events !== "object" || events === null || Array.isArray(events)) return reject("events is missing")
  const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return reject(`events has no "${BACKCHANNEL_LOGOUT_EVENT}" member`)
  }
  if ("nonce" in claims) return reject("a logout token must not contain a nonce")
  const sid = typeof (claims as { sid?: unknown }).sid === "string" ? (claims as { sid: string }).sid : undefined
  const sub = typeof claims.sub === "string" ? claims.sub : undefined
  if (sid === undefined && sub === undefined) return reject("it names neither sid nor sub")
  return { sid, sub, iss: claims.iss, jti: claims.jti, exp: claims.exp }
}

/**
 * Validates a logout token (§2.6) and deletes the sessions it names; returns how many. Fails with
 * {@link BackchannelLogoutError} for an invalid token, a token seen before (replay, refused by
 * every instance sharing the session backend), or when the session store cannot find sessions
 * server-side (stateless cookie sessions); with `StoreError` when the backend is down, in which
 * case nothing is remembered and the tenant's retry of the same token still works.
 */
export const handleBackchannelLogout = Telemetry.fn(Telemetry.SpanNames.backchannelLogout)(function*(logoutToken: string) {
  const config = yield* Auth0Config
  const server = yield* AuthorizationServer
  if (typeof logoutToken !== "string" || logoutToken.length === 0) return yield* reject("it is empty")
  const header = yield* Effect.try({
    try: () => decodeProtectedHeader(logoutToken),
    catch: () => reject("not a compact JWS")
  })
  // §2.6 step 2: the signature is validated as an ID token's, so the alg must be advertised too.
  const metadata = yield* server.metadata
  const headerProblem = algorithmProblem(header.alg, metadata.id_token_signing_alg_values_supported) ??
    checkType(header.typ)
  if (headerProblem !== undefined) return yield* reject(headerProblem)
  const key = yield* server.keyFor(header).pipe(
    Effect.catchTag("DiscoveryError", (e) =>
      Effect.gen(function*() {
        if (e.reason === "unknown_key") return yield* reject(e.message)
        return yield* e
      }))
  )
  const verified = yield* Effect.tryPromise({
    try: () => compactVerify(logoutToken, key, { algorithms: [header.alg as string] }),
    catch: () => reject("the signature does not verify")
  })
  const claims = yield* Effect.try({
    try: () => JSON.parse(new TextDecoder().decode(verified.payload)) as jose.JWTPayload,
    catch: () => reject("the payload is not JSON")
  })
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    return yield* reject("the payload is not a JSON object")
  }
  const checked = checkLogoutClaims(claims, {
    issuer: config.issuer,
    clientId: config.clientId,
    now: yield* epochSeconds,
    toleranceSeconds: config.options.clockToleranceSeconds
  })
  if (checked instanceof BackchannelLogoutError) return yield* checked
  return yield* (yield* StateStore).deleteByLogoutClaims(checked)
}, Telemetry.flow)
