/**
 * The pure rules of DPoP (RFC 9449): the `htu` a proof names, the `ath` that binds it to an
 * access token, the claims of a proof, reading a `WWW-Authenticate: DPoP` challenge, spotting a
 * nonce challenge, and the authorization scheme a token type calls for.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"

/** JWS algorithms a DPoP key may use here (RFC 9449 §4.2 asks for an asymmetric one). */
export const ALGORITHMS = ["ES256", "EdDSA", "RS256", "PS256"] as const
export type Algorithm = (typeof ALGORITHMS)[number]

/** The `typ` header of a proof (RFC 9449 §4.2). */
export const PROOF_TYP = "dpop+jwt"

/**
 * The `htu` claim for a request URL: the target URI without query and fragment (RFC 9449 §4.2),
 * normalised as RFC 3986 §6 (scheme and host lower case, default port left out, empty path `/`),
 * which is how a server compares it (§4.3 check 9).
 */
export const htu = (url: URL | string): string => {
  const parsed = typeof url === "string" ? new URL(url) : url
  return `${parsed.protocol}//${parsed.host}${parsed.pathname || "/"}`
}

/** The origin a request goes to: nonces are kept per origin (RFC 9449 §8, §9). */
export const originOf = (url: URL | string): string => (typeof url === "string" ? new URL(url) : url).origin

/** The `ath` claim: BASE64URL(SHA-256(ASCII(access token))) (RFC 9449 §4.2). */
export const ath = (accessToken: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken))).pipe(
    Effect.map((digest) => Encoding.encodeBase64Url(new Uint8Array(digest)))
  )

/** A fresh `jti`: 16 random bytes, base64url (RFC 9449 §4.2: unique per proof). */
export const makeJti: Effect.Effect<string> = Effect.sync(() =>
  Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
)

/** The claims of a DPoP proof (RFC 9449 §4.2). */
export interface ProofClaims {
  readonly jti: string
  readonly htm: string
  readonly htu: string
  readonly iat: number
  readonly ath?: string
  readonly nonce?: string
}

/**
 * The claims of a proof for `method url` at `iat` (seconds): `htm` upper case (HTTP methods are
 * case-sensitive, RFC 9110 §9.1, and registered in upper case), `htu` as {@link htu}, `ath` when
 * an access token is presented, `nonce` when the server gave one.
 */
export const proofClaims = (input: {
  readonly method: string
  readonly url: URL | string
  readonly iat: number
  readonly jti: string
  readonly ath?: string | undefined
  readonly nonce?: string | undefined
}): ProofClaims => ({
  jti: input.jti,
  htm: input.method.toUpperCase(),
  htu: htu(input.url),
  iat: input.iat,
  ...(input.ath !== undefined ? { ath: input.ath } : {}),
  ...(input.nonce !== undefined ? { nonce: input.nonce } : {})
})

/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): its scheme and auth-params. */
export interface Challenge {
  readonly scheme: string
  readonly params: Readonly<Record<string, string>>
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 9110 §11.6.1): `Bearer
 * realm="x", DPoP algs="ES256", error="use_dpop_nonce"` gives two. Parameter names are lower
 * case; quoted strings are unescaped. Anything unreadable ends the parse with what was read.
 */
export const parseWwwAuthenticate = (header: string): ReadonlyArray<Challenge> => {
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = []
  let rest = header
  const skip = (pattern: RegExp) => {
    const match = pattern.exec(rest)
    if (match) rest = rest.slice(match[0].length)
    return match?.[0]
  }
  for (let guard = 0; guard < 64; guard++) {
    skip(/^[\s,]*/)
    const scheme = skip(TOKEN)
    if (scheme === undefined) break
    const challenge = { scheme, params: {} as Record<string, string> }
    challenges.push(challenge)
    for (let inner = 0; inner < 64; inner++) {
      const save = rest
      skip(/^[\s,]*/)
      const name = skip(TOKEN)
      if (name === undefined || !/^\s*=/.test(rest)) {
        // Not `name=`: the next challenge's scheme (a token68 credential reads as one too).
        rest = save
        break
      }
      skip(/^\s*=\s*/)
      if (rest.startsWith("\"")) {
        const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest)
        if (!quoted) return challenges
        rest = rest.slice(quoted[0].length)
        challenge.params[name.toLowerCase()] = quoted[1]!.replace(/\\(.)/g, "$1")
      } else {
        const value = skip(TOKEN)
        if (value === undefined) return challenges
        challenge.params[name.toLowerCase()] = value
      }
    }
  }
  return challenges
}

/** The DPoP challenge of a 401 (RFC 9449 §7.1): its `error`, `error_description` and `algs`. */
export interface DpopChallenge {
  readonly error: string | undefined
  readonly errorDescription: string | undefined
  readonly algs: ReadonlyArray<string>
}

/** The `DPoP` challenge of a `WWW-Authenticate` header, if there is one (scheme names are case-insensitive). */
export const dpopChallenge = (header: string | undefined): Option.Option<DpopChallenge> => {
  if (header === undefined) return Option.none()
  const found = parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === "dpop")
  if (found === undefined) return Option.none()
  return Option.some({
    error: found.params["error"],
    errorDescription: found.params["error_description"],
    algs: (found.params["algs"] ?? "").split(" ").filter((a) => a.length > 0)
  })
}

/**
 * Whether an authorization server asks for a nonce: 400 with `error: use_dpop_nonce` and a
 * `DPoP-Nonce` header (RFC 9449 §8). Its value is the nonce to retry with.
 */
export const tokenEndpointNonce = (status: number, error: string | undefined, nonce: string | undefined): Option.Option<string> =>
  status === 400 && error === "use_dpop_nonce" && nonce !== undefined && nonce !== "" ? Option.some(nonce) : Option.none()

/**
 * Whether a resource server asks for a nonce: 401 with `WWW-Authenticate: DPoP
 * error="use_dpop_nonce"` and a `DPoP-Nonce` header (RFC 9449 §9).
 */
export const resourceNonce = (status: number, wwwAuthenticate: string | undefined, nonce: string | undefined): Option.Option<string> =>
  status === 401 && nonce !== undefined && nonce !== "" &&
    Option.exists(dpopChallenge(wwwAuthenticate), (c) => c.error === "use_dpop_nonce")
    ? Option.some(nonce)
    : Option.none()

/**
 * The authorization scheme for a token of `tokenType` (RFC 9449 §7.1): `DPoP` for a DPoP-bound
 * token (`token_type` is case-insensitive, RFC 6749 §5.1), `Bearer` otherwise (RFC 6750 §2.1),
 * including a token stored before token types were kept.
 */
export const authorizationScheme = (tokenType: string | undefined): "DPoP" | "Bearer" =>
  tokenType !== undefined && tokenType.toLowerCase() === "dpop" ? "DPoP" : "Bearer"

/** The `token_type` to store for a token response: `DPoP` when bound, else `Bearer`. */
export const tokenTypeOf = (tokenType: string | undefined): "DPoP" | "Bearer" => authorizationScheme(tokenType)
