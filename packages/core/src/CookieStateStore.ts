/**
 * The stateless session store: the whole session, encrypted with {@link SessionCrypto}, lives in
 * the browser in the cookie `cookie.name` (split by {@link CookieChunks} when it outgrows one
 * cookie). Nothing is kept on the server, so nothing needs sharing between app instances; the
 * price is that the server cannot reach a session it did not receive, so back-channel logout
 * needs a stateful store.
 *
 * Lifetime: a session expires after `session.inactivityDuration` without being saved (or, when
 * `session.rolling`, without being read) and in any case `session.absoluteDuration` after
 * `internal.createdAt`. The expiry is sealed into the token, and the cookie's `Max-Age` is the
 * time left.
 *
 * Any cookie that does not decrypt and decode into a live session (expired, tampered, truncated,
 * a missing chunk, another secret, someone else's cookie of the same name) reads as no session
 * and is expired in the response. Cookies that look planted by another site (a name sent twice,
 * see {@link isTampered}) also read as no session, but are left alone.
 *
 * The cookie holds the session packed (`internal/sessionPacking`: user claims not repeated beside
 * the ID token's, JWT headers and payloads as text) and deflated by {@link SessionCrypto}; older
 * cookies, written before either, read as they are.
 *
 * The SDK's cookies together stay within `cookie.maxHeaderBytes` of the `Cookie` header (8 KiB
 * by default): a larger session fails with `StoreError(too_large)` and the previous one stays.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Auth0Config, type ResolvedConfig } from "./Auth0Config.js"
import * as CookieChunks from "./CookieChunks.js"
import * as CookieNames from "./CookieNames.js"
import { BackchannelLogoutError, StoreError } from "./Errors.js"
import * as BeforeSessionSaved from "./internal/beforeSessionSaved.js"
import * as SessionDecode from "./internal/sessionDecode.js"
import * as SessionPacking from "./internal/sessionPacking.js"
import { type CookieJar, type CookieOptions, RequestCookies } from "./RequestCookies.js"
import { SessionData } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"
import type { StateStoreService } from "./StateStore.js"

/** The current time in seconds since the epoch, from `Clock`. */
export const nowSeconds: Effect.Effect<number> = Effect.map(Clock.currentTimeMillis, (millis) => millis / 1000)

/**
 * When a session saved (or renewed) at `now` expires: after the inactivity period, but never
 * after the absolute lifetime counted from `createdAt`. Whole seconds since the epoch.
 */
export const sessionExpiry = (
  session: ResolvedConfig["options"]["session"],
  createdAt: number,
  now: number
): number => Math.floor(Math.min(now + session.inactivityDuration, createdAt + session.absoluteDuration))

/**
 * The least extension worth re-sealing a rolling session for: a hundredth of the inactivity
 * period, at least a minute, at most a tenth of it (about 14 minutes for the default day).
 * Renewing on every read would re-encrypt and resend the whole cookie (or rewrite the backend
 * entry) on nearly every response; this way the expiry lags by at most this much.
 */
export const renewThreshold = (session: ResolvedConfig["options"]["session"]): number =>
  Math.min(Math.max(60, session.inactivityDuration / 100), session.inactivityDuration / 10)

/** Whether a read should extend a rolling session sealed to expire at `current` to `renewed`. */
export const shouldRenew = (
  session: ResolvedConfig["options"]["session"],
  renewed: number,
  current: number
): boolean => session.rolling && renewed - current >= renewThreshold(session)

/** The session cookie's attributes: always HttpOnly; Secure unless configured off. */
export const sessionCookieOptions = (config: ResolvedConfig): CookieOptions => {
  const { secure, sameSite, path, domain } = config.options.cookie
  return { httpOnly: true, secure, sameSite, path, domain }
}

/** Expires every cookie (whole or chunk) of `name` the request carries. */
export const clearCookies = (jar: CookieJar, name: string, options: CookieOptions): void => {
  for (const stale of CookieChunks.planClear(name, (n) => jar.get(n) !== undefined)) jar.remove(stale, options)
}

/** What the SDK's cookies may take in the `Cookie` request header, and which cookies are the SDK's. */
export interface HeaderBudget {
  readonly maxHeaderBytes: number
  readonly naming: CookieNames.CookieNaming
}

/** The header budget `config` sets (`cookie.maxHeaderBytes`) over the cookie names it uses. */
export const headerBudget = (config: ResolvedConfig): HeaderBudget => {
  const cookie = config.options.cookie
  return {
    maxHeaderBytes: cookie.maxHeaderBytes,
    naming: {
      session: cookie.name,
      transactionPrefix: cookie.transactionPrefix,
      transactionKey: CookieNames.transactionKeyName(cookie)
    }
  }
}

/** The SDK's cookies in the jar, except the names `skip` excludes, as `[name, value]`. */
export const sdkCookies = (
  jar: CookieJar,
  naming: CookieNames.CookieNaming,
  skip: (name: string) => boolean
): Array<readonly [string, string]> =>
  jar.names().flatMap((n) => {
    const value = jar.get(n)
    return value !== undefined && !skip(n) && CookieNames.isSdkCookie(naming, n) ? [[n, value] as const] : []
  })

/**
 * `StoreError(too_large)` for SDK cookies that would take `bytes` of the next request's `Cookie`
 * header. Past the budget, servers answer 431 to every request (Node refuses request headers over
 * 16 KiB in all), and the SDK could never see the request again to clear the cookies.
 */
export const overBudget = (what: string, bytes: number, budget: HeaderBudget): StoreError =>
  new StoreError({
    reason: "too_large",
    message: `${what} would make the SDK's cookies take ${bytes} bytes of the Cookie request header, over ` +
      `cookie.maxHeaderBytes (${budget.maxHeaderBytes}); servers refuse large request headers (Node answers 431 ` +
      "past 16 KiB), which would lock the user out. Keep sessions in a stateful store (StateStore.stateful or a " +
      "Redis backend), or keep fewer token sets in the session (fewer audiences or connections)."
  })

/**
 * Writes `value` under `name`, chunked as needed, expiring stale chunks of an earlier value.
 * Fails with `StoreError(too_large)`, writing nothing, when the SDK's cookies would then exceed
 * the header budget (the previous value stays as it was).
 */
export const writeChunked = (
  jar: CookieJar,
  name: string,
  value: string,
  options: CookieOptions,
  budget: HeaderBudget,
  limits?: CookieChunks.ChunkLimits
): Effect.Effect<void, StoreError> =>
  Effect.flatMap(CookieChunks.planWrite(name, value, options, (n) => jar.get(n) !== undefined, limits), (plan) => {
    const replaced = new Set([...plan.remove, ...plan.set.map((chunk) => chunk.name)])
    const bytes = CookieChunks.headerBytes([
      ...sdkCookies(jar, budget.naming, (n) => replaced.has(n)),
      ...plan.set.map((chunk) => [chunk.name, chunk.value] as const)
    ])
    if (bytes > budget.maxHeaderBytes) return Effect.fail(overBudget("This session", bytes, budget))
    for (const stale of plan.remove) jar.remove(stale, options)
    for (const chunk of plan.set) jar.set(chunk.name, chunk.value, options)
    return Effect.void
  })

/**
 * Whether the request's session cookies were tampered with (see `CookieChunks.isTampered`): a
 * name sent twice, a whole cookie beside chunks, a chunk after a gap. Such a request reads as
 * no session, and nothing is expired: an expiry can only reach our own copy (host-only, our
 * Path), never the planted one (its Domain or Path differ, which is why the browser sent both),
 * so expiring would delete the user's real session and leave the attacker's cookie as the only
 * one, read on the next request. Left alone, the real session works again once the planted
 * cookie is gone; `__Host-` names (the default with Secure) keep it from being planted at all.
 *
 * Logout (`delete`) still expires our copies: the user's real session must end, even though a
 * planted cookie may then be all that is left (as for a browser that had no session at all,
 * which only `__Host-` names protect).
 */
export const isTampered = (jar: CookieJar, name: string): boolean =>
  CookieChunks.isTampered(name, (n) => jar.get(n) !== undefined, jar.duplicated)

const schemaDecode = Schema.decodeUnknownOption(SessionData)
/** The Schema decode, through the plain check of `internal/sessionDecode` when that is sure (it is for every session we write). */
const decodeSession = (input: unknown): Option.Option<SessionData> => {
  const fast = SessionDecode.decodeSession(input)
  return fast !== undefined ? Option.some(fast) : schemaDecode(input)
}
const schemaEncode = Schema.encode(SessionData)
/** The Schema encode, through the plain one of `internal/sessionDecode` when that is sure (on every write). */
const encodeSession = (data: SessionData) => {
  const fast = SessionDecode.encodeSession(data)
  return fast !== undefined ? Effect.succeed<typeof SessionData.Encoded>(fast) : schemaEncode(data)
}

/** The cookie store's service; needs `Auth0Config` and `SessionCrypto`. `StateStore.cookie` provides the crypto. */
export const make: Effect.Effect<StateStoreService, never, Auth0Config | SessionCrypto> = Effect.gen(function*() {
  const config = yield* Auth0Config
  const crypto = yield* SessionCrypto
  const name = config.options.cookie.name
  const lifetime = config.options.session
  const cookie = sessionCookieOptions(config)
  const budget = headerBudget(config)

  const write = (jar: CookieJar, payload: unknown, expiresAt: number, now: number) =>
    Effect.flatMap(
      crypto.encrypt(payload, { expiresAt }),
      (token) => writeChunked(jar, name, token, { ...cookie, maxAge: expiresAt - now }, budget)
    )

  /**
   * Whether the first chunks alone are a token we sealed: then the chunks after them were added
   * by someone else (a sibling subdomain can plant `${name}.${n}` next to our `.0` .. `.${n - 1}`;
   * our writes expire every stale chunk). Only a failed read pays for this, at most
   * `CookieChunks.MAX_CHUNKS - 1` attempts.
   */
  const hasSealedPrefix = (parts: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      for (let k = Math.min(parts.length - 1, CookieChunks.MAX_CHUNKS); k >= 1; k--) {
        if (Option.isSome(yield* crypto.decryptToken(parts.slice(0, k).join("")))) return true
      }
      return false
    })

  const get: StateStoreService["get"] = Effect.gen(function*() {
    const jar = yield* RequestCookies
    if (isTampered(jar, name)) return Option.none()
    const parts = CookieChunks.readParts(name, jar.get)
    if (Option.isNone(parts)) {
      clearCookies(jar, name, cookie) // orphaned chunks without `.0`
      return Option.none()
    }
    const decrypted = yield* crypto.decryptToken(parts.value.join(""))
    const data = Option.flatMap(decrypted, (d) => decodeSession(SessionPacking.unpack(d.payload)))
    const now = yield* nowSeconds
    if (Option.isNone(decrypted) || Option.isNone(data)) {
      // A chunk planted right after our last one: left alone, as any tampering (see isTampered).
      if (Option.isNone(decrypted) && (yield* hasSealedPrefix(parts.value))) return Option.none()
      clearCookies(jar, name, cookie)
      return Option.none()
    }
    const expiresAt = sessionExpiry(lifetime, data.value.internal.createdAt, now)
    if (expiresAt <= now) {
      clearCookies(jar, name, cookie)
      return Option.none()
    }
    // Re-sealed when worth extending, or when an old secret sealed it (rotation).
    if (!decrypted.value.currentKey || shouldRenew(lifetime, expiresAt, decrypted.value.expiresAt)) {
      // The payload decoded as a session, so it can be sealed again as it is.
      yield* write(jar, decrypted.value.payload, expiresAt, now)
    }
    return data
  })

  const set: StateStoreService["set"] = (data) =>
    Effect.gen(function*() {
      const jar = yield* RequestCookies
      const now = yield* nowSeconds
      const expiresAt = sessionExpiry(lifetime, data.internal.createdAt, now)
      if (expiresAt <= now) {
        clearCookies(jar, name, cookie)
        return
      }
      const kept = yield* BeforeSessionSaved.apply(config.options.beforeSessionSaved, data)
      const encoded = yield* encodeSession(kept).pipe(
        Effect.mapError((error) =>
          new StoreError({ reason: "corrupt", message: `Session cannot be encoded: ${error.message}`, cause: error })
        )
      )
      yield* write(jar, SessionPacking.pack(encoded), expiresAt, now)
    })

  const remove: StateStoreService["delete"] = Effect.map(RequestCookies, (jar) => clearCookies(jar, name, cookie))

  return {
    get,
    set,
    delete: remove,
    deleteByLogoutClaims: () =>
      Effect.fail(new BackchannelLogoutError({
        message: "Back-channel logout needs a stateful session store (StateStore.stateful or StateStore.memory, " +
          "or a Redis backend): sessions kept in cookies live in browsers the server cannot reach."
      }))
  }
})
