/**
 * Requests to the token endpoint (RFC 6749 §3.2) with client authentication, and the parsing of
 * its answers (§5.1 success, §5.2 error). Token requests are never retried: a code or a rotating
 * refresh token must not be spent twice.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Schema from "effect/Schema"
import { SignJWT } from "jose/jwt/sign"
import type { ClientAuth, ResolvedConfig } from "./Auth0Config.js"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { ConfigurationError, DiscoveryError, InvalidResponseError, TokenEndpointError, TransportError } from "./Errors.js"
import * as DpopSend from "./internal/dpopSend.js"
import * as Http from "./internal/http.js"
import { epochSeconds } from "./internal/time.js"

/** A successful token response (RFC 6749 §5.1), as Auth0 sends it. */
export const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.optional(Schema.String),
  expires_in: Schema.optional(Schema.Number),
  scope: Schema.optional(Schema.String),
  id_token: Schema.optional(Schema.String),
  refresh_token: Schema.optional(Schema.String),
  issued_token_type: Schema.optional(Schema.String),
  /** Rich Authorization Requests (RFC 9396 §7): what was granted; read by the flows that asked for it. */
  authorization_details: Schema.optional(Schema.Unknown)
})
export type TokenResponse = typeof TokenResponse.Type

export type TokenRequestError = TokenEndpointError | TransportError | InvalidResponseError | DiscoveryError | ConfigurationError

/** `application/x-www-form-urlencoded` encoding of a client credential (RFC 6749 §2.3.1). */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")

/** The HTTP Basic header for client_secret_basic (RFC 6749 §2.3.1). */
export const basicAuthorization = (clientId: string, secret: string): string =>
  `Basic ${Encoding.encodeBase64(`${formEncode(clientId)}:${formEncode(secret)}`)}`

/** A private_key_jwt client assertion (RFC 7523 §3; OIDC Core §9), audience the issuer as Auth0 expects. */
export const clientAssertion = (config: ResolvedConfig, auth: Extract<ClientAuth, { method: "private_key_jwt" }>) =>
  Effect.gen(function*() {
    const key = yield* auth.signingKey
    const now = yield* epochSeconds
    const jti = Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
    const kid = typeof auth.key === "object" && typeof auth.key["kid"] === "string" ? auth.key["kid"] : undefined
    return yield* Effect.promise(() =>
      new SignJWT({})
        .setProtectedHeader(kid ? { alg: auth.alg, kid } : { alg: auth.alg })
        .setIssuer(config.clientId)
        .setSubject(config.clientId)
        .setAudience(config.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(jti)
        .sign(key)
    )
  })

/** Adds client authentication to a token request's form and headers. */
export const authenticate = (config: ResolvedConfig, params: Record<string, string>) =>
  Effect.gen(function*() {
    const auth = config.clientAuth
    const form: Record<string, string> = { ...params }
    const headers: Record<string, string> = {}
    switch (auth.method) {
      case "client_secret_basic":
        headers["authorization"] = basicAuthorization(config.clientId, auth.secret)
        break
      case "client_secret_post":
        form["client_id"] = config.clientId
        form["client_secret"] = auth.secret
        break
      case "private_key_jwt":
        form["client_id"] = config.clientId
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        form["client_assertion"] = yield* clientAssertion(config, auth)
        break
    }
    return { form, headers }
  })

/** What a DPoP error code means for the app (RFC 9449 §5, §8). */
const dpopHint = (error: string): string =>
  error === "invalid_dpop_proof"
    ? "; the tenant requires a valid DPoP proof (RFC 9449): configure the dpop option with the key it allows"
    : error === "use_dpop_nonce"
    ? "; the tenant still asked for a DPoP nonce after one retry with the nonce it gave"
    : ""

/** An OAuth error body (RFC 6749 §5.2) turned into a {@link TokenEndpointError}. */
export const toTokenEndpointError = (response: Http.Response, what: string): TokenEndpointError => {
  const body = Http.tryParseJson(response)
  // A server that echoes the request into its error would put our credentials in the error.
  const read = (name: string) => {
    const value = Http.isRecord(body) ? Http.optionalString(body[name]) : undefined
    return value === undefined ? undefined : Http.redact(response, value).slice(0, 1000)
  }
  const error = read("error")
  const description = read("error_description")
  return new TokenEndpointError({
    status: response.status,
    error: error ?? (response.status >= 500 ? "server_error" : "invalid_response"),
    errorDescription: description,
    message: error
      ? `${what} failed: ${error}${description ? ` (${description})` : ""}${dpopHint(error)}`
      : `${what} failed with status ${response.status}`
  })
}

/** POSTs an authenticated form to an endpoint and reads a JSON answer. */
export const postAuthenticated = (url: string, params: Record<string, string>, what: string) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    // Built again for the one DPoP nonce retry (RFC 9449 §8), so a client assertion is fresh too.
    const build = Effect.map(authenticate(config, params), ({ form, headers }) =>
      HttpClientRequest.post(url, { headers, acceptJson: true }).pipe(HttpClientRequest.bodyUrlParams(form)))
    const response = yield* DpopSend.send(config.dpop, build, { kind: "token", timeout: config.options.httpTimeoutMs })
    if (response.status < 200 || response.status >= 300) return yield* toTokenEndpointError(response, what)
    return yield* Http.parseJson(response, what)
  })

/** A grant at the token endpoint: success decoded as {@link TokenResponse}, errors typed. */
export const request = (
  params: Record<string, string>,
  what = "Token request"
): Effect.Effect<TokenResponse, TokenRequestError, Auth0Config | AuthorizationServer | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const metadata = yield* (yield* AuthorizationServer).metadata
    const body = yield* postAuthenticated(metadata.token_endpoint, params, what)
    return yield* Schema.decodeUnknown(TokenResponse)(body).pipe(
      Effect.mapError((e) =>
        // Names the fields only: the ParseError quotes the body, which holds the tokens.
        new InvalidResponseError({ status: 200, message: `${what}: unexpected token response: ${Http.schemaProblems(e)}` })
      )
    )
  })
