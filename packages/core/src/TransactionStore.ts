/**
 * Where a login or connect waits for its callback, keyed by `state`, so several flows started in
 * several tabs all complete. A transaction is removed once its callback has been handled.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Encoding from "effect/Encoding"
import { Auth0Config } from "./Auth0Config.js"
import * as CookieNames from "./CookieNames.js"
import * as CookieTransactionStore from "./CookieTransactionStore.js"
import type { StoreError } from "./Errors.js"
import { type CookieJar, type CookieOptions, RequestCookies } from "./RequestCookies.js"
import type { Transaction } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"
import * as Telemetry from "./Telemetry.js"

export interface TransactionStoreService {
  readonly set: (transaction: Transaction) => Effect.Effect<void, StoreError, RequestCookies>
  /** The transaction for `state`, if it exists and has not expired. */
  readonly get: (state: string) => Effect.Effect<Option.Option<Transaction>, StoreError, RequestCookies>
  readonly delete: (state: string) => Effect.Effect<void, StoreError, RequestCookies>
}

/** How long a transaction waits for its callback. */
export const TRANSACTION_TTL_SECONDS = 60 * 60

/** Whether a transaction has outlived {@link TRANSACTION_TTL_SECONDS} at `nowSeconds`. */
export const isExpired = (transaction: Transaction, nowSeconds: number): boolean =>
  transaction.createdAt + TRANSACTION_TTL_SECONDS <= nowSeconds

export class TransactionStore extends Context.Tag("@auth0-effect/core/TransactionStore")<
  TransactionStore,
  TransactionStoreService
>() {
  /**
   * One encrypted cookie per transaction, `${cookie.transactionPrefix}${state}` (`__Host-a0_tx.${state}`
   * by default with Secure; SameSite=Lax, HttpOnly, 1 hour).
   * Keys are derived from `Auth0Config`'s secrets once, when the layer is built.
   */
  static readonly cookie: Layer.Layer<TransactionStore, never, Auth0Config> = Layer.effect(
    TransactionStore,
    // Lazy: CookieTransactionStore imports this module's TTL, so it may still be loading here.
    Effect.map(Effect.suspend(() => CookieTransactionStore.make), (store) => Telemetry.instrumentStore("transaction", store))
  ).pipe(Layer.provide(SessionCrypto.layer))

  /**
   * Transactions in this process's memory, keyed by state and bound to the browser that started
   * them (see {@link makeMemory}); at most {@link MEMORY_MAX_TRANSACTIONS}, expiry read from `Clock`.
   */
  static readonly memory: Layer.Layer<TransactionStore, never, Auth0Config> = Layer.effect(
    TransactionStore,
    Effect.map(Effect.suspend(() => makeMemory()), (store) => Telemetry.instrumentStore("transaction", store))
  )
}

/** Most transactions {@link TransactionStore.memory} keeps; past it the oldest is dropped. */
export const MEMORY_MAX_TRANSACTIONS = 10_000

/** A browser key: 32 random bytes, base64url without padding. */
const BROWSER_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** The memory store's service, with the number of transactions it holds (for tests and metrics). */
export interface MemoryTransactionStore extends TransactionStoreService {
  readonly size: () => number
}

/**
 * Transactions in memory, each bound to the browser that started it. A login's `state` alone
 * proves nothing about who returns with it: an attacker can start a login in their own browser,
 * stop at the callback and send the victim to `callback?code=...&state=...`, logging the victim
 * in as the attacker (login CSRF, RFC 9700 §4.7.1; RFC 6749 §10.12 asks for a value bound to
 * the user agent). So a start sets an HttpOnly, SameSite=Lax cookie (`__Host-a0_txkey` when
 * Secure without Domain, see `CookieNames`) holding a random 256-bit key, kept with the
 * transaction; a callback finds its transaction only when the same key comes back, once.
 *
 * Anonymous requests can start logins, so the store is bounded: at most `maxEntries` (default
 * {@link MEMORY_MAX_TRANSACTIONS}) transactions, the oldest dropped first, and expired ones
 * swept on every start.
 */
export const makeMemory = (
  options?: { readonly maxEntries?: number | undefined }
): Effect.Effect<MemoryTransactionStore, never, Auth0Config> =>
  Effect.gen(function*() {
    const config = yield* Auth0Config
    const { secure, path, domain } = config.options.cookie
    const keyName = CookieNames.transactionKeyName(config.options.cookie)
    const cookie: CookieOptions = { httpOnly: true, secure, sameSite: "lax", path, domain, maxAge: TRANSACTION_TTL_SECONDS }
    const maxEntries = options?.maxEntries ?? MEMORY_MAX_TRANSACTIONS
    const entries = new Map<string, { readonly transaction: Transaction; readonly key: string }>()
    const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => millis / 1000)

    /** The key this browser sent: exactly one well-formed copy (a name sent twice may be planted). */
    const browserKey = (jar: CookieJar): string | undefined => {
      const value = jar.get(keyName)
      return value !== undefined && !jar.duplicated(keyName) && BROWSER_KEY_PATTERN.test(value) ? value : undefined
    }

    /** Drops expired transactions, oldest first (entries are in insertion order). */
    const sweep = (now: number) => {
      for (const [state, entry] of entries) {
        if (!isExpired(entry.transaction, now)) break
        entries.delete(state)
      }
    }

    /** The entry for `state` if this browser started it and it is live. */
    const find = (jar: CookieJar, state: string, now: number) => {
      const entry = entries.get(state)
      if (entry === undefined || entry.key !== browserKey(jar)) return undefined
      if (isExpired(entry.transaction, now)) {
        entries.delete(state)
        return undefined
      }
      return entry
    }

    return {
      size: () => entries.size,
      set: (transaction) =>
        Effect.gen(function*() {
          const jar = yield* RequestCookies
          sweep(yield* nowSeconds)
          const key = browserKey(jar) ?? Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
          // Written on every start, so the key outlives the newest transaction.
          jar.set(keyName, key, cookie)
          entries.delete(transaction.state)
          entries.set(transaction.state, { transaction, key })
          for (const state of entries.keys()) {
            if (entries.size <= maxEntries) break
            entries.delete(state)
          }
        }),
      get: (state) =>
        Effect.gen(function*() {
          const jar = yield* RequestCookies
          return Option.map(Option.fromNullable(find(jar, state, yield* nowSeconds)), (entry) => entry.transaction)
        }),
      delete: (state) =>
        Effect.gen(function*() {
          const jar = yield* RequestCookies
          if (find(jar, state, yield* nowSeconds) !== undefined) entries.delete(state)
        })
    }
  })
