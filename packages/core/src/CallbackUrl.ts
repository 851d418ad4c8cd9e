/**
 * Reading redirect callbacks strictly: a malformed URL or a repeated parameter is an error, not
 * a guess (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { AuthorizationError, InvalidArgumentError } from "./Errors.js"

export interface CallbackParams {
  readonly get: (name: string) => string | undefined
  readonly has: (name: string) => boolean
}

/** Parses a callback URL (absolute, or a path with query) and checks `params` appear at most once. */
export const parse = (
  url: string | URL,
  params: ReadonlyArray<string>
): Effect.Effect<CallbackParams, InvalidArgumentError> =>
  Effect.suspend(() => {
    let parsed: URL
    try {
      parsed = typeof url === "string" ? new URL(url, "http://callback.invalid") : url
    } catch {
      return Effect.fail(new InvalidArgumentError({ argument: "url", message: "The callback URL is not a valid URL" }))
    }
    const search = parsed.searchParams
    for (const name of params) {
      if (search.getAll(name).length > 1) {
        return Effect.fail(
          new InvalidArgumentError({ argument: name, message: `The callback URL repeats the ${name} parameter` })
        )
      }
    }
    return Effect.succeed({ get: (name: string) => search.get(name) ?? undefined, has: (name: string) => search.has(name) })
  })

/**
 * The provider's error redirect (RFC 6749 §4.1.2.1) as an {@link AuthorizationError}: `error` and
 * `error_description` from the callback, or `undefined` when the callback carries no `error`.
 */
export const providerError = (callback: CallbackParams, flow: string): AuthorizationError | undefined => {
  const error = callback.get("error")
  if (error === undefined) return undefined
  const description = callback.get("error_description")
  const shownDescription = description === undefined || description === "" ? undefined : quotable(description)
  return new AuthorizationError({
    error,
    errorDescription: description,
    message: `${flow} failed: ${quotable(error)}${shownDescription !== undefined ? ` (${shownDescription})` : ""}`
  })
}

/** RFC 6749 §4.1.2.1: `error` and `error_description` are printable ASCII without `"` and `\`. */
const RFC6749_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,256}$/

/**
 * A callback value as the error's message may quote it: anyone can send a callback URL, so a value
 * outside RFC 6749's character set (line breaks that forge log lines, control characters) or over
 * 256 characters is not quoted. The error's `error` and `errorDescription` fields keep it as sent.
 */
export const quotable = (value: string): string => (RFC6749_TEXT.test(value) ? value : "(not shown: not RFC 6749 text)")
