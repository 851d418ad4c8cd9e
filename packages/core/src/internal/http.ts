/**
 * The one place that talks HTTP. Every call has a per-attempt timeout; only idempotent reads are
 * retried (transport errors and 5xx, exponential backoff with jitter); every failure leaves as a
 * tagged error. Keeping this in one module keeps the Effect 4 move small.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { InvalidResponseError, TransportError } from "../Errors.js"

export interface Response {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
}

/** Retry policy for idempotent reads: 3 attempts in all, exponential backoff with jitter. */
export const readRetry = Schedule.exponential("200 millis").pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(2))
)

class RetryableStatus {
  readonly _tag = "RetryableStatus"
  constructor(readonly response: Response) {}
}

const causeMessage = (error: HttpClientError.HttpClientError): string => {
  const cause = error.cause
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message
  }
  return cause === undefined ? error.message : String(cause)
}

const describe = (request: HttpClientRequest.HttpClientRequest) => `${request.method} ${request.url}`

const once = (
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.Duration
): Effect.Effect<Response, TransportError, HttpClient.HttpClient> =>
  HttpClient.execute(request).pipe(
    Effect.flatMap((response: HttpClientResponse.HttpClientResponse) =>
      Effect.map(response.text, (text): Response => ({ status: response.status, headers: response.headers, text }))
    ),
    Effect.scoped,
    Effect.mapError((error) =>
      new TransportError({ message: `${describe(request)} failed: ${causeMessage(error)}`, cause: error })
    ),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new TransportError({ message: `${describe(request)}: no response within ${Duration.format(timeout)}` })
    })
  )

/**
 * Sends a request and reads the whole body. Reads (GET) are retried on transport errors and
 * 5xx; anything else is sent exactly once.
 */
export const send = (
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.DurationInput
): Effect.Effect<Response, TransportError, HttpClient.HttpClient> => {
  const perAttempt = Duration.decode(timeout)
  if (request.method !== "GET") return once(request, perAttempt)
  return once(request, perAttempt).pipe(
    Effect.flatMap((response) =>
      response.status >= 500 ? Effect.fail(new RetryableStatus(response)) : Effect.succeed(response)
    ),
    Effect.retry(readRetry),
    Effect.catchIf(
      (error): error is RetryableStatus => error instanceof RetryableStatus,
      (error) => Effect.succeed(error.response)
    )
  )
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` gives `application/json`. */
export const mediaType = (headers: Response["headers"]): string =>
  (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()

/** Whether the response declares JSON (`application/json`, `application/problem+json`, ...). */
export const isJson = (headers: Response["headers"]): boolean => {
  const type = mediaType(headers)
  return type === "application/json" || type.endsWith("+json")
}

/** Parses the body as JSON, whatever parameters its content type carries. */
export const parseJson = (response: Response, what: string): Effect.Effect<unknown, InvalidResponseError> =>
  Effect.try({
    try: () => JSON.parse(response.text) as unknown,
    catch: () =>
      new InvalidResponseError({
        status: response.status,
        message: `${what} answered ${response.status} with a body that is not JSON (${
          mediaType(response.headers) || "no content type"
        }): ${response.text.slice(0, 120)}`
      })
  })

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
