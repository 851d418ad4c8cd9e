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
  return new AuthorizationError({
    error,
    errorDescription: description,
    message: `${flow} failed: ${error}${description ? ` (${description})` : ""}`
  })
}
