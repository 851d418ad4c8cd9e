/**
 * What a login keeps of an ID token, and the login scope from the configuration.
 *
 * @internal
 */
import { DEFAULT_SCOPE, type ResolvedConfig } from "../Auth0Config.js"
import type * as IdToken from "../IdToken.js"
import { type UserClaims, withStandardTypes } from "../Session.js"

/**
 * The scopes a login asks for: the configured ones for its audience (the key "" without one),
 * or the SDK default (`openid profile email offline_access`) when the configuration has none
 * for it, so a scope map for other APIs does not silently drop the refresh token.
 */
export const configuredScope = (config: ResolvedConfig, audience: string | undefined): string =>
  config.scopes.get(audience ?? "") ?? DEFAULT_SCOPE

/** Claims that describe the token rather than the user; not kept in the session's `user`. */
const PROTOCOL_CLAIMS = ["iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "azp", "at_hash", "c_hash", "s_hash", "sid"]

/** The user claims to keep from an ID token. */
export const userClaims = (claims: IdToken.Claims): UserClaims => {
  const user: Record<string, unknown> = { ...claims }
  for (const claim of PROTOCOL_CLAIMS) delete user[claim]
  return withStandardTypes(user as UserClaims)
}

