/**
 * The HTTP calls of Auth0's My Account API (`https://{domain}/me/v1`) that Connected Accounts
 * uses. Each call takes a My Account access token, returns the decoded answer, and fails with
 * {@link MyAccountApiError} (the API's problem), {@link TransportError} (no usable answer, also
 * timeouts) or {@link InvalidResponseError} (2xx that is not the documented JSON). Only the GETs
 * are retried (by `internal/http.ts`).
 *
 * @see https://auth0.com/docs/api/myaccount
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Auth0Config } from "./Auth0Config.js"
import { InvalidResponseError, MyAccountApiError, TransportError } from "./Errors.js"
import * as DpopRules from "./DpopRules.js"
import * as DpopSend from "./internal/dpopSend.js"
import * as Http from "./internal/http.js"
import { tenantUrlProblem } from "./internal/tenantUrl.js"

/** Scope the connect and complete endpoints require. */
export const SCOPE_CREATE = "create:me:connected_accounts"
/** Scope the list endpoints require. */
export const SCOPE_READ = "read:me:connected_accounts"
/** Scope the delete endpoint requires. */
export const SCOPE_DELETE = "delete:me:connected_accounts"

/**
 * The access token a call presents: a string is sent as Bearer; an object with `tokenType:
 * "DPoP"` (what `getAccessToken` returns) is sent as `Authorization: DPoP` with a proof
 * carrying `ath` (RFC 9449 §7.1).
 */
export type Credential = string | { readonly accessToken: string; readonly tokenType?: string | undefined }

/** What every call here can fail with. */
export type MyAccountError = MyAccountApiError | TransportError | InvalidResponseError

/** Body of `POST /connected-accounts/connect`. */
export interface ConnectRequest {
  readonly connection: string
  readonly redirect_uri: string
  readonly state: string
  readonly code_challenge: string
  readonly code_challenge_method: "S256"
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly authorization_params?: Readonly<Record<string, string | number>> | undefined
}

/** Answer of `POST /connected-accounts/connect` (201). */
export const ConnectResponse = Schema.Struct({
  auth_session: Schema.String,
  connect_uri: Schema.String,
  connect_params: Schema.Struct({ ticket: Schema.String }),
  expires_in: Schema.Number
})
export type ConnectResponse = typeof ConnectResponse.Type

/** Body of `POST /connected-accounts/complete`. */
export interface CompleteRequest {
  readonly auth_session: string
  readonly connect_code: string
  readonly redirect_uri: string
  readonly code_verifier: string
}

/** A connected account as the API sends it (snake_case). */
export const ConnectedAccount = Schema.Struct({
  id: Schema.String,
  connection: Schema.String,
  access_type: Schema.String,
  scopes: Schema.optional(Schema.Array(Schema.String)),
  created_at: Schema.String,
  expires_at: Schema.optional(Schema.String)
})
export type ConnectedAccount = typeof ConnectedAccount.Type

/** One page of `GET /connected-accounts/accounts`. */
export const AccountsPage = Schema.Struct({
  accounts: Schema.Array(ConnectedAccount),
  next: Schema.optional(Schema.String)
})
export type AccountsPage = typeof AccountsPage.Type

/** A connection the user may connect an account with. */
export const Connection = Schema.Struct({
  name: Schema.String,
  strategy: Schema.String,
  scopes: Schema.optional(Schema.Array(Schema.String))
})
export type Connection = typeof Connection.Type

/** One page of `GET /connected-accounts/connections`. */
export const ConnectionsPage = Schema.Struct({
  connections: Schema.Array(Connection),
  next: Schema.optional(Schema.String)
})
export type ConnectionsPage = typeof ConnectionsPage.Type

/** Paging query of the list endpoints; `undefined` members are left out of the URL. */
export interface PageQuery {
  readonly from?: string | undefined
  readonly take?: number | undefined
}

const ValidationErrors = Schema.Array(
  Schema.Struct({
    detail: Schema.String,
    field: Schema.optionalWith(Schema.String, { exact: true }),
    pointer: Schema.optionalWith(Schema.String, { exact: true })
  })
)

/**
 * `Retry-After` (RFC 9110 §10.2.3) as seconds from `nowMillis`: delay-seconds, or an HTTP date
 * (a date in the past gives 0). `undefined` when absent or unreadable.
 */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - nowMillis) / 1000))
}

const field = (body: unknown, name: string): unknown => Http.isRecord(body) ? body[name] : undefined

/**
 * A non-2xx answer as a {@link MyAccountApiError}. The problem body's fields are used when they
 * are there, whatever parameters the content type carries; a body that is not JSON still gives
 * the status, and its text as `detail`.
 */
export const toApiError = (response: Http.Response, what: string): Effect.Effect<MyAccountApiError> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const body = Http.tryParseJson(response)
    // A server that echoes the request (the bearer token, a connect_code) must not put it in
    // the error; a body that is not a problem is described, never quoted (CWE-532).
    const safe = (value: string) => Http.redact(response, value).slice(0, 1000)
    const read = (name: string) => {
      const value = Http.optionalString(field(body, name))
      return value === undefined ? undefined : safe(value)
    }
    const type = read("type") ?? "about:blank"
    const title = read("title") ?? `HTTP ${response.status}`
    const detail = read("detail") ?? (body === undefined ? `a body that is not JSON (${Http.describeBody(response)})` : "")
    const validation = Schema.decodeUnknownOption(ValidationErrors)(field(body, "validation_errors"))
    const validationErrors = validation._tag === "Some"
      ? validation.value.map((e) => ({
        detail: safe(e.detail),
        ...(e.field !== undefined ? { field: safe(e.field) } : {}),
        ...(e.pointer !== undefined ? { pointer: safe(e.pointer) } : {})
      }))
      : []
    const retryAfter = response.status === 429 ? parseRetryAfter(response.headers["retry-after"], now) : undefined
    const reasons = validationErrors.map((e) => e.field ? `${e.field}: ${e.detail}` : e.detail)
    const challenge = response.status === 401 ? DpopRules.dpopChallenge(response.headers["www-authenticate"]) : Option.none()
    const dpopError = Option.isSome(challenge) ? safe(challenge.value.error ?? "dpop_required").slice(0, 64) : undefined
    return new MyAccountApiError({
      status: response.status,
      type,
      title,
      detail,
      validationErrors,
      retryAfter,
      ...(dpopError !== undefined ? { dpopError } : {}),
      message: `${what} failed with ${response.status} ${title}${detail ? `: ${detail}` : ""}${
        reasons.length > 0 ? ` (${reasons.join("; ")})` : ""
      }${retryAfter !== undefined ? ` (retry after ${retryAfter} s)` : ""}${
        dpopError !== undefined ? `; the API requires DPoP (${dpopError}): a DPoP-bound token and a valid proof (RFC 9449 §7)` : ""
      }`
    })
  })

const baseUrl = Effect.map(Auth0Config, (config) => ({
  base: `${config.myAccount.baseUrl}/connected-accounts`,
  timeout: config.options.httpTimeoutMs
}))

const call = (
  build: (base: string) => HttpClientRequest.HttpClientRequest,
  credential: Credential,
  what: string
): Effect.Effect<Http.Response, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { base, timeout } = yield* baseUrl
    const config = yield* Auth0Config
    const { accessToken, tokenType } = typeof credential === "string" ? { accessToken: credential, tokenType: undefined } : credential
    const scheme = DpopRules.authorizationScheme(tokenType)
    const request = build(base).pipe(
      HttpClientRequest.setHeader("authorization", `${scheme} ${accessToken}`),
      HttpClientRequest.acceptJson
    )
    // A proof on every call when a key is configured (RFC 9449 §7), with `ath` for a bound token.
    const response = yield* DpopSend.send(config.dpop, Effect.succeed(request), {
      kind: "resource",
      timeout,
      accessToken: scheme === "DPoP" ? accessToken : undefined
    })
    if (response.status < 200 || response.status >= 300) return yield* Effect.flatMap(toApiError(response, what), Effect.fail)
    return response
  })

const decode = <A, I>(schema: Schema.Schema<A, I>, response: Http.Response, what: string) =>
  Effect.flatMap(Http.parseJson(response, what), (body) =>
    Schema.decodeUnknown(schema)(body).pipe(
      Effect.mapError((error) =>
        new InvalidResponseError({
          status: response.status,
          // Names the fields only: the ParseError quotes the body (tickets, auth sessions).
          message: `${what} answered ${response.status} with an unexpected body: ${Http.schemaProblems(error)}`
        })
      )
    ))

/**
 * `POST /connected-accounts/connect`: starts linking an account (scope `create:me:connected_accounts`).
 * The answer's `connect_uri` becomes the browser's redirect, so it must be https on a trusted
 * origin (RFC 9700 §4.11: no open redirect, never `javascript:` or `data:`); otherwise the
 * answer is an {@link InvalidResponseError}.
 */
export const connect = (
  accessToken: Credential,
  body: ConnectRequest
): Effect.Effect<ConnectResponse, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const response = yield* call(
      (base) => HttpClientRequest.post(`${base}/connect`).pipe(Http.jsonBody(body)),
      accessToken,
      "Connect account"
    )
    const decoded = yield* decode(ConnectResponse, response, "Connect account")
    const config = yield* Auth0Config
    const problem = tenantUrlProblem(decoded.connect_uri, {
      trustedOrigins: config.trustedOrigins,
      allowInsecureHttp: config.options.allowInsecureHttp
    })
    if (problem !== undefined) {
      return yield* new InvalidResponseError({
        status: response.status,
        message: `Connect account answered with a connect_uri that ${problem}; it is not used as a redirect`
      })
    }
    return decoded
  })

/** `POST /connected-accounts/complete`: finishes linking; any 2xx is success (scope `create:me:connected_accounts`). */
export const complete = (
  accessToken: Credential,
  body: CompleteRequest
): Effect.Effect<ConnectedAccount, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.flatMap(
    call((base) => HttpClientRequest.post(`${base}/complete`).pipe(Http.jsonBody(body)), accessToken, "Complete connect account"),
    (response) => decode(ConnectedAccount, response, "Complete connect account")
  )

/** `GET /connected-accounts/accounts`: one page of the user's connected accounts (scope `read:me:connected_accounts`). */
export const listAccounts = (
  accessToken: Credential,
  query: PageQuery & { readonly connection?: string | undefined } = {}
): Effect.Effect<AccountsPage, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.flatMap(
    call(
      (base) =>
        HttpClientRequest.get(`${base}/accounts`, {
          urlParams: { connection: query.connection, from: query.from, take: query.take }
        }),
      accessToken,
      "List connected accounts"
    ),
    (response) => decode(AccountsPage, response, "List connected accounts")
  )

/** `GET /connected-accounts/connections`: one page of connections enabled for Connected Accounts (scope `read:me:connected_accounts`). */
export const listConnections = (
  accessToken: Credential,
  query: PageQuery = {}
): Effect.Effect<ConnectionsPage, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.flatMap(
    call(
      (base) => HttpClientRequest.get(`${base}/connections`, { urlParams: { from: query.from, take: query.take } }),
      accessToken,
      "List connected account connections"
    ),
    (response) => decode(ConnectionsPage, response, "List connected account connections")
  )

/** `DELETE /connected-accounts/accounts/{id}` (204), the id percent-encoded (scope `delete:me:connected_accounts`). */
export const deleteAccount = (
  accessToken: Credential,
  id: string
): Effect.Effect<void, MyAccountError, Auth0Config | HttpClient.HttpClient> =>
  Effect.asVoid(
    call(
      (base) => HttpClientRequest.del(`${base}/accounts/${encodeURIComponent(id)}`),
      accessToken,
      "Delete connected account"
    )
  )
