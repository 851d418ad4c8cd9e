/**
 * Whether an access token is for the API it was requested for. Access tokens are opaque to
 * clients in general (RFC 6749 §1.4), but when Auth0 issues a JWT and its `aud` leaves out the
 * requested audience (Auth0 may fall back to the default audience), caching it would send
 * tokens to the wrong API.
 *
 * @since 0.1.0
 */
import type * as jose from "jose"
import { decodeJwt } from "jose/jwt/decode"

/** `false` only for a decodable JWT whose `aud` does not contain `audience`. */
export const allows = (accessToken: string, audience: string): boolean => {
  if (accessToken.split(".").length !== 3) return true
  let claims: jose.JWTPayload
  try {
    claims = decodeJwt(accessToken)
  } catch {
    return true
  }
  const aud = claims.aud
  if (aud === undefined) return true
  return typeof aud === "string" ? aud === audience : aud.includes(audience)
}
