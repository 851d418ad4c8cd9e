/**
 * Unguessable values for `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §15.5.2).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"

/** 32 random bytes as base64url: 256 bits, safe in URLs and cookie names. */
export const token: Effect.Effect<string> = Effect.sync(() =>
  Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
)

/** A fresh `state` value. */
export const makeState: Effect.Effect<string> = token

/** A fresh `nonce` value. */
export const makeNonce: Effect.Effect<string> = token
