/**
 * The configured DPoP key: its shape checked where it is configured (synchronously, as the
 * private_key_jwt key is), imported once when the runtime is built, with its public JWK and
 * thumbprint; and the latest `DPoP-Nonce` per origin (RFC 9449 §8, §9), shared by every request
 * of this configuration.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as jose from "jose"
import { importJWK, importPKCS8 } from "jose/key/import"
import { exportJWK } from "jose/key/export"
import { calculateJwkThumbprint } from "jose/jwk/thumbprint"
import type { Algorithm } from "../DpopRules.js"
import { ConfigurationError } from "../Errors.js"
import { keyProblem } from "./signingKey.js"

/** The imported key and what is derived from it once. */
export interface DpopKey {
  readonly alg: Algorithm
  readonly privateKey: CryptoKey
  /** The public JWK that goes in each proof's `jwk` header (RFC 9449 §4.2): public members only. */
  readonly publicJwk: jose.JWK
  /** RFC 7638 SHA-256 thumbprint of the public key: `dpop_jkt` and the tokens' `cnf.jkt`. */
  readonly thumbprint: string
}

/** DPoP as configured: the key (imported on first use, once) and the nonce cache. */
export interface DpopConfig {
  readonly alg: Algorithm
  readonly key: Effect.Effect<DpopKey, ConfigurationError>
  /** Latest `DPoP-Nonce` seen per origin. */
  readonly nonces: Map<string, string>
}

const PUBLIC_MEMBERS: Record<string, ReadonlyArray<string>> = { EC: ["kty", "crv", "x", "y"], OKP: ["kty", "crv", "x"], RSA: ["kty", "n", "e"] }

/** The public members of a JWK (RFC 7518 §6): nothing private ever goes in a proof header. */
export const publicJwkOf = (jwk: jose.JWK): jose.JWK => {
  const out: Record<string, unknown> = {}
  for (const member of PUBLIC_MEMBERS[jwk.kty ?? ""] ?? []) {
    const value = (jwk as Record<string, unknown>)[member]
    if (value !== undefined) out[member] = value
  }
  return out as jose.JWK
}

const FIELD = "dpop.privateKey"

/** What is wrong with a configured DPoP key, without crypto and without quoting it. */
export const dpopKeyProblem = (key: string | Record<string, unknown>, alg: Algorithm): string | undefined =>
  keyProblem(key, alg)
    ?.replace("clientAssertionSigningAlg", "dpop.alg")
    .replace("private_key_jwt needs", "DPoP needs")

/** Imports a DPoP key at most once; the error names the field and never quotes the key. */
export const importDpopKey = (key: string | Record<string, unknown>, alg: Algorithm): Effect.Effect<DpopKey, ConfigurationError> => {
  let imported: Promise<DpopKey> | undefined
  const load = async (): Promise<DpopKey> => {
    // Imported twice: once extractable to read the public half, once not, for signing.
    const readable = typeof key === "string"
      ? await importPKCS8(key, alg, { extractable: true })
      : await importJWK({ ...(key as jose.JWK), ext: true }, alg, { extractable: true })
    const privateKey = typeof key === "string"
      ? await importPKCS8(key, alg)
      : await importJWK(key as jose.JWK, alg)
    if (readable instanceof Uint8Array || privateKey instanceof Uint8Array) throw new Error("not an asymmetric key")
    const publicJwk = publicJwkOf(await exportJWK(readable))
    return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") }
  }
  return Effect.tryPromise({
    try: () => (imported ??= load()),
    catch: () =>
      new ConfigurationError({ field: FIELD, message: `Invalid Auth0 option "${FIELD}": cannot import it as a ${alg} private key` })
  })
}

/** A DPoP configuration: the key checked for shape now, imported once later. */
export const makeDpopConfig = (key: string | Record<string, unknown>, alg: Algorithm): DpopConfig => ({
  alg,
  key: importDpopKey(key, alg),
  nonces: new Map()
})
