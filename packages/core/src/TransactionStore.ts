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
import type { Auth0Config } from "./Auth0Config.js"
import * as CookieTransactionStore from "./CookieTransactionStore.js"
import type { StoreError } from "./Errors.js"
import type { RequestCookies } from "./RequestCookies.js"
import type { Transaction } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"

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
   * One encrypted cookie per transaction, `__a0_tx.${state}` (SameSite=Lax, HttpOnly, 1 hour).
   * Keys are derived from `Auth0Config`'s secrets once, when the layer is built.
   */
  static readonly cookie: Layer.Layer<TransactionStore, never, Auth0Config> = Layer.effect(
    TransactionStore,
    // Lazy: CookieTransactionStore imports this module's TTL, so it may still be loading here.
    Effect.suspend(() => CookieTransactionStore.make)
  ).pipe(Layer.provide(SessionCrypto.layer))

  /** Transactions in this process's memory, keyed by state; expiry read from `Clock`. */
  static readonly memory: Layer.Layer<TransactionStore> = Layer.sync(TransactionStore, () => {
    const entries = new Map<string, Transaction>()
    return {
      set: (transaction) => Effect.sync(() => void entries.set(transaction.state, transaction)),
      get: (state) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const found = entries.get(state)
          if (!found) return Option.none()
          if (isExpired(found, now / 1000)) {
            entries.delete(state)
            return Option.none()
          }
          return Option.some(found)
        }),
      delete: (state) => Effect.sync(() => void entries.delete(state))
    }
  })
}
