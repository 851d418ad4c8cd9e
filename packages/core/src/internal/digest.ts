/**
 * BASE64URL(SHA-256(UTF-8(value))), without padding: the PKCE S256 challenge, and the key under
 * which in-flight requests for one refresh token are shared (the token itself is never a key).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"

export const sha256Base64Url = (value: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(value))).pipe(
    Effect.map((digest) => Encoding.encodeBase64Url(new Uint8Array(digest)))
  )
