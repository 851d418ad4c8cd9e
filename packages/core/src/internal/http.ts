/**
 * The one place that talks HTTP. Every call has a per-attempt timeout; only idempotent reads are
 * retried (transport errors and 5xx, exponential backoff with jitter); redirects are never
 * followed; bodies are read up to a cap; every failure leaves as a tagged error that carries the
 * method, the URL without its query and a reason, never the request (its Authorization header,
 * its body) nor the platform's error object (CWE-532). Keeping this in one module keeps the
 * Effect 4 move small.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { InvalidResponseError, TransportError } from "../Errors.js"
import * as Telemetry from "../Telemetry.js"
import { sensitiveValues } from "./redact.js"

export interface Response {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
  /** Credentials the request carried; {@link redact} removes them from anything read back from the body. */
  readonly sensitive?: ReadonlyArray<string> | undefined
}

/** Default cap on a response body: discovery, JWKS, token and My Account answers are a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Retry policy for idempotent reads: 3 attempts in all, exponential backoff with jitter. */
export const readRetry = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)

class RetryableStatus {
  readonly _tag = "RetryableStatus"
  constructor(readonly response: Response) {}
}

/**
 * `origin + path` of a URL: no query, no fragment, no userinfo, so an error never carries a
 * code, a token or a password that travelled in the URL (CWE-532).
 */
export const safeUrl = (url: string | URL): string => {
  try {
    const parsed = typeof url === "string" ? new URL(url) : url
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return "(invalid URL)"
  }
}

/** A `Location` header resolved against the request URL, as {@link safeUrl}. */
const safeLocation = (location: string, base: string): string => {
  try {
    return safeUrl(new URL(location, base))
  } catch {
    return "(invalid URL)"
  }
}

const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,63}$/

/**
 * A platform failure reduced to names and error codes (`TypeError > Error[ECONNREFUSED]`): the
 * error objects themselves hold the request, and their messages may quote it.
 */
export const describeCause = (error: unknown): { readonly description: string; readonly code: string | undefined } => {
  const parts: Array<string> = []
  let code: string | undefined
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (typeof current !== "object") break
    const record = current as { name?: unknown; code?: unknown; reason?: unknown; _tag?: unknown; cause?: unknown }
    const name = typeof record._tag === "string" ? record._tag : typeof record.name === "string" ? record.name : "Error"
    const ownCode = typeof record.code === "string" && SAFE_CODE.test(record.code) ? record.code : undefined
    const reason = typeof record.reason === "string" && /^[A-Za-z]{1,32}$/.test(record.reason) ? record.reason : undefined
    if (ownCode !== undefined) code = ownCode
    parts.push(`${/^[A-Za-z][A-Za-z0-9_$]{0,63}$/.test(name) ? name : "Error"}${reason ? `(${reason})` : ""}${ownCode ? `[${ownCode}]` : ""}`)
    current = record.cause
  }
  return { description: parts.join(" > "), code }
}

const transportError = (
  request: HttpClientRequest.HttpClientRequest,
  fields: { readonly reason: TransportError["reason"]; readonly detail: string; readonly code?: string | undefined; readonly status?: number | undefined; readonly cause?: string | undefined }
) =>
  new TransportError({
    method: request.method,
    url: safeUrl(request.url),
    reason: fields.reason,
    code: fields.code,
    status: fields.status,
    message: `${request.method} ${safeUrl(request.url)} ${fields.detail}`,
    ...(fields.cause !== undefined ? { cause: fields.cause } : {})
  })

const fromClientError = (request: HttpClientRequest.HttpClientRequest, error: HttpClientError.HttpClientError) => {
  const { code, description } = describeCause(error)
  return transportError(request, { reason: "unreachable", code, cause: description, detail: `failed: ${code ?? description}` })
}

/**
 * Whether a response is a redirect. They are never followed (RFC 9700 §4.4; RFC 8414 §3.3): a
 * 307 to another host would carry the client secret there. Checked here as well as asked of
 * `fetch`, so that an HttpClient the app supplies cannot make us act on one.
 */
export const isRedirect = (status: number): boolean => status >= 300 && status < 400

/** `redirect: "manual"` for the fetch-based client, keeping any RequestInit the app put in context. */
const noRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(effect, FetchHttpClient.RequestInit, { ...Option.getOrElse(init, () => ({})), redirect: "manual" }))

class TooLarge {
  readonly _tag = "TooLarge"
}

/** Reads at most `max` bytes of the body, streaming, and gives up past it (the rest is never read). */
const readCapped = (response: HttpClientResponse.HttpClientResponse, max: number) =>
  Effect.gen(function*() {
    const declared = Number(response.headers["content-length"])
    if (Number.isFinite(declared) && declared > max) return yield* Effect.fail(new TooLarge())
    const chunks: Array<Uint8Array> = []
    let size = 0
    let over = false
    yield* response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          size += chunk.length
          if (size > max) {
            over = true
            return false
          }
          chunks.push(chunk)
          return true
        })
      ),
      Effect.catchIf(
        (error) => error._tag === "ResponseError" && error.reason === "EmptyBody",
        () => Effect.void
      )
    )
    if (over) return yield* Effect.fail(new TooLarge())
    const bytes = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.length
    }
    return new TextDecoder().decode(bytes)
  })

const once = (
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.Duration,
  maxBodyBytes: number
): Effect.Effect<Response, TransportError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const response = yield* HttpClient.execute(request)
    if (isRedirect(response.status)) {
      const location = response.headers["location"]
      return yield* transportError(request, {
        reason: "redirect",
        status: response.status,
        detail: `answered ${response.status}, a redirect${
          location ? ` to ${safeLocation(location, request.url)}` : ""
        }; redirects are never followed`
      })
    }
    const text = yield* readCapped(response, maxBodyBytes)
    return { status: response.status, headers: response.headers, text, sensitive: sensitiveValues(request) } satisfies Response
  }).pipe(
    Effect.scoped,
    noRedirects,
    // Our own client span (Telemetry.httpAttempt) records the call without its query; the
    // platform's span would repeat it with the full URL, and trace headers are not the tenant's business.
    Effect.locally(HttpClient.currentTracerDisabledWhen, () => true),
    Effect.locally(HttpClient.currentTracerPropagation, false),
    Effect.catchAll((error) => {
      if (error instanceof TransportError) return Effect.fail(error)
      if (error instanceof TooLarge) {
        return Effect.fail(transportError(request, {
          reason: "too_large",
          detail: `answered with a body over ${maxBodyBytes} bytes; it was not read`
        }))
      }
      return Effect.fail(fromClientError(request, error))
    }),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        transportError(request, { reason: "timeout", code: "ETIMEDOUT", detail: `: no response within ${Duration.format(timeout)}` })
    })
  )

const isRetryable = (error: TransportError | RetryableStatus) =>
  error instanceof RetryableStatus || error.reason === "unreachable" || error.reason === "timeout"

export interface SendOptions {
  /** Largest body read, in bytes; default {@link MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number | undefined
  /**
   * Runs before each attempt and gives the request to send: a DPoP proof must be fresh per
   * attempt (a retried GET must not repeat its `jti`, RFC 9449 §11.1).
   */
  readonly prepare?: ((request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientRequest.HttpClientRequest>) | undefined
}

/**
 * Sends a request and reads its body (at most `maxBodyBytes`). Reads (GET) are retried on
 * transport errors and 5xx; anything else is sent exactly once. A 3xx is a {@link TransportError}
 * with reason `redirect`, a body over the cap one with reason `too_large`.
 */
export const send = (
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.DurationInput,
  options: SendOptions = {}
): Effect.Effect<Response, TransportError, HttpClient.HttpClient> => {
  const perAttempt = Duration.decode(timeout)
  const max = options.maxBodyBytes ?? MAX_BODY_BYTES
  const prepare = options.prepare
  // Each attempt is its own client span, numbered from 1 per run of the returned Effect.
  let attempts = 0
  const attempt = Effect.suspend(() =>
    (prepare === undefined
      ? once(request, perAttempt, max)
      : Effect.flatMap(prepare(request), (prepared) => once(prepared, perAttempt, max))
    ).pipe(Telemetry.httpAttempt(request.method, request.url, ++attempts))
  )
  if (request.method !== "GET") {
    return Effect.suspend(() => {
      attempts = 0
      return attempt
    })
  }
  const retried = attempt.pipe(
    Effect.flatMap((response) =>
      response.status >= 500 ? Effect.fail(new RetryableStatus(response)) : Effect.succeed(response)
    ),
    Effect.retry({ schedule: readRetry, while: isRetryable }),
    Effect.catchIf(
      (error): error is RetryableStatus => error instanceof RetryableStatus,
      (error) => Effect.succeed(error.response)
    )
  )
  return Effect.suspend(() => {
    attempts = 0
    return retried
  })
}

/**
 * `value` with every credential of the request that produced `response` replaced: a server that
 * echoes the request into `error_description` or `detail` must not put the secret into an error.
 */
export const redact = (response: Response, value: string): string => {
  let out = value
  for (const secret of response.sensitive ?? []) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]")
  }
  return out
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` gives `application/json`. */
export const mediaType = (headers: Response["headers"]): string =>
  (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()

/** Whether the response declares JSON (`application/json`, `application/problem+json`, ...). */
export const isJson = (headers: Response["headers"]): boolean => {
  const type = mediaType(headers)
  return type === "application/json" || type.endsWith("+json")
}

/** Describes a body without quoting it: bodies may hold tokens (CWE-532). */
export const describeBody = (response: Response): string =>
  `${mediaType(response.headers) || "no content type"}, ${new TextEncoder().encode(response.text).length} bytes`

/** Parses the body as JSON, whatever parameters its content type carries. */
export const parseJson = (response: Response, what: string): Effect.Effect<unknown, InvalidResponseError> =>
  Effect.try({
    try: () => JSON.parse(response.text) as unknown,
    catch: () =>
      new InvalidResponseError({
        status: response.status,
        message: `${what} answered ${response.status} with a body that is not JSON (${describeBody(response)})`
      })
  })

/**
 * Where a decoded body broke its schema, by path and kind only (`access_token: Missing`): a
 * ParseError's message and `actual` quote the values, which may be tokens.
 */
export const schemaProblems = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const listed = issues.slice(0, 5).map((issue) =>
    `${issue.path.length > 0 ? issue.path.map((p) => String(p).slice(0, 64)).join(".") : "(body)"}: ${issue._tag}`
  )
  return `${listed.join(", ")}${issues.length > 5 ? ", ..." : ""}`
}

/** Parses the body as JSON, or `undefined` when it is not JSON. */
export const tryParseJson = (response: Response): unknown => {
  try {
    return JSON.parse(response.text) as unknown
  } catch {
    return undefined
  }
}

/** JSON request body, with the charset spelled out. */
export const jsonBody = (body: unknown) =>
  HttpClientRequest.bodyText(JSON.stringify(body), "application/json; charset=utf-8")

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const optionalString = (value: unknown): string | undefined => typeof value === "string" ? value : undefined
