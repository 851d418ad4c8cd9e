/**
 * Canonical base64url (RFC 4648 §5, no padding): the one spelling of a byte string. Decoders
 * (atob, Buffer) ignore a final character's unused low bits, so up to 16 spellings of the same
 * bytes all decode alike; only the canonical one re-encodes to itself.
 *
 * @internal
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/** Whether `segment` is made of base64url characters only (the empty string is). */
const isBase64UrlText = (segment: string): boolean => /^[A-Za-z0-9_-]*$/.test(segment)

/**
 * Whether a segment of base64url characters is the one canonical encoding of its bytes: its
 * length is not 1 more than a multiple of 4 (no byte string encodes so), and the final
 * character's unused low bits are zero (RFC 4648 §3.5).
 */
export const hasCanonicalTail = (segment: string): boolean => {
  const rest = segment.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  const value = ALPHABET.indexOf(segment[segment.length - 1]!)
  return (value & (rest === 2 ? 0x0f : 0x03)) === 0
}

/** Whether `segment` is canonical base64url without padding: it decodes, and re-encodes to itself. */
export const isCanonical = (segment: string): boolean => isBase64UrlText(segment) && hasCanonicalTail(segment)
