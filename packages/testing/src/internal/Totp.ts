/**
 * RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits, what authenticator apps use) over a
 * base32 secret (RFC 4648 §6), with WebCrypto only: the emulator checks codes with it and tests
 * compute them with it.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

/** Base32 without padding (RFC 4648 §6), as `otpauth://` secrets are written. */
export const base32Encode = (bytes: Uint8Array): string => {
  let bits = 0
  let value = 0
  let out = ""
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Decodes base32 (case and padding ignored); throws on a character outside the alphabet. */
export const base32Decode = (text: string): Uint8Array<ArrayBuffer> => {
  const clean = text.toUpperCase().replace(/=+$/, "").replace(/\s+/g, "")
  const out: Array<number> = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index < 0) throw new Error("The secret is not base32")
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return new Uint8Array(out)
}

/** HOTP (RFC 4226 §5.3): HMAC-SHA1 of the 8-byte counter, dynamically truncated to `digits`. */
export const hotp = async (key: Uint8Array<ArrayBuffer>, counter: number, digits = 6): Promise<string> => {
  const message = new Uint8Array(8)
  new DataView(message.buffer).setBigUint64(0, BigInt(counter))
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"])
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, message))
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(binary % 10 ** digits).padStart(digits, "0")
}

/**
 * The TOTP code (RFC 6238 §4) of a base32 `secret` at `atSeconds` (default now): what the user's
 * authenticator app shows. `digits` defaults to 6.
 *
 * @example
 * const enrollment = await emulator.enrollMfa("ada@example.com", { type: "otp" })
 * const otp = await totp(enrollment.secret!)
 */
export const totp = (secret: string, atSeconds: number = Date.now() / 1000, digits = 6): Promise<string> =>
  hotp(base32Decode(secret), Math.floor(atSeconds / 30), digits)
