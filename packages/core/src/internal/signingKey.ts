/**
 * The private_key_jwt signing key, checked where it is configured rather than at the first code
 * exchange. Importing a key (WebCrypto) is asynchronous, and `new ServerClient(...)` validates
 * synchronously, so the check has two steps: {@link keyProblem} reads the key's shape without
 * crypto (a PKCS#8 PEM whose algorithm matches `alg`, or a private JWK of the right type), and
 * {@link importOnce} imports it once, the first time the runtime is built, caching the result.
 */
import * as Effect from "effect/Effect"
import type * as jose from "jose"
import { importJWK, importPKCS8 } from "jose/key/import"
import { ConfigurationError } from "../Errors.js"

export type SigningAlg = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA"

type Family = "RSA" | "EC" | "OKP"

const family = (alg: SigningAlg): Family => (alg.startsWith("ES") ? "EC" : alg === "EdDSA" ? "OKP" : "RSA")

/** JWA (RFC 7518 §3.4) curve per ECDSA algorithm. */
const CURVE: Partial<Record<SigningAlg, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" }

/** Algorithm OIDs of PKCS#8's AlgorithmIdentifier (RFC 5958 §2), DER-encoded content bytes in hex. */
const OID_FAMILY: Record<string, Family> = {
  "2a864886f70d010101": "RSA", // rsaEncryption
  "2a864886f70d01010a": "RSA", // id-RSASSA-PSS
  "2a8648ce3d0201": "EC", // id-ecPublicKey
  "2b6570": "OKP", // id-Ed25519
  "2b6571": "OKP" // id-Ed448
}

/** Named-curve OIDs (RFC 5480 §2.1.1.1) as DER content bytes in hex. */
const OID_CURVE: Record<string, string> = {
  "2a8648ce3d030107": "P-256",
  "2b81040022": "P-384",
  "2b81040023": "P-521"
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/** Reads one DER TLV at `at`; `undefined` when it does not fit. */
const readTlv = (der: Uint8Array, at: number) => {
  const tag = der[at]
  let length = der[at + 1]
  if (tag === undefined || length === undefined) return undefined
  let start = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 3) return undefined
    length = 0
    for (let i = 0; i < count; i++) {
      const byte = der[start + i]
      if (byte === undefined) return undefined
      length = length * 256 + byte
    }
    start += count
  }
  if (start + length > der.length) return undefined
  return { tag, start, end: start + length }
}

/** PKCS#8 PrivateKeyInfo (RFC 5958 §2): the algorithm's family and curve, or `undefined`. */
const pkcs8Algorithm = (der: Uint8Array) => {
  const info = readTlv(der, 0)
  if (!info || info.tag !== 0x30) return undefined
  const version = readTlv(der, info.start)
  if (!version || version.tag !== 0x02) return undefined
  const algorithm = readTlv(der, version.end)
  if (!algorithm || algorithm.tag !== 0x30) return undefined
  const oid = readTlv(der, algorithm.start)
  if (!oid || oid.tag !== 0x06) return undefined
  const keyFamily = OID_FAMILY[hex(der.subarray(oid.start, oid.end))]
  if (!keyFamily) return undefined
  const params = oid.end < algorithm.end ? readTlv(der, oid.end) : undefined
  const curve = params && params.tag === 0x06 ? OID_CURVE[hex(der.subarray(params.start, params.end))] : undefined
  const privateKey = readTlv(der, algorithm.end)
  if (!privateKey || privateKey.tag !== 0x04) return undefined
  return { family: keyFamily, curve }
}

const PEM = /^-----BEGIN PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PRIVATE KEY-----\s*$/

const pemProblem = (pem: string, alg: SigningAlg): string | undefined => {
  const body = PEM.exec(pem.trim() + "\n")?.[1]
  if (body === undefined) {
    return /BEGIN (RSA |EC )?PRIVATE KEY/.test(pem) && !pem.includes("BEGIN PRIVATE KEY")
      ? "must be a PKCS#8 PEM (\"BEGIN PRIVATE KEY\"); convert it with `openssl pkcs8 -topk8 -nocrypt`"
      : "must be a PKCS#8 PEM string (\"-----BEGIN PRIVATE KEY-----\") or a private JWK object"
  }
  let der: Uint8Array
  try {
    der = Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0))
  } catch {
    return "is not valid base64 inside its PEM armour"
  }
  const found = pkcs8Algorithm(der)
  if (!found) return "is not a PKCS#8 private key"
  if (found.family !== family(alg)) return `is a ${found.family} key, but clientAssertionSigningAlg is ${alg}`
  const curve = CURVE[alg]
  if (curve !== undefined && found.curve !== curve) return `${alg} needs a ${curve} key`
  return undefined
}

const B64URL = /^[A-Za-z0-9_-]+$/

const REQUIRED_MEMBERS: Record<Family, ReadonlyArray<string>> = { RSA: ["n", "e", "d"], EC: ["crv", "x", "y", "d"], OKP: ["crv", "x", "d"] }

const jwkProblem = (jwk: Record<string, unknown>, alg: SigningAlg): string | undefined => {
  const want = family(alg)
  if (jwk["kty"] !== want) {
    return typeof jwk["kty"] === "string" ? `has kty ${jwk["kty"]}, but ${alg} needs kty ${want}` : "is a JWK without kty"
  }
  if (jwk["alg"] !== undefined && jwk["alg"] !== alg) return `has alg ${String(jwk["alg"])}, but clientAssertionSigningAlg is ${alg}`
  if (jwk["d"] === undefined) return "is a public JWK: private_key_jwt needs the private key (member d)"
  for (const member of REQUIRED_MEMBERS[want]) {
    const value = jwk[member]
    if (typeof value !== "string" || (member !== "crv" && !B64URL.test(value))) {
      return `has no valid member ${member} (RFC 7518 §6)`
    }
  }
  const curve = CURVE[alg]
  if (curve !== undefined && jwk["crv"] !== curve) return `${alg} needs crv ${curve}`
  if (alg === "EdDSA" && jwk["crv"] !== "Ed25519" && jwk["crv"] !== "Ed448") return "EdDSA needs crv Ed25519 or Ed448"
  return undefined
}

/** What is wrong with a configured signing key, without crypto and without quoting it; `undefined` if it looks right. */
export const keyProblem = (key: string | Record<string, unknown>, alg: SigningAlg): string | undefined =>
  typeof key === "string" ? pemProblem(key, alg) : jwkProblem(key, alg)

/** The imported key. */
export type SigningKey = Awaited<ReturnType<typeof importPKCS8>>

/**
 * The key imported at most once: every caller shares one import (a failed import stays failed,
 * since the configured key does not change). The error never quotes the key.
 */
export const importOnce = (key: string | Record<string, unknown>, alg: SigningAlg): Effect.Effect<SigningKey, ConfigurationError> => {
  let imported: Promise<SigningKey> | undefined
  return Effect.tryPromise({
    try: () => (imported ??= typeof key === "string" ? importPKCS8(key, alg) : importJWK(key as jose.JWK, alg) as Promise<SigningKey>),
    catch: () =>
      new ConfigurationError({
        field: "clientAssertionSigningKey",
        message: `Invalid Auth0 option "clientAssertionSigningKey": cannot import it as a ${alg} private key`
      })
  })
}
