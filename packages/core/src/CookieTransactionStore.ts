/**
 * Login and connect transactions in cookies, one per transaction: `${cookie.transactionPrefix}${state}`
 * (`__Host-a0_tx.${state}` by default with Secure, `__a0_tx.${state}` otherwise; see
 * `CookieNames`) holds the transaction encrypted with {@link SessionCrypto}. Keying the cookie name by `state` lets flows
 * started in several tabs wait side by side; each is removed once its callback is handled.
 *
 * The cookie is `SameSite=Lax` whatever the session cookie uses: the callback is a top-level GET
 * from the identity provider's site, which `Strict` would strip the cookie from, and nothing
 * here needs `None`. It is `HttpOnly`, `Secure` unless `cookie.secure` is false, scoped by
 * `cookie.path` / `cookie.domain`, and lives {@link TRANSACTION_TTL_SECONDS} (its `Max-Age`,
 * and an expiry sealed into the token, so a replayed old cookie is refused as well).
 *
 * A transaction cookie sent twice reads as no transaction and is left alone (another site may
 * have planted one copy; see `CookieStateStore.isTampered`). At most {@link MAX_TRANSACTIONS}
 * live at once, and with the session they stay within `cookie.maxHeaderBytes`: the oldest
 * transactions are dropped to make room, and a start that cannot fit fails with
 * `StoreError(too_large)`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Auth0Config } from "./Auth0Config.js"
import * as CookieChunks from "./CookieChunks.js"
import * as CookieNames from "./CookieNames.js"
import { headerBudget, nowSeconds, overBudget, sdkCookies } from "./CookieStateStore.js"
import { StoreError } from "./Errors.js"
import { type CookieJar, type CookieOptions, RequestCookies } from "./RequestCookies.js"
import { Transaction } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"
import { isExpired, TRANSACTION_TTL_SECONDS, type TransactionStoreService } from "./TransactionStore.js"

/**
 * States this store accepts: base64url, as the SDK generates them. Such a state is a valid cookie
 * name token (RFC 6265 §4.1.1 / RFC 2616 §2.2), so it can go straight into the name.
 */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{1,256}$/

const decodeTransaction = Schema.decodeUnknownOption(Transaction)
const encodeTransaction = Schema.encode(Transaction)

/**
 * At most this many transaction cookies live at once. Each is about half a kilobyte; without a
 * cap, a user who starts many logins (or a page that triggers them) would grow the Cookie
 * header past what servers accept (Node: 16 KB), locking the user out until they expire.
 */
export const MAX_TRANSACTIONS = 8

/** The cookie transaction store's service; needs `Auth0Config` and `SessionCrypto`. `TransactionStore.cookie` provides the crypto. */
export const make: Effect.Effect<TransactionStoreService, never, Auth0Config | SessionCrypto> = Effect.gen(
  function*() {
    const config = yield* Auth0Config
    const crypto = yield* SessionCrypto
    const { secure, path, domain, transactionPrefix } = config.options.cookie
    const cookie: CookieOptions = { httpOnly: true, secure, sameSite: "lax", path, domain }
    const budget = headerBudget(config)
    const cookieName = (state: string) => CookieNames.transactionCookieName(transactionPrefix, state)

    const set: TransactionStoreService["set"] = (transaction) =>
      Effect.gen(function*() {
        if (!STATE_PATTERN.test(transaction.state)) {
          return yield* new StoreError({
            reason: "corrupt",
            message: "Transaction state must be 1 to 256 base64url characters to key its cookie"
          })
        }
        const jar = yield* RequestCookies
        const now = yield* nowSeconds
        const expiresAt = Math.floor(transaction.createdAt + TRANSACTION_TTL_SECONDS)
        const encoded = yield* encodeTransaction(transaction).pipe(
          Effect.mapError((error) =>
            new StoreError({ reason: "corrupt", message: `Transaction cannot be encoded: ${error.message}`, cause: error })
          )
        )
        const token = yield* crypto.encrypt(encoded, { expiresAt })
        const name = cookieName(transaction.state)
        const options = { ...cookie, maxAge: expiresAt - now }
        // One cookie per transaction: a transaction needing chunks is far outside what flows write.
        const [only] = yield* CookieChunks.split(name, token, options, { maxChunks: 1 })
        const evict = yield* planEviction(jar, name, token, now)
        for (const old of evict) jar.remove(old, cookie)
        jar.set(only!.name, only!.value, options)
      })

    /** The live transaction a cookie value holds: ours, decodable and not expired. */
    const read = (raw: string, now: number) =>
      Effect.map(
        crypto.decrypt(raw),
        (payload) => Option.filter(Option.flatMap(payload, decodeTransaction), (transaction) => !isExpired(transaction, now))
      )

    /**
     * The transaction cookies to expire to make room for `name`: unreadable or expired ones,
     * then the oldest until fewer than {@link MAX_TRANSACTIONS} remain and the SDK's cookies
     * fit `cookie.maxHeaderBytes` with the new one. Fails with `StoreError(too_large)` when even
     * without other transactions they would not fit (the session is too large). Names sent
     * twice are never expired (planted copies; see `CookieStateStore.isTampered`).
     */
    const planEviction = (jar: CookieJar, name: string, token: string, now: number) =>
      Effect.gen(function*() {
        const isTx = (n: string) => n.startsWith(transactionPrefix) && n !== name
        const evict: Array<string> = []
        const live: Array<{ readonly name: string; readonly createdAt: number; readonly bytes: number }> = []
        for (const n of jar.names().filter(isTx)) {
          const raw = jar.get(n) ?? ""
          const found = jar.duplicated(n) ? Option.none() : yield* read(raw, now)
          if (Option.isSome(found)) {
            live.push({ name: n, createdAt: found.value.createdAt, bytes: CookieChunks.headerBytes([[n, raw]]) + 2 })
          } else if (!jar.duplicated(n)) {
            evict.push(n)
          }
        }
        live.sort((a, b) => a.createdAt - b.createdAt)
        let bytes = CookieChunks.headerBytes([
          ...sdkCookies(jar, budget.naming, (n) => isTx(n) || n === name),
          [name, token]
        ])
        const duplicatedBytes = jar.names().filter((n) => isTx(n) && jar.duplicated(n))
          .reduce((sum, n) => sum + CookieChunks.headerBytes([[n, jar.get(n) ?? ""]]) + 2, 0)
        bytes += duplicatedBytes + live.reduce((sum, tx) => sum + tx.bytes, 0)
        let kept = live.length
        for (const old of live) {
          if (kept < MAX_TRANSACTIONS && bytes <= budget.maxHeaderBytes) break
          evict.push(old.name)
          bytes -= old.bytes
          kept--
        }
        if (bytes > budget.maxHeaderBytes) return yield* overBudget("Starting this login or connect", bytes, budget)
        return evict
      })

    const get: TransactionStoreService["get"] = (state) =>
      Effect.gen(function*() {
        if (!STATE_PATTERN.test(state)) return Option.none()
        const jar = yield* RequestCookies
        const name = cookieName(state)
        const raw = jar.get(name)
        if (raw === undefined || jar.duplicated(name)) return Option.none()
        const found = Option.filter(
          yield* read(raw, yield* nowSeconds),
          // A valid transaction copied under another state's name is not that state's transaction.
          (transaction) => transaction.state === state
        )
        if (Option.isNone(found)) {
          jar.remove(name, cookie)
          return Option.none()
        }
        return found
      })

    const remove: TransactionStoreService["delete"] = (state) =>
      Effect.gen(function*() {
        if (!STATE_PATTERN.test(state)) return
        const jar = yield* RequestCookies
        const name = cookieName(state)
        if (jar.get(name) !== undefined && !jar.duplicated(name)) jar.remove(name, cookie)
      })

    return { set, get, delete: remove }
  }
)
