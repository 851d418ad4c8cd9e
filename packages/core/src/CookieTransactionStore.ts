/**
 * Login and connect transactions in cookies, one per transaction: `__a0_tx.${state}` holds the
 * transaction encrypted with {@link SessionCrypto}. Keying the cookie name by `state` lets flows
 * started in several tabs wait side by side; each is removed once its callback is handled.
 *
 * The cookie is `SameSite=Lax` whatever the session cookie uses: the callback is a top-level GET
 * from the identity provider's site, which `Strict` would strip the cookie from, and nothing
 * here needs `None`. It is `HttpOnly`, `Secure` unless `cookie.secure` is false, scoped by
 * `cookie.path` / `cookie.domain`, and lives {@link TRANSACTION_TTL_SECONDS} (its `Max-Age`,
 * and an expiry sealed into the token, so a replayed old cookie is refused as well).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Auth0Config } from "./Auth0Config.js"
import * as CookieChunks from "./CookieChunks.js"
import { nowSeconds } from "./CookieStateStore.js"
import { StoreError } from "./Errors.js"
import { type CookieJar, type CookieOptions, RequestCookies } from "./RequestCookies.js"
import { Transaction } from "./Session.js"
import { SessionCrypto } from "./SessionCrypto.js"
import { isExpired, TRANSACTION_TTL_SECONDS, type TransactionStoreService } from "./TransactionStore.js"

/** Prefix of every transaction cookie's name. */
export const TRANSACTION_COOKIE_PREFIX = "__a0_tx."

/**
 * States this store accepts: base64url, as the SDK generates them. Such a state is a valid cookie
 * name token (RFC 6265 §4.1.1 / RFC 2616 §2.2), so it can go straight into the name.
 */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{1,256}$/

/** The cookie that holds the transaction for `state`. */
export const transactionCookieName = (state: string): string => `${TRANSACTION_COOKIE_PREFIX}${state}`

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
    const { secure, path, domain } = config.options.cookie
    const cookie: CookieOptions = { httpOnly: true, secure, sameSite: "lax", path, domain }

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
        const name = transactionCookieName(transaction.state)
        yield* evictOldest(jar, name, now)
        const options = { ...cookie, maxAge: expiresAt - now }
        // One cookie per transaction: a transaction needing chunks is far outside what flows write.
        const [only] = yield* CookieChunks.split(name, token, options, { maxChunks: 1 })
        jar.set(only!.name, only!.value, options)
      })

    /** The live transaction a cookie value holds: ours, decodable and not expired. */
    const read = (raw: string, now: number) =>
      Effect.map(
        crypto.decrypt(raw),
        (payload) => Option.filter(Option.flatMap(payload, decodeTransaction), (transaction) => !isExpired(transaction, now))
      )

    /**
     * Makes room for one more transaction: drops unreadable or expired transaction cookies, then
     * the oldest ones until fewer than {@link MAX_TRANSACTIONS} remain.
     */
    const evictOldest = (jar: CookieJar, keep: string, now: number) =>
      Effect.gen(function*() {
        const names = jar.names().filter((n) => n.startsWith(TRANSACTION_COOKIE_PREFIX) && n !== keep)
        if (names.length < MAX_TRANSACTIONS) return
        const live: Array<{ readonly name: string; readonly createdAt: number }> = []
        for (const n of names) {
          const found = yield* read(jar.get(n) ?? "", now)
          if (Option.isNone(found)) jar.remove(n, cookie)
          else live.push({ name: n, createdAt: found.value.createdAt })
        }
        live.sort((a, b) => a.createdAt - b.createdAt)
        for (const old of live.slice(0, Math.max(0, live.length - (MAX_TRANSACTIONS - 1)))) jar.remove(old.name, cookie)
      })

    const get: TransactionStoreService["get"] = (state) =>
      Effect.gen(function*() {
        if (!STATE_PATTERN.test(state)) return Option.none()
        const jar = yield* RequestCookies
        const name = transactionCookieName(state)
        const raw = jar.get(name)
        if (raw === undefined) return Option.none()
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
        const name = transactionCookieName(state)
        if (jar.get(name) !== undefined) jar.remove(name, cookie)
      })

    return { set, get, delete: remove }
  }
)
