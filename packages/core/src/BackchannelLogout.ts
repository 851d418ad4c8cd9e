/**
 * OpenID Connect Back-Channel Logout 1.0: the tenant POSTs a signed `logout_token`; once it is
 * validated (§2.6) every session it names (by `sid`, by `sub`, or both) is deleted.
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
import { SUPPORTED_ALGORITHMS } from "./IdToken.js"
import { StateStore } from "./StateStore.js"
import { epochSeconds } from "./internal/time.js"

/** The event a logout token must carry (§2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

const reject = (why: string) => new BackchannelLogoutError({ message: `Invalid logout token: ${why}` })

export interface LogoutTokenClaims {
  readonly sid?: string | undefined
  readonly sub?: string | undefined
}

/**
 * The claim rules of §2.6 (steps 3-7) on a payload whose signature was verified: exact `iss`,
 * `aud` containing the client, `iat` present and not in the future, `exp` not passed, the
 * back-channel logout event, `sid` and/or `sub`, and no `nonce` (so an ID token cannot pass).
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
  if (typeof claims.iat !== "number") return reject("iat is missing")
  if (claims.iat > expected.now + expected.toleranceSeconds) return reject("iat is in the future")
  if (typeof claims.exp !== "number") return reject("exp is missing")
  if (expected.now >= claims.exp + expected.toleranceSeconds) return reject("the token has expired")
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
  return { sid, sub }
}

/**
 * Validates a logout token (§2.6) and deletes the sessions it names; returns how many. Fails with
 * {@link BackchannelLogoutError} for an invalid token, or when the session store cannot find
 * sessions server-side (stateless cookie sessions).
 */
export const handleBackchannelLogout = Effect.fn("handleBackchannelLogout")(function*(logoutToken: string) {
  const config = yield* Auth0Config
  const server = yield* AuthorizationServer
  if (typeof logoutToken !== "string" || logoutToken.length === 0) return yield* reject("it is empty")
  const header = yield* Effect.try({
    try: () => decodeProtectedHeader(logoutToken),
    catch: () => reject("not a compact JWS")
  })
  if (typeof header.alg !== "string" || !SUPPORTED_ALGORITHMS.includes(header.alg)) {
    return yield* reject(`algorithm "${String(header.alg)}" is not allowed`)
  }
  if (header.typ !== undefined && header.typ.toLowerCase() !== "logout+jwt" && header.typ.toUpperCase() !== "JWT") {
    return yield* reject(`typ "${header.typ}" is not logout+jwt`)
  }
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
  if (typeof claims !== "object" || claims === null) return yield* reject("the payload is not a JSON object")
  const checked = checkLogoutClaims(claims, {
    issuer: config.issuer,
    clientId: config.clientId,
    now: yield* epochSeconds,
    toleranceSeconds: config.options.clockToleranceSeconds
  })
  if (checked instanceof BackchannelLogoutError) return yield* checked
  return yield* (yield* StateStore).deleteByLogoutClaims(checked)
})
