/**
 * HTTP for Auth0's MFA API and its error mapping: `GET /mfa/authenticators` and
 * `POST /mfa/associate` with the mfa_token as Bearer, `POST /mfa/challenge` with client
 * authentication (https://auth0.com/docs/api/authentication/muti-factor-authentication), and the
 * `mfa_required` answer of the token endpoint read into {@link MfaRequiredError}.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Auth0Config } from "./Auth0Config.js"
import { InvalidResponseError, MfaApiError, type MfaRequiredError, type TokenEndpointError } from "./Errors.js"
import * as Http from "./internal/http.js"
import * as MfaRules from "./MfaRules.js"
import * as TokenEndpoint from "./TokenEndpoint.js"

/** Largest body read on its way past {@link tapBodies}; the same cap the HTTP module applies. */
const MAX_TAPPED_BODY = Http.MAX_BODY_BYTES

/**
 * Reads at most {@link MAX_TAPPED_BODY} bytes of a body. Past the cap the partial body is handed
 * on with its real size as `content-length`, so the HTTP module still refuses it as too large.
 */
const readCapped = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          size += chunk.length
          if (size <= MAX_TAPPED_BODY) chunks.push(chunk)
          return size <= MAX_TAPPED_BODY
        })
      )
    )
    const kept = Math.min(size, MAX_TAPPED_BODY)
    const bytes = new Uint8Array(kept)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.length
    }
    return { bytes, size }
  }).pipe(Effect.orElseSucceed(() => ({ bytes: new Uint8Array(0), size: 0 })))

/**
 * Runs `effect` (a `TokenEndpoint.request`) with an HttpClient that shows `onBody` the parsed
 * JSON body of each POST answer whose status `wanted` accepts, and hands the response on
 * unchanged. The token endpoint code keeps only the OAuth fields it knows; the MFA answers carry
 * more (`mfa_token`, `mfa_requirements`, `recovery_code`).
 */
export const tapBodies = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  wanted: (status: number) => boolean,
  onBody: (status: number, body: unknown) => void
): Effect.Effect<A, E, R | HttpClient.HttpClient> =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    effect.pipe(
      Effect.provideService(
        HttpClient.HttpClient,
        HttpClient.transform(client, (sent, outgoing) =>
          Effect.flatMap(sent, (response) => {
            if (outgoing.method !== "POST" || !wanted(response.status)) return Effect.succeed(response)
            return Effect.map(readCapped(response), ({ bytes, size }) => {
              const headers = new Headers()
              for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") headers.set(name, value)
              if (size > MAX_TAPPED_BODY) headers.set("content-length", String(size))
              else {
                try {
                  onBody(response.status, JSON.parse(new TextDecoder().decode(bytes)) as unknown)
                } catch {
                  onBody(response.status, undefined)
                }
              }
              return HttpClientResponse.fromWeb(outgoing, new Response(bytes, { status: response.status, headers }))
            })
          }))
      )
    ))

/**
 * Runs a token request (`effect`, a `TokenEndpoint.request`) so that an `mfa_required` answer
 * fails with {@link MfaRequiredError} carrying the `mfa_token`; every other outcome is the
 * request's own. `TokenEndpointError` keeps only `error` and `error_description`, so the 403
 * body is read here on its way to the token endpoint code.
 */
export const detectMfaRequired = (request: { readonly audience: string; readonly scope: string; readonly appState?: unknown }) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | MfaRequiredError, R | HttpClient.HttpClient> =>
  Effect.suspend(() => {
    let body: unknown
    return tapBodies(effect, (status) => status === 403, (_, parsed) => {
      body = parsed
    }).pipe(
      Effect.catchIf(
        (error): error is E & TokenEndpointError =>
          typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "TokenEndpointError",
        (error) => Effect.fail(MfaRules.fromTokenEndpointError(error, body, request) as E | MfaRequiredError)
      )
    )
  })

/** An MFA API error body (`{ error, error_description }`) turned into {@link MfaApiError}, credentials redacted. */
export const toMfaApiError = (response: Http.Response, operation: MfaApiError["operation"]): MfaApiError => {
  const body = Http.tryParseJson(response)
  const read = (name: string) => {
    const value = Http.isRecord(body) ? Http.optionalString(body[name]) : undefined
    return value === undefined ? undefined : Http.redact(response, value).slice(0, 1000)
  }
  const error = read("error") ?? (response.status >= 500 ? "server_error" : "invalid_response")
  const description = read("error_description")
  return new MfaApiError({
    operation,
    status: response.status,
    error,
    errorDescription: description,
    message: `MFA ${operation} failed with status ${response.status}: ${error}${description ? ` (${description})` : ""}`
  })
}

/** A token endpoint error of a verify grant, as {@link MfaApiError} (`invalid_grant`, `expired_token`, ...). */
export const fromVerifyError = (error: TokenEndpointError): MfaApiError =>
  new MfaApiError({
    operation: "verify",
    status: error.status,
    error: error.error,
    errorDescription: error.errorDescription,
    message: `MFA verify failed: ${error.error}${error.errorDescription ? ` (${error.errorDescription})` : ""}`,
    cause: error
  })

/** One authenticator as `/mfa/authenticators` lists it. */
export const AuthenticatorBody = Schema.Struct({
  id: Schema.String,
  authenticator_type: Schema.String,
  active: Schema.Boolean,
  oob_channel: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String)
})

/** What `/mfa/associate` answers: a TOTP secret, or an oob code; recovery codes on the first enrollment. */
export const EnrollmentBody = Schema.Struct({
  authenticator_type: Schema.String,
  secret: Schema.optional(Schema.String),
  barcode_uri: Schema.optional(Schema.String),
  oob_channel: Schema.optional(Schema.String),
  oob_code: Schema.optional(Schema.String),
  binding_method: Schema.optional(Schema.String),
  recovery_codes: Schema.optional(Schema.Array(Schema.String))
})

/** What `/mfa/challenge` answers. */
export const ChallengeBody = Schema.Struct({
  challenge_type: Schema.String,
  oob_code: Schema.optional(Schema.String),
  binding_method: Schema.optional(Schema.String)
})

const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown, status: number, what: string) =>
  Schema.decodeUnknown(schema)(value).pipe(
    Effect.mapError((e) => new InvalidResponseError({ status, message: `${what}: unexpected answer: ${Http.schemaProblems(e)}` }))
  )

const mfaUrl = (issuer: string, path: string) => new URL(`mfa/${path}`, issuer).href

/** Sends a Bearer request to the MFA API and reads a 2xx JSON answer. */
const sendBearer = (
  request: HttpClientRequest.HttpClientRequest,
  mfaToken: string,
  operation: MfaApiError["operation"]
) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const response = yield* Http.send(
      request.pipe(HttpClientRequest.bearerToken(mfaToken), HttpClientRequest.acceptJson),
      config.options.httpTimeoutMs
    )
    if (response.status < 200 || response.status >= 300) return yield* toMfaApiError(response, operation)
    return { status: response.status, body: yield* Http.parseJson(response, `MFA ${operation}`) }
  })

/** `GET /mfa/authenticators`: the user's authenticators, with the mfa_token as Bearer. */
export const listAuthenticators = (mfaToken: string) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const { body, status } = yield* sendBearer(
      HttpClientRequest.get(mfaUrl(config.issuer, "authenticators")),
      mfaToken,
      "listAuthenticators"
    )
    return yield* decode(Schema.Array(AuthenticatorBody), body, status, "MFA listAuthenticators")
  })

/** `POST /mfa/associate` with a JSON body (see `MfaRules.associateBody`), the mfa_token as Bearer. */
export const associate = (mfaToken: string, body: Record<string, unknown>) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const answer = yield* sendBearer(
      HttpClientRequest.post(mfaUrl(config.issuer, "associate")).pipe(Http.jsonBody(body)),
      mfaToken,
      "enrollAuthenticator"
    )
    return yield* decode(EnrollmentBody, answer.body, answer.status, "MFA enrollAuthenticator")
  })

/**
 * `POST /mfa/challenge`, client-authenticated like the token endpoint: asks Auth0 to challenge
 * an authenticator (send the SMS, email or push), answering the oob code to verify with.
 */
export const challenge = (params: Record<string, string>) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const body = yield* TokenEndpoint.postAuthenticated(
      mfaUrl(config.issuer, "challenge"),
      { client_id: config.clientId, ...params },
      "MFA challengeAuthenticator"
    ).pipe(
      Effect.catchTag("TokenEndpointError", (e) =>
        Effect.fail(
          new MfaApiError({
            operation: "challengeAuthenticator",
            status: e.status,
            error: e.error,
            errorDescription: e.errorDescription,
            message: `MFA challengeAuthenticator failed with status ${e.status}: ${e.error}${
              e.errorDescription ? ` (${e.errorDescription})` : ""
            }`
          })
        ))
    )
    return yield* decode(ChallengeBody, body, 200, "MFA challengeAuthenticator")
  })
