/**
 * Sender-constrained access tokens (RFC 9449 §6): a grant answered with a valid DPoP proof binds
 * the access token to the proof's key (`cnf.jkt`) and says so in `token_type`.
 *
 * @internal
 */

/** The claims that bind an access token to the key with thumbprint `jkt`; none without a proof. */
export const boundClaims = (jkt: string | undefined): { cnf?: { jkt: string } } => (jkt !== undefined ? { cnf: { jkt } } : {})

/** `token_type` of the token endpoint's answer (RFC 9449 §5). */
export const tokenTypeFor = (jkt: string | undefined): "DPoP" | "Bearer" => (jkt !== undefined ? "DPoP" : "Bearer")
