/**
 * How the Promise facade meets a runtime's requests: each runtime (Node's `req`/`res`, the Web's
 * `Request`/`Headers`) says how to read a request's cookies and write the response's
 * `Set-Cookie`; {@link makeCookieAdapter} turns that into the facade's {@link CookieAdapter}.
 *
 * @since 0.1.0
 */
import { InvalidArgumentError } from "./Errors.js"
import { type CookieJar, makeRequestJar } from "./RequestCookies.js"

/** How a runtime reads a request's cookies and writes the response's. */
export interface CookieAdapter<StoreOptions> {
  /** The jar of this request (the same jar for every call on the same request). */
  readonly jar: (storeOptions: StoreOptions) => CookieJar
  /** Writes the cookies set so far to the response. */
  readonly commit: (storeOptions: StoreOptions) => void
  /**
   * What is wrong with `storeOptions` (a missing `req`, options passed where storeOptions go),
   * as a message saying what to pass; `undefined` when they are usable. Checked before every call.
   */
  readonly storeOptionsProblem?: ((storeOptions: unknown) => string | undefined) | undefined
}

/** What an argument is, for a message, without its contents: `undefined`, `a string`, `an object with keys audience, scope`. */
export const describeArgument = (value: unknown): string => {
  if (value === null || value === undefined) return String(value)
  if (typeof value !== "object") return `a ${typeof value}`
  const keys = Object.keys(value)
  return keys.length === 0 ? "an empty object" : `an object with keys ${keys.slice(0, 8).join(", ")}`
}

/** Keeps one value per request object, created on first use. */
const perRequest = <K extends object, V>(make: (key: K) => V) => {
  const cache = new WeakMap<K, V>()
  return (key: K): V => {
    let value = cache.get(key)
    if (value === undefined) {
      value = make(key)
      cache.set(key, value)
    }
    return value
  }
}

/** How a runtime names a request, reads its cookies, and reads and writes its response's `Set-Cookie`. */
export interface CookieRuntime<StoreOptions, Key extends object> {
  /** The object that identifies the request (the same for every call on it). */
  readonly request: (storeOptions: StoreOptions) => Key
  readonly cookieHeader: (request: Key) => string | null | undefined
  /** The `Set-Cookie` values on the response now; `undefined` when it can no longer be changed. */
  readonly setCookies: (storeOptions: StoreOptions) => ReadonlyArray<string> | undefined
  readonly writeSetCookies: (storeOptions: StoreOptions, values: ReadonlyArray<string>) => void
  /** Sets the response's `Cache-Control` header, replacing the app's. */
  readonly setCacheControl: (storeOptions: StoreOptions, value: string) => void
  /** How the runtime's docs name the moment headers are sent, for the error (e.g. "res.writeHead"). */
  readonly headersSentHint: string
}

/**
 * The `Cache-Control` of every response that sets or clears the SDK's cookies: the session (or a
 * transaction) sealed into a `Set-Cookie` must never be stored by a shared cache and replayed
 * to another user (OWASP Session Management Cheat Sheet, "Web Content Caching"; RFC 9111 §5.2.2.5
 * `no-store`, §5.2.2.7 `private`).
 */
export const NO_STORE = "private, no-store"

/**
 * The error for cookies that can no longer reach the browser: the response's headers were sent
 * before the SDK wrote its `Set-Cookie` values. An `InvalidArgumentError` (the `storeOptions`
 * given are no longer usable), not a `StoreError`: nothing failed to store, retrying cannot
 * help, and the caller must change the order of its calls. Thrown by `commit`, outside every
 * flow, so no flow's error union changes.
 */
export const headersSentError = (hint: string): InvalidArgumentError =>
  new InvalidArgumentError({
    argument: "storeOptions",
    message: `The SDK could not set its cookies: the response's headers were already sent (${hint} ran before ` +
      "this call finished). Call the SDK before sending any part of the response; otherwise, for example, a " +
      "login's transaction cookie is lost and its callback fails with MissingTransactionError."
  })

/**
 * A {@link CookieAdapter} over a runtime: one jar per request, and on each commit the `Set-Cookie`
 * values written before replaced by the jar's current ones, keeping those the app set itself.
 * A response that carries the SDK's cookies gets `Cache-Control: private, no-store` ({@link NO_STORE});
 * one that carries none keeps the app's own. Cookies the runtime can no longer write (headers
 * already sent) throw {@link headersSentError} rather than vanish.
 */
export const makeCookieAdapter = <StoreOptions, Key extends object>(
  runtime: CookieRuntime<StoreOptions, Key>
): CookieAdapter<StoreOptions> => {
  const entryFor = perRequest((request: Key) => ({
    jar: makeRequestJar(runtime.cookieHeader(request)),
    written: [] as ReadonlyArray<string>
  }))
  return {
    jar: (storeOptions) => entryFor(runtime.request(storeOptions)).jar,
    commit: (storeOptions) => {
      const entry = entryFor(runtime.request(storeOptions))
      const next = entry.jar.setCookieHeaders()
      const current = runtime.setCookies(storeOptions)
      if (current === undefined) {
        if (next.some((value) => !entry.written.includes(value))) throw headersSentError(runtime.headersSentHint)
        return
      }
      const others = current.filter((value) => !entry.written.includes(value))
      runtime.writeSetCookies(storeOptions, [...others, ...next])
      if (next.length > 0) runtime.setCacheControl(storeOptions, NO_STORE)
      entry.written = next
    }
  }
}
