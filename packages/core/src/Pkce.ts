/**
 * Proof Key for Code Exchange (RFC 7636), S256 only.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import { sha256Base64Url } from "./internal/digest.js"

/** The verifier grammar: 43..128 unreserved characters (RFC 7636 §4.1). */
export const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/

/** A fresh code verifier: 32 random bytes, base64url without padding, 43 chars (RFC 7636 §4.1). */
export const makeVerifier: Effect.Effect<string> = Effect.sync(() =>
  Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
)

/** The S256 code challenge: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2). */
export const challengeS256 = (verifier: string): Effect.Effect<string> => sha256Base64Url(verifier)

/** A verifier and its S256 challenge. */
export const make: Effect.Effect<{ readonly verifier: string; readonly challenge: string }> = Effect.flatMap(
  makeVerifier,
  (verifier) => Effect.map(challengeS256(verifier), (challenge) => ({ verifier, challenge }))
)
