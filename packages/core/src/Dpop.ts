/**
 * DPoP (RFC 9449) for the app's own calls: a proof for any request, a fetch helper that sends an
 * access token from the session to the app's API with the right scheme (`DPoP` or `Bearer`) and
 * the one nonce retry, and a key generator. The SDK's own calls (token endpoint, PAR, My Account)
 * add proofs by themselves once the `dpop` option is set.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 * @since 0.1.0
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import { exportJWK, exportPKCS8 } from "jose/key/export"
import { generateKeyPair } from "jose/key/generate/keypair"
import { calculateJwkThumbprint } from "jose/jwk/thumbprint"
import type * as jose from "jose"
import { getAccessToken, type GetAccessTokenOptions } from "./AccessToken.js"
import { Auth0Config } from "./Auth0Config.js"
import * as Rules from "./DpopRules.js"
import { ConfigurationError, InvalidArgumentError } from "./Errors.js"
import { publicJwkOf } from "./internal/dpopKey.js"
import * as DpopSend from "./internal/dpopSend.js"
import * as Telemetry from "./Telemetry.js"

export interface GenerateProofOptions {
  /** The request's method, e.g. `GET`. */
  readonly method: string
  /** The request's absolute URL; its query and fragment are left out of `htu`. */
  readonly url: string | URL
  /** The access token the request presents: the proof then carries `ath`. */
  readonly accessToken?: string | undefined
  /** A nonce the server gave; by default the latest `DPoP-Nonce` seen from the URL's origin. */
  readonly nonce?: string | undefined
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/

const checkUrl = (url: string | URL, argument: string): Effect.Effect<URL, InvalidArgumentError> =>
  Effect.suspend(() => {
    const parsed = url instanceof URL ? url : URL.parse(url)
    if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      return Effect.fail(new InvalidArgumentError({ argument, message: `${argument} must be an absolute http(s) URL` }))
    }
    return Effect.succeed(parsed)
  })

const notConfigured = () =>
  new ConfigurationError({
    field: "dpop",
    message: "Invalid Auth0 option \"dpop\": DPoP is not configured; set dpop.privateKey to make proofs"
  })

/**
 * A DPoP proof JWT (RFC 9449 §4.2) for a request: `typ: dpop+jwt`, the public `jwk`, a fresh
 * `jti`, `htm`, `htu` without query or fragment, `iat`, `ath` with an access token, and the
 * origin's latest nonce (or the one given). Send it as the request's `DPoP` header.
 *
 * @throws InvalidArgumentError `method` is not an HTTP method token, or `url` is not absolute http(s)
 * @throws ConfigurationError the `dpop` option is not set
 * @example
 * const proof = yield* Dpop.generateProof({ method: "GET", url: "https://api.example.com/items", accessToken })
 */
export const generateProof = Telemetry.fn(Telemetry.SpanNames.dpopProof)(function*(options: GenerateProofOptions) {
  const config = yield* Auth0Config
  if (!METHOD.test(options.method)) {
    return yield* new InvalidArgumentError({ argument: "method", message: "method must be an HTTP method token, e.g. GET" })
  }
  const url = yield* checkUrl(options.url, "url")
  const key = yield* DpopSend.keyOf(config.dpop)
  if (key === undefined) return yield* notConfigured()
  return yield* DpopSend.sign(key, {
    method: options.method,
    url,
    accessToken: options.accessToken,
    nonce: options.nonce ?? DpopSend.nonceFor(config.dpop, url.href)
  })
}, Telemetry.flow)

/** The latest `DPoP-Nonce` the SDK saw from `url`'s origin, if any (RFC 9449 §8, §9). */
export const getNonce = (url: string | URL): Effect.Effect<string | undefined, never, Auth0Config> =>
  Effect.map(Auth0Config, (config) => DpopSend.nonceFor(config.dpop, String(url)))

export interface FetchWithAccessTokenOptions extends GetAccessTokenOptions {
  /** The API's absolute URL. */
  readonly url: string | URL
  /** Default `GET`. */
  readonly method?: string | undefined
  /** Extra request headers; `authorization` and `dpop` are set by the SDK. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** A text body (JSON: also set `content-type`). */
  readonly body?: string | undefined
}

/** An answer of the app's API: the status, headers (lower-case names) and text body. */
export interface ApiResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

/**
 * Calls the app's own API with an access token from the session (`getAccessToken` for
 * `audience` and `scope`): a DPoP-bound token as `Authorization: DPoP` with a proof carrying
 * `ath` (RFC 9449 §7.1), a Bearer token as Bearer (with a proof too when a key is configured,
 * which a server that does not use DPoP ignores). A 401 asking for a nonce (§9) is retried once;
 * any other answer, errors included, is returned as it came. Reads (GET) are retried on transport
 * errors and 5xx, with a fresh proof per attempt.
 *
 * @throws InvalidArgumentError `url` or `method` is malformed; no request is made
 * @throws MissingSessionError, AccessTokenError no session, or no access token for the API
 * @throws TransportError the API did not answer (timeouts, refused connections, redirects)
 * @example
 * const response = yield* Dpop.fetchWithAccessToken({ url: "https://api.example.com/items", audience: "https://api.example.com" })
 */
export const fetchWithAccessToken = Telemetry.fn(Telemetry.SpanNames.dpopFetch)(function*(options: FetchWithAccessTokenOptions) {
  const config = yield* Auth0Config
  const method = options.method ?? "GET"
  if (!METHOD.test(method)) {
    return yield* new InvalidArgumentError({ argument: "method", message: "method must be an HTTP method token, e.g. GET" })
  }
  const url = yield* checkUrl(options.url, "url")
  const token = yield* getAccessToken({ audience: options.audience, scope: options.scope })
  const scheme = Rules.authorizationScheme(token.tokenType)
  let request = HttpClientRequest.make(method.toUpperCase() as "GET")(url.href)
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase()
    if (lower !== "authorization" && lower !== "dpop") request = HttpClientRequest.setHeader(request, lower, value)
  }
  request = HttpClientRequest.setHeader(request, "authorization", `${scheme} ${token.accessToken}`)
  if (options.body !== undefined) {
    request = HttpClientRequest.bodyText(request, options.body, options.headers?.["content-type"] ?? "text/plain; charset=utf-8")
  }
  const response = yield* DpopSend.send(config.dpop, Effect.succeed(request), {
    kind: "resource",
    timeout: config.options.httpTimeoutMs,
    accessToken: scheme === "DPoP" ? token.accessToken : undefined
  })
  return { status: response.status, headers: response.headers, body: response.text } satisfies ApiResponse
}, Telemetry.flow)

/** A generated DPoP key pair, in the forms the `dpop` option takes. */
export interface GeneratedKey {
  readonly alg: Rules.Algorithm
  /** The private key as a JWK: `dpop: { privateKey, alg }`. Keep it secret. */
  readonly privateJwk: jose.JWK
  /** The same private key as a PKCS#8 PEM. */
  readonly privatePem: string
  readonly publicJwk: jose.JWK
  /** RFC 7638 thumbprint: what `dpop_jkt` and a bound token's `cnf.jkt` carry. */
  readonly thumbprint: string
}

/**
 * Generates a DPoP key pair (ES256 by default; EdDSA uses Ed25519; RS256 and PS256 2048-bit).
 * Run it once, store the private key as a secret, and give it to every instance.
 *
 * @example
 * const { privateJwk } = yield* Dpop.generateKey("ES256")
 */
export const generateKey = (alg: Rules.Algorithm = "ES256"): Effect.Effect<GeneratedKey> =>
  Effect.promise(async () => {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) })
    const privateJwk = { ...(await exportJWK(privateKey)), alg }
    const publicJwk = publicJwkOf(privateJwk)
    return {
      alg,
      privateJwk,
      privatePem: await exportPKCS8(privateKey),
      publicJwk,
      thumbprint: await calculateJwkThumbprint(publicJwk, "sha256")
    }
  })
