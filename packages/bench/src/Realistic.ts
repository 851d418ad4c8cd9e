/**
 * The realistic Multi-Resource Refresh Token session of issue 15: 10 user claims, a ~950-character
 * ID token carrying them, a refresh token, three token sets for three APIs with ~800-character
 * access tokens, and one Token Vault connection token. Tokens are shaped as Auth0 issues them:
 * RS256 JWTs whose 256-byte signatures are random bytes (seeded, so every run seals the same
 * session), never runs of one character that compression would erase.
 *
 * Also the "jose floor": the bare jose JWE (`dir`, A256GCM, key already imported) of the same
 * plaintext, the least any cookie store built on jose can do per read and write.
 */
import { compactDecrypt } from "jose/jwe/compact/decrypt"
import { CompactEncrypt } from "jose/jwe/compact/encrypt"

/** The tenant the tokens name (the stores treat tokens as opaque: nothing verifies them). */
export const TENANT_ISSUER = "https://bench-tenant.us.auth0.com/"
/** An Auth0 client id is 32 characters. */
export const TOKEN_CLIENT_ID = "Xq3vL0bN8cR2mT6wY1zA5dF9gH4jK7pS"
export const AUDIENCES = ["https://api.example.com", "https://billing.example.com", "https://bench-tenant.us.auth0.com/me/"] as const
export const CONNECTION = "google-oauth2"

/** Deterministic bytes (xorshift32): the same "random" signatures every run. */
export const seededBytes = (seed: number, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

const b64 = (bytes: Uint8Array | string): string =>
  (typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes)).toString("base64url")

/** An RS256 JWT as Auth0 signs it: header with `kid`, the claims, a 256-byte (RSA-2048) signature. */
const rs256Jwt = (claims: Record<string, unknown>, seed: number): string =>
  `${b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "k4Xb7TqN2wR9vLmZ" }))}.${
    b64(JSON.stringify(claims))
  }.${b64(seededBytes(seed, 256))}`

/** The realistic session, issued at `nowSeconds`. Same fields as both SDKs' session data. */
export const realisticSession = (nowSeconds: number) => {
  const iat = Math.floor(nowSeconds)
  const user = {
    sub: "auth0|6748c2f0e1b3a9d5c4f10237",
    name: "Ada Lovelace",
    given_name: "Ada",
    family_name: "Lovelace",
    nickname: "ada",
    picture: "https://s.gravatar.com/avatar/5c5e0b3c.png",
    locale: "en",
    updated_at: "2026-11-30T09:12:44Z",
    email: "ada@example.com",
    email_verified: true
  }
  const sid = "9bKz1qWmX2cVn4LpRt7YeUo0sDfGhJk3"
  const idToken = rs256Jwt(
    {
      ...user,
      iss: TENANT_ISSUER,
      aud: TOKEN_CLIENT_ID,
      iat,
      exp: iat + 36_000,
      sid,
      nonce: "hT3kL9xQ2mVb7NcR5sWz8Y"
    },
    0x1d
  )
  const scopes = [
    "openid profile email offline_access read:items write:items",
    "openid profile email offline_access read:invoices",
    "openid profile email offline_access create:me:connected_accounts read:me:connected_accounts"
  ]
  const tokenSets = AUDIENCES.map((audience, index) => {
    const scope = scopes[index]!
    const accessToken = rs256Jwt(
      {
        iss: TENANT_ISSUER,
        sub: user.sub,
        aud: audience,
        iat,
        exp: iat + 86_400,
        scope,
        azp: TOKEN_CLIENT_ID,
        gty: "refresh_token"
      },
      0x200 + index
    )
    return { audience, accessToken, scope, expiresAt: iat + 86_400 }
  })
  return {
    user,
    idToken,
    // An Auth0 rotating refresh token: opaque, `v1.` and about 130 characters.
    refreshToken: `v1.${b64(seededBytes(0x31, 96))}`,
    tokenSets,
    connectionTokenSets: [{
      connection: CONNECTION,
      // A Google OAuth access token: `ya29.` and about 220 opaque characters.
      accessToken: `ya29.${b64(seededBytes(0x41, 160))}`,
      scope: "https://www.googleapis.com/auth/calendar.readonly",
      expiresAt: iat + 3_599
    }],
    internal: { sid, createdAt: iat }
  }
}

/**
 * The bare jose JWE of one session with a key imported once: a write is `JSON.stringify` and
 * `CompactEncrypt`, a read `compactDecrypt` and `JSON.parse`. No cookie parsing, no schema, no
 * expiry: the least any cookie store built on jose can do.
 */
export interface Floor {
  readonly token: string
  readonly plaintextBytes: number
  readonly decrypt: () => Promise<unknown>
  readonly encrypt: () => Promise<string>
}

export const makeFloor = async (data: unknown): Promise<Floor> => {
  const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, [
    "encrypt",
    "decrypt"
  ])
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const encrypt = () =>
    new CompactEncrypt(encoder.encode(JSON.stringify(data))).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(key)
  const token = await encrypt()
  return {
    token,
    plaintextBytes: encoder.encode(JSON.stringify(data)).length,
    decrypt: () => compactDecrypt(token, key).then((result) => JSON.parse(decoder.decode(result.plaintext))),
    encrypt
  }
}
