/**
 * POSTs to Auth0 Authentication API endpoints that are not OAuth endpoints
 * (`/passwordless/start`, `/dbconnections/*`): a JSON body with `client_id`, client
 * authentication when the endpoint takes it, sent once, and Auth0's error bodies
 * (`{error, error_description}` or `{code, description, policy, name}`) turned into an
 * {@link AuthenticationApiError} without quoting the request.
 *
 * @internal
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import { Auth0Config } from "../Auth0Config.js"
import { AuthenticationApiError } from "../Errors.js"
import * as TokenEndpoint from "../TokenEndpoint.js"
import * as Http from "./http.js"

const readRules = (value: unknown): AuthenticationApiError["rules"] => {
  if (!Http.isRecord(value) || !Array.isArray(value["rules"])) return undefined
  return value["rules"].filter(Http.isRecord).slice(0, 20).map((rule) => ({
    code: (Http.optionalString(rule["code"]) ?? "").slice(0, 100),
    message: (Http.optionalString(rule["message"]) ?? "").slice(0, 300),
    verified: rule["verified"] === true
  }))
}

/** An error answer as {@link AuthenticationApiError}: Auth0's fields, redacted of the request's secrets. */
export const toAuthenticationApiError = (response: Http.Response, endpoint: string, what: string): AuthenticationApiError => {
  const body = Http.tryParseJson(response)
  const read = (value: unknown) => {
    const text = Http.optionalString(value)
    return text === undefined ? undefined : Http.redact(response, text).slice(0, 1000)
  }
  const record = Http.isRecord(body) ? body : {}
  const error = read(record["error"]) ?? read(record["code"]) ??
    (response.status >= 500 ? "server_error" : "invalid_response")
  const description = read(record["error_description"]) ?? read(record["description"]) ?? read(record["message"])
  const policy = read(record["policy"])
  const rules = readRules(record["description"])
  return new AuthenticationApiError({
    status: response.status,
    endpoint,
    error,
    errorDescription: description,
    ...(policy !== undefined ? { policy } : {}),
    ...(rules !== undefined ? { rules } : {}),
    message: `${what} failed with status ${response.status}: ${error}${description ? ` (${description})` : ""}`
  })
}

/**
 * POSTs `body` as JSON to `${origin}${endpoint}` with `client_id`, and the client's credentials
 * when `authenticate`; a 2xx answer is returned, any other is an {@link AuthenticationApiError}.
 */
export const post = (
  endpoint: string,
  body: Record<string, unknown>,
  what: string,
  options: { readonly authenticate: boolean; readonly headers?: Record<string, string> | undefined }
) =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const auth = options.authenticate
      ? yield* TokenEndpoint.authenticate(config, {})
      : { form: {} as Record<string, string>, headers: {} as Record<string, string> }
    const request = HttpClientRequest.post(`${config.origin}${endpoint}`, {
      headers: { ...options.headers, ...auth.headers },
      acceptJson: true
    }).pipe(Http.jsonBody({ ...body, client_id: config.clientId, ...auth.form }))
    const response = yield* Http.send(request, config.options.httpTimeoutMs)
    if (response.status < 200 || response.status >= 300) return yield* toAuthenticationApiError(response, endpoint, what)
    return response
  })
