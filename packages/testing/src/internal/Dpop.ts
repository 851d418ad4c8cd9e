import { createHash, randomBytes } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as jose from "jose"

/**
 * DPoP (RFC 9449) as the emulator checks it where it answers itself: the refresh and Token Vault
 * grants, the My Account API and the fake third-party API. Nonces come from oidc-provider's own
 * challenge helper with the secret oidc-provider is configured with, so one nonce is good for the
 * whole origin (code exchange, refresh, My Account), as the SDK keeps one per origin.
 */

/** oidc-provider's nonce helper (HKDF over 60 s steps, ±2 steps accepted); loaded as Provider.ts loads its modules. */
interface ServerChallenge {
  nextChallenge(): string
  checkChallenge(value: string): boolean
}
const CHALLENGE_MODULE: string = "oidc-provider/lib/helpers/challenge.js"
const { default: ChallengeClass } = (await import(CHALLENGE_MODULE)) as {
  readonly default: new(secret: Buffer, info: string) => ServerChallenge
}

/** JWS algorithms the emulator accepts in proofs (oidc-provider's `enabledJWA.dPoPSigningAlgValues` too). */
export const DPOP_ALGS = ["ES256", "EdDSA", "Ed25519", "RS256", "PS256"] as const

/** How long a proof's `iat` may be from now without a nonce (oidc-provider's window). */
const IAT_WINDOW = 300

export interface DpopOptions {
  /** The token endpoint refuses requests without a DPoP proof (every client is `dpop_bound_access_tokens`). */
  readonly required?: boolean
  /** Every DPoP proof must carry a nonce the emulator issued (token endpoint and APIs). */
  readonly requireNonce?: boolean
  /** The My Account API and the fake third-party API accept only DPoP-bound tokens with a proof. */
  readonly requiredByApis?: boolean
}

export interface DpopState {
  readonly required: boolean
  readonly requireNonce: boolean
  readonly requiredByApis: boolean
  /** 32 bytes, shared with oidc-provider's `features.dPoP.nonceSecret`. */
  readonly nonceSecret: Buffer
  readonly challenge: ServerChallenge
  /** `jkt:jti` of proofs seen, with when they can be forgotten (past the iat window). */
  readonly seen: Map<string, number>
  /** Nonce challenges sent, per path. */
  readonly challenges: Map<string, number>
}

export const makeDpopState = (options: DpopOptions = {}): DpopState => {
  const nonceSecret = randomBytes(32)
  return {
    required: options.required ?? false,
    requireNonce: options.requireNonce ?? false,
    requiredByApis: options.requiredByApis ?? false,
    nonceSecret,
    challenge: new ChallengeClass(nonceSecret, "DPoP"),
    seen: new Map(),
    challenges: new Map()
  }
}

const now = () => Math.floor(Date.now() / 1000)

export type ProofCheck =
  | { readonly ok: true; readonly jkt: string; readonly nonced: boolean }
  | { readonly ok: false; readonly error: "invalid_dpop_proof" | "use_dpop_nonce"; readonly description: string }

const fail = (error: "invalid_dpop_proof" | "use_dpop_nonce", description: string): ProofCheck => ({ ok: false, error, description })

/** The request's `DPoP` header: one proof, or undefined (Node joins repeated headers with ", "). */
export const proofHeader = (req: IncomingMessage): string | undefined => {
  const value = req.headers["dpop"]
  return typeof value === "string" && value.length > 0 ? value : undefined
}

/** `htu` as a server compares it: the URL without query and fragment (RFC 9449 §4.3 check 9). */
const normalise = (value: string): string | undefined => {
  const url = URL.parse(value)
  if (!url) return undefined
  url.search = ""
  url.hash = ""
  return url.href
}

/**
 * Checks a proof as RFC 9449 §4.3 says: one well-formed `dpop+jwt` signed by its embedded public
 * `jwk` with an allowed algorithm, `htm` and `htu` of this request, `iat` recent (or a valid
 * nonce), `jti` never seen, `ath` of the presented token, the nonce when nonces are required,
 * and the token's `cnf.jkt` when it is bound.
 */
export const checkProof = async (
  dpop: DpopState,
  proof: string | undefined,
  request: { readonly method: string; readonly htu: string; readonly accessToken?: string | undefined; readonly boundJkt?: string | undefined }
): Promise<ProofCheck> => {
  if (proof === undefined) return fail("invalid_dpop_proof", "DPoP proof is required")
  if (proof.includes(",")) return fail("invalid_dpop_proof", "more than one DPoP header")
  let payload: jose.JWTPayload
  let header: jose.JWTHeaderParameters
  try {
    ;({ payload, protectedHeader: header } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: [...DPOP_ALGS]
    }))
  } catch (error) {
    return fail("invalid_dpop_proof", `invalid DPoP proof: ${error instanceof Error ? error.message : "unverifiable"}`)
  }
  if (typeof payload.jti !== "string" || payload.jti.length === 0) return fail("invalid_dpop_proof", "DPoP proof must have a jti")
  if (typeof payload.iat !== "number") return fail("invalid_dpop_proof", "DPoP proof must have an iat number")
  if (payload["htm"] !== request.method) return fail("invalid_dpop_proof", "DPoP proof htm mismatch")
  if (typeof payload["htu"] !== "string" || normalise(payload["htu"]) !== normalise(request.htu)) {
    return fail("invalid_dpop_proof", "DPoP proof htu mismatch")
  }
  const nonce = payload["nonce"]
  if (nonce !== undefined && typeof nonce !== "string") return fail("invalid_dpop_proof", "DPoP proof nonce must be a string")
  const nonced = typeof nonce === "string" && dpop.challenge.checkChallenge(nonce)
  if (!nonced && Math.abs(now() - payload.iat) > IAT_WINDOW) {
    return dpop.requireNonce
      ? fail("use_dpop_nonce", "DPoP proof iat is not recent enough, use a DPoP nonce")
      : fail("invalid_dpop_proof", "DPoP proof iat is not recent enough")
  }
  if (request.accessToken !== undefined) {
    const ath = createHash("sha256").update(request.accessToken).digest("base64url")
    if (payload["ath"] !== ath) return fail("invalid_dpop_proof", "DPoP proof ath mismatch")
  }
  const jkt = await jose.calculateJwkThumbprint(header.jwk as jose.JWK, "sha256")
  if (request.boundJkt !== undefined && request.boundJkt !== jkt) {
    return fail("invalid_dpop_proof", "DPoP proof key does not match the token's cnf.jkt")
  }
  if (dpop.requireNonce && !nonced) {
    return fail("use_dpop_nonce", nonce === undefined ? "nonce is required in the DPoP proof" : "invalid nonce in DPoP proof")
  }
  // Replay last: a proof refused above was not accepted, so its jti is not spent.
  const seenKey = `${jkt}:${payload.jti}`
  const t = now()
  for (const [k, until] of dpop.seen) if (until < t) dpop.seen.delete(k)
  if (dpop.seen.has(seenKey)) return fail("invalid_dpop_proof", "DPoP proof JWT replay detected")
  dpop.seen.set(seenKey, t + 2 * IAT_WINDOW)
  return { ok: true, jkt, nonced }
}

/** Headers for a nonce challenge (RFC 9449 §8, §9), counted per path. */
export const nonceHeaders = (dpop: DpopState, path: string): Record<string, string> => {
  dpop.challenges.set(path, (dpop.challenges.get(path) ?? 0) + 1)
  return { "dpop-nonce": dpop.challenge.nextChallenge() }
}

/** `cnf.jkt` of a JWT access token's payload, if it is DPoP-bound (RFC 9449 §6.1). */
export const boundJkt = (payload: Record<string, unknown>): string | undefined => {
  const cnf = payload["cnf"]
  if (typeof cnf !== "object" || cnf === null) return undefined
  const jkt = (cnf as Record<string, unknown>)["jkt"]
  return typeof jkt === "string" ? jkt : undefined
}

/** `WWW-Authenticate` of a resource server's DPoP refusal (RFC 9449 §7.1). */
export const dpopChallengeHeader = (error: string, description: string): string =>
  `DPoP algs="${DPOP_ALGS.join(" ")}", error="${error}", error_description="${description.replace(/["\\]/g, "")}"`

export type ResourceCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401; readonly headers: Record<string, string>; readonly description: string }

/**
 * The DPoP rules of a resource server for a presented token (RFC 9449 §7): a bound token needs
 * the DPoP scheme and a valid proof for it; an unbound one is refused when the API requires DPoP,
 * or when presented with the DPoP scheme.
 */
export const checkResource = async (
  dpop: DpopState,
  req: IncomingMessage,
  origin: string,
  presented: { readonly scheme: string; readonly token: string; readonly jkt: string | undefined }
): Promise<ResourceCheck> => {
  const url = new URL(req.url ?? "/", origin)
  const refuse = (error: string, description: string, extra: Record<string, string> = {}): ResourceCheck => ({
    ok: false,
    status: 401,
    description,
    headers: { "www-authenticate": dpopChallengeHeader(error, description), ...extra }
  })
  const dpopScheme = presented.scheme.toLowerCase() === "dpop"
  if (presented.jkt === undefined) {
    if (dpopScheme) return refuse("invalid_token", "The access token is not DPoP-bound")
    if (dpop.requiredByApis) return refuse("invalid_token", "A DPoP-bound access token is required")
    return { ok: true }
  }
  if (!dpopScheme) return refuse("invalid_token", "A DPoP-bound access token must be sent with the DPoP scheme")
  const check = await checkProof(dpop, proofHeader(req), {
    method: req.method ?? "GET",
    htu: `${origin}${url.pathname}`,
    accessToken: presented.token,
    boundJkt: presented.jkt
  })
  if (check.ok) return { ok: true }
  if (check.error === "use_dpop_nonce") return refuse("use_dpop_nonce", check.description, nonceHeaders(dpop, url.pathname))
  return refuse("invalid_dpop_proof", check.description)
}

/** Answers a token-endpoint DPoP refusal: 400 `invalid_dpop_proof`, or `use_dpop_nonce` with a nonce (RFC 9449 §8). */
export const sendTokenDpopError = (dpop: DpopState, res: ServerResponse, path: string, check: Extract<ProofCheck, { ok: false }>): void => {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }
  if (check.error === "use_dpop_nonce") Object.assign(headers, nonceHeaders(dpop, path))
  res.writeHead(400, headers)
  res.end(JSON.stringify({ error: check.error, error_description: check.description }))
}

/**
 * The token endpoint's DPoP step, before a grant is answered: with `verify` (the grants the
 * emulator answers itself) the proof is checked in full; otherwise only its presence when DPoP is
 * required, oidc-provider checking the rest. Resolves with the proof's key thumbprint (if any),
 * or `undefined` once it has answered with a refusal.
 */
export const checkTokenRequest = async (
  dpop: DpopState,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
  path: string,
  verify: boolean
): Promise<{ readonly jkt: string | undefined } | undefined> => {
  const proof = proofHeader(req)
  if (proof === undefined) {
    if (!dpop.required) return { jkt: undefined }
    sendTokenDpopError(dpop, res, path, { ok: false, error: "invalid_dpop_proof", description: "DPoP proof is required" })
    return undefined
  }
  if (!verify) return { jkt: undefined }
  const check = await checkProof(dpop, proof, { method: req.method ?? "POST", htu: `${origin}${path}` })
  if (!check.ok) {
    sendTokenDpopError(dpop, res, path, check)
    return undefined
  }
  return { jkt: check.jkt }
}

/** Counts the nonce challenges oidc-provider answers with (400 `use_dpop_nonce` carrying a `DPoP-Nonce`, RFC 9449 §8). */
export const countProviderChallenges = (dpop: DpopState, res: ServerResponse, path: string): void => {
  res.once("finish", () => {
    if (res.statusCode === 400 && res.getHeader("dpop-nonce") !== undefined) {
      dpop.challenges.set(path, (dpop.challenges.get(path) ?? 0) + 1)
    }
  })
}
