/**
 * Encrypts what the SDK puts in cookies (sessions, session ids, transactions) as compact JWE
 * (RFC 7516) with `alg: "dir"` and `enc: "A256GCM"`, keyed from the configured `secret`s.
 *
 * Keys: each secret's UTF-8 bytes go through HKDF-SHA-256 (RFC 5869) with the fixed salt
 * {@link HKDF_SALT}; info {@link HKDF_INFO_ENCRYPTION} gives the AES-256-GCM key, info
 * {@link HKDF_INFO_KEY_ID} gives 48 bits shown as the key's `kid` (a fingerprint that reveals
 * nothing about the key itself). Keys are derived once, when the layer is built, never per request.
 *
 * Rotation: the first secret encrypts, every secret decrypts. A token's `kid` picks its key
 * directly; a token with an unknown or missing `kid` is tried against every key.
 *
 * Expiry: the token's expiry (seconds since the epoch) travels as `exp` in the protected header,
 * which AES-GCM authenticates as additional data. Expired tokens are rejected before any
 * decryption work, and the time comes from `Clock`, so `TestClock` drives it.
 *
 * Compression: a plaintext of {@link COMPRESS_MIN_LENGTH} bytes or more is deflated (raw DEFLATE,
 * RFC 1951) before encryption when that makes it smaller, and the protected header then carries
 * {@link COMPRESSION_HEADER}` = "DEF"`. The header is authenticated, so the flag cannot be added
 * or removed. Tokens without it (every cookie written before compression) read as before. RFC
 * 7516's own `zip` header is not used: jose would inflate it itself, through
 * `DecompressionStream`, which on Node costs about ten times `node:zlib` (see `internal/deflate`),
 * on every request; a `zip` token stays refused, as before. Inflating stops at
 * {@link MAX_INFLATED_LENGTH} bytes (a decompression bomb reads as no session), and `encrypt`
 * compresses nothing larger, so every token it makes reads back.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { CompactEncrypt } from "jose/jwe/compact/encrypt"
import { compactDecrypt } from "jose/jwe/compact/decrypt"
import type { CompactDecryptGetKey, CompactDecryptResult, DecryptOptions } from "jose"
import { Auth0Config } from "./Auth0Config.js"
import * as Base64Url from "./internal/base64url.js"
import * as Deflate from "./internal/deflate.js"

/** HKDF salt for every key (RFC 5869 §3.1: a fixed, non-secret salt still strengthens extraction). */
export const HKDF_SALT = "auth0-effect/session-crypto/v1"
/** HKDF info of the AES-256-GCM content encryption key. */
export const HKDF_INFO_ENCRYPTION = "auth0-effect A256GCM cookie encryption"
/** HKDF info of the key id (`kid`) fingerprint. */
export const HKDF_INFO_KEY_ID = "auth0-effect key id"

/** Longest token `decrypt` looks at: well above {@link CookieChunks.MAX_CHUNKS} × 4096 bytes. */
export const MAX_TOKEN_LENGTH = 64 * 1024

/** Private protected-header parameter (RFC 7516 §4.3) flagging a deflated plaintext; its one value is `"DEF"`. */
export const COMPRESSION_HEADER = "pzip"
/** Plaintexts shorter than this are never deflated (ids, small transactions: nothing to gain). */
export const COMPRESS_MIN_LENGTH = 256
/** Most bytes a deflated plaintext may inflate to; past it the token reads as `None`. */
export const MAX_INFLATED_LENGTH = 256 * 1024

/** A decrypted token: its JSON payload and its expiry in seconds since the epoch. */
export interface DecryptedToken {
  readonly payload: unknown
  readonly expiresAt: number
  /** Sealed with the current (first) secret; `false` means it should be re-sealed (rotation). */
  readonly currentKey: boolean
}

export interface SessionCryptoService {
  /**
   * Encrypts `payload` (anything `JSON.stringify` accepts) into a compact JWE that `decrypt`
   * accepts until `expiresAt` (seconds since the epoch).
   */
  readonly encrypt: (payload: unknown, options: { readonly expiresAt: number }) => Effect.Effect<string>
  /**
   * The payload of a token made by `encrypt` with any configured secret, if it has not expired.
   * Anything else (tampered, truncated, expired, another secret, not a JWE at all) is `None`:
   * this never fails and never throws.
   */
  readonly decrypt: (token: string) => Effect.Effect<Option.Option<unknown>>
  /** Like `decrypt`, also giving the token's expiry (stores renew rolling sessions from it). */
  readonly decryptToken: (token: string) => Effect.Effect<Option.Option<DecryptedToken>>
}

/** A derived key and its public fingerprint. */
export interface DerivedKey {
  readonly kid: string
  readonly key: CryptoKey
}

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: true })

/** Derives the AES-256-GCM key and key id of one secret (HKDF-SHA-256, see the module docs). */
export const deriveKey = (secret: string): Effect.Effect<DerivedKey> =>
  Effect.promise(async () => {
    const material = await crypto.subtle.importKey("raw", utf8.encode(secret), "HKDF", false, [
      "deriveKey",
      "deriveBits"
    ])
    const salt = utf8.encode(HKDF_SALT)
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(HKDF_INFO_ENCRYPTION) },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"]
    )
    const idBits = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt, info: utf8.encode(HKDF_INFO_KEY_ID) },
      material,
      48
    )
    return { kid: Encoding.encodeBase64Url(new Uint8Array(idBits)), key }
  })

const DECRYPT_OPTIONS: DecryptOptions = {
  keyManagementAlgorithms: ["dir"],
  contentEncryptionAlgorithms: ["A256GCM"],
  // Our compression flag is COMPRESSION_HEADER, never `zip`: a `zip` token is not ours.
  maxDecompressedLength: 0
}

/** A compact JWE with `alg: "dir"`: five base64url segments, the encrypted key empty (RFC 7516 §7.1). */
const DIRECT_JWE = /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** Strict shape check before jose: only the exact bytes `encrypt` produced may decrypt. */
const isCanonicalDirectJwe = (token: string): boolean => {
  if (!DIRECT_JWE.test(token)) return false
  const [protectedHeader, , iv, ciphertext, tag] = token.split(".")
  // Without this, up to 16 spellings of one tag would all verify, and a changed cookie could still read.
  return Base64Url.hasCanonicalTail(protectedHeader!) && Base64Url.hasCanonicalTail(iv!) &&
    Base64Url.hasCanonicalTail(ciphertext!) && Base64Url.hasCanonicalTail(tag!)
}

/** Thrown inside the key resolver to stop jose before any decryption work. */
const REJECT = Symbol("reject")
/** Thrown inside the key resolver when the `kid` is not one of ours: try every key instead. */
const UNKNOWN_KID = Symbol("unknown kid")

/**
 * Builds the service from already derived keys; the first key encrypts. `codec` deflates and
 * inflates plaintexts (default: the Web-standard streams; {@link make} picks `node:zlib` when present).
 */
export const fromKeys = (keys: ReadonlyArray<DerivedKey>, codec: Deflate.Deflate = Deflate.webStreams): SessionCryptoService => {
  const current = keys[0]
  if (current === undefined) throw new Error("SessionCrypto needs at least one key")
  const byKid = new Map<string, CryptoKey>()
  for (const { kid, key } of keys) if (!byKid.has(kid)) byKid.set(kid, key)

  /** The payload of a decrypted token, if it has not expired and its plaintext is (deflated) UTF-8 JSON. */
  const toResult = async (
    result: CompactDecryptResult,
    nowSeconds: number,
    currentKey: boolean
  ): Promise<DecryptedToken | undefined> => {
    const header = result.protectedHeader as { readonly exp?: unknown; readonly [COMPRESSION_HEADER]?: unknown } | undefined
    const exp = header?.exp
    if (typeof exp !== "number" || !(exp > nowSeconds)) return undefined
    const compression = header?.[COMPRESSION_HEADER]
    let plaintext: Uint8Array | undefined = result.plaintext
    if (compression === "DEF") plaintext = await codec.inflate(result.plaintext, MAX_INFLATED_LENGTH)
    else if (compression !== undefined) return undefined
    if (plaintext === undefined) return undefined
    try {
      return { payload: JSON.parse(utf8Decoder.decode(plaintext)), expiresAt: exp, currentKey }
    } catch {
      return undefined
    }
  }

  const open = async (token: string, nowSeconds: number): Promise<DecryptedToken | undefined> => {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !isCanonicalDirectJwe(token)) return undefined
    const resolveKey: CompactDecryptGetKey = (header) => {
      const exp = (header as { readonly exp?: unknown }).exp
      if (typeof exp !== "number" || !(exp > nowSeconds)) throw REJECT
      const key = typeof header.kid === "string" ? byKid.get(header.kid) : undefined
      if (key === undefined) throw UNKNOWN_KID
      return key
    }
    try {
      const result = await compactDecrypt(token, resolveKey, DECRYPT_OPTIONS)
      return await toResult(result, nowSeconds, result.protectedHeader.kid === current.kid)
    } catch (error) {
      if (error !== UNKNOWN_KID) return undefined
    }
    // Not one of our fingerprints: the header is not trusted, so try each key in turn.
    for (const { key } of keys) {
      try {
        return await toResult(await compactDecrypt(token, key, DECRYPT_OPTIONS), nowSeconds, false)
      } catch {
        // next key
      }
    }
    return undefined
  }

  /** Encrypts `plaintext`, deflated when that is smaller (see the module docs). */
  const seal = async (plaintext: Uint8Array, expiresAt: number): Promise<string> => {
    const header = { alg: "dir", enc: "A256GCM", kid: current.kid, exp: expiresAt }
    if (plaintext.length >= COMPRESS_MIN_LENGTH && plaintext.length <= MAX_INFLATED_LENGTH) {
      const deflated = await codec.deflate(plaintext)
      if (deflated.length < plaintext.length) {
        return new CompactEncrypt(deflated).setProtectedHeader({ ...header, [COMPRESSION_HEADER]: "DEF" }).encrypt(current.key)
      }
    }
    return new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(current.key)
  }

  const decryptToken = (token: string): Effect.Effect<Option.Option<DecryptedToken>> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(Effect.promise(() => open(token, now / 1000)), Option.fromNullable))

  return {
    encrypt: (payload, { expiresAt }) => Effect.promise(() => seal(utf8.encode(JSON.stringify(payload)), expiresAt)),
    decrypt: (token) => Effect.map(decryptToken(token), Option.map((decrypted) => decrypted.payload)),
    decryptToken
  }
}

/** Derives a key per secret (once), picks the fastest DEFLATE codec, and builds the service; the first secret encrypts. */
export const make = (secrets: ReadonlyArray<string>): Effect.Effect<SessionCryptoService> =>
  Effect.zipWith(Effect.forEach(secrets, deriveKey), Effect.promise(Deflate.load), fromKeys)

export class SessionCrypto extends Context.Tag("@auth0-effect/core/SessionCrypto")<
  SessionCrypto,
  SessionCryptoService
>() {
  /** Keys from `Auth0Config`'s `secret` (string or array, first one encrypts), derived once at build. */
  static readonly layer: Layer.Layer<SessionCrypto, never, Auth0Config> = Layer.effect(
    SessionCrypto,
    Effect.flatMap(Auth0Config, (config) => make(config.secrets))
  )

  /** Keys from explicit secrets, for tests and tools. */
  static readonly fromSecrets = (secrets: ReadonlyArray<string>): Layer.Layer<SessionCrypto> =>
    Layer.effect(SessionCrypto, make(secrets))
}
