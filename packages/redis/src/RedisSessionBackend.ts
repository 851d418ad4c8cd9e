/**
 * A {@link SessionBackend.SessionBackend} on Redis, so that every instance of an app sees the
 * same sessions (and a back-channel logout received by one instance logs the user out of all).
 *
 * Key layout, with the default prefix `a0:`:
 *
 * - `a0:s:{id}`: the session as JSON, written with `SET ... EX ttl`.
 * - `a0:sid:{sid}`: a set of the session ids carrying that provider session id.
 * - `a0:sub:{sub}`: a set of the session ids of that user.
 *
 * An index set never expires before the entries it points to: each write raises its expiry to
 * at least the entry's TTL, in the same `MULTI` as the entry. Members can still outlive their
 * entry (the entry expired, or was rewritten with another `sid`); readers check every member
 * against the entry it names and drop the stale ones.
 *
 * @since 0.1.0
 */
import { Session, SessionBackend, StoreError } from "@auth0-effect/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Redis } from "ioredis"

/** Options of {@link make}. */
export interface MakeOptions {
  /** Prepended to every key this backend touches. Default `"a0:"`. */
  readonly keyPrefix?: string | undefined
  /**
   * Longest wait for one round trip to Redis before the operation fails with
   * `StoreError({ reason: "unavailable" })`. Default 1000.
   */
  readonly commandTimeoutMs?: number | undefined
}

/** Options of {@link layer}. */
export interface LayerOptions extends MakeOptions {
  /**
   * `redis://[:password@]host[:port][/db]` or `rediss://...` for TLS. Ignored when `client` is
   * given; without either, `redis://127.0.0.1:6379`.
   */
  readonly url?: string | undefined
  /**
   * A client the app owns and closes itself. Configure it to fail fast while disconnected
   * (`enableOfflineQueue: false`, see {@link clientOptions}); the backend bounds every call by
   * `commandTimeoutMs` either way.
   */
  readonly client?: Redis | undefined
}

export const DEFAULT_KEY_PREFIX = "a0:"
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000

/**
 * The ioredis options the layer uses for a client it creates: commands fail at once while the
 * connection is down instead of queueing (so a request never hangs on a dead Redis), while the
 * client keeps reconnecting in the background, at most a second apart.
 */
export const clientOptions = (commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS) => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: commandTimeoutMs,
  connectTimeout: Math.max(commandTimeoutMs, 1_000),
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000)
})

/** Raises every key's expiry to at least `ARGV[1]` seconds, never lowers it (like `EXPIRE GT`, on any Redis). */
const EXTEND_EXPIRY = `
local ttl = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
end
return 0`

/** Deletes `KEYS[1]` only while it still holds `ARGV[1]`, so a concurrent rewrite survives. */
const DELETE_IF_EQUAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

const decodeSession = Schema.decodeUnknownOption(Session.SessionData)
const encodeSession = Schema.encodeSync(Session.SessionData)

/** The stored JSON as session data; anything else (not JSON, not a session) is `None`. */
const parseEntry = (raw: string): Option.Option<Session.SessionData> => {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return Option.none()
  }
  return decodeSession(json)
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

type ExecResult = Array<[error: Error | null, result: unknown]> | null

/**
 * The backend over a client the caller wires and closes. Every Redis failure, closed connection
 * or timeout becomes `StoreError({ reason: "unavailable" })`.
 */
export const make = (client: Redis, options: MakeOptions = {}): SessionBackend.SessionBackendService => {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
  const timeout = Duration.millis(options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  const entryKey = (id: string) => `${prefix}s:${id}`
  const sidKey = (sid: string) => `${prefix}sid:${sid}`
  const subKey = (sub: string) => `${prefix}sub:${sub}`

  /** ioredis' own messages ("Stream isn't writeable ...") do not say the connection is down. */
  const connectionState = () => (client.status === "ready" ? "" : ` (connection ${client.status})`)

  /** One round trip, bounded by the timeout even when the client would queue or hang. */
  const call = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
    Effect.tryPromise({
      try: run,
      catch: (error) =>
        new StoreError({
          reason: "unavailable",
          message: `Redis ${operation} failed${connectionState()}: ${errorMessage(error)}`,
          cause: error
        })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new StoreError({
            reason: "unavailable",
            message: `Redis ${operation} failed: no reply within ${Duration.format(timeout)}`
          })
      })
    )

  /** `EXEC`'s replies; a command that failed inside the transaction fails the operation. */
  const exec = (operation: string, run: () => Promise<ExecResult>): Effect.Effect<Array<unknown>, StoreError> =>
    Effect.flatMap(call(operation, run), (results) => {
      if (results === null) {
        return new StoreError({ reason: "unavailable", message: `Redis ${operation} failed: transaction aborted` })
      }
      const failed = results.find(([error]) => error !== null)
      if (failed) {
        return new StoreError({
          reason: "unavailable",
          message: `Redis ${operation} failed: ${errorMessage(failed[0])}`,
          cause: failed[0]
        })
      }
      return Effect.succeed(results.map(([, result]) => result))
    })

  const indexKeysOf = (data: Session.SessionData): Array<string> =>
    data.internal.sid === undefined ? [subKey(data.user.sub)] : [sidKey(data.internal.sid), subKey(data.user.sub)]

  const get: SessionBackend.SessionBackendService["get"] = (id) =>
    Effect.gen(function*() {
      const key = entryKey(id)
      const raw = yield* call("GET", () => client.get(key))
      if (raw === null) return Option.none()
      const data = parseEntry(raw)
      if (Option.isNone(data)) {
        // Unreadable (another version's format, or tampered): treat as no session, and drop it.
        yield* call("DEL", () => client.eval(DELETE_IF_EQUAL, 1, key, raw))
      }
      return data
    })

  const remove: SessionBackend.SessionBackendService["delete"] = (id) =>
    Effect.gen(function*() {
      const key = entryKey(id)
      const raw = yield* call("GET", () => client.get(key))
      const data = raw === null ? Option.none() : parseEntry(raw)
      const transaction = client.multi().del(key)
      if (Option.isSome(data)) {
        for (const index of indexKeysOf(data.value)) transaction.srem(index, id)
      }
      yield* exec("DEL", () => transaction.exec())
    })

  /**
   * Writes the entry and its index memberships in one MULTI. `onlyIfExists` uses SET ... XX, so
   * a session deleted meanwhile stays deleted (index members may then point at nothing, which
   * every reader tolerates). Resolves with whether the entry was written.
   */
  const write = (id: string, data: Session.SessionData, ttlSeconds: number, onlyIfExists: boolean) =>
    Effect.gen(function*() {
      // SET EX takes whole positive seconds; a TTL that has already run out means "gone".
      const ttl = Math.ceil(ttlSeconds)
      if (!(ttl > 0)) {
        yield* remove(id)
        return false
      }
      const json = yield* Effect.try({
        try: () => JSON.stringify(encodeSession(data)),
        catch: (error) =>
          new StoreError({
            reason: "corrupt",
            message: `Session "${id}" cannot be stored as JSON: ${errorMessage(error)}`,
            cause: error
          })
      })
      const indexes = indexKeysOf(data)
      const transaction = onlyIfExists
        ? client.multi().set(entryKey(id), json, "EX", ttl, "XX")
        : client.multi().set(entryKey(id), json, "EX", ttl)
      for (const index of indexes) transaction.sadd(index, id)
      transaction.eval(EXTEND_EXPIRY, indexes.length, ...indexes, ttl)
      const replies = yield* exec("SET", () => transaction.exec())
      return replies[0] === "OK"
    })

  const set: SessionBackend.SessionBackendService["set"] = (id, data, ttlSeconds) =>
    Effect.asVoid(write(id, data, ttlSeconds, false))

  const replace: SessionBackend.SessionBackendService["replace"] = (id, data, ttlSeconds) =>
    write(id, data, ttlSeconds, true)

  const deleteByLogoutClaims: SessionBackend.SessionBackendService["deleteByLogoutClaims"] = (claims) =>
    Effect.gen(function*() {
      // The sid index is the narrower one; the sub index serves logouts that carry only `sub`.
      const index = claims.sid !== undefined
        ? { key: sidKey(claims.sid), stale: (data: Session.SessionData) => data.internal.sid !== claims.sid }
        : claims.sub !== undefined
        ? { key: subKey(claims.sub), stale: (data: Session.SessionData) => data.user.sub !== claims.sub }
        : undefined
      if (index === undefined) return 0
      const ids = yield* call("SMEMBERS", () => client.smembers(index.key))
      if (ids.length === 0) return 0
      const raws = yield* call("MGET", () => client.mget(ids.map(entryKey)))

      const transaction = client.multi()
      // Positions of the DELs among the transaction's replies.
      const deletions: Array<number> = []
      let queued = 0
      ids.forEach((id, i) => {
        const raw = raws[i] ?? null
        const data = raw === null ? Option.none() : parseEntry(raw)
        if (Option.isNone(data)) {
          // Expired (or unreadable): the member points at nothing a logout could match.
          if (raw !== null) {
            transaction.eval(DELETE_IF_EQUAL, 1, entryKey(id), raw)
            queued++
          }
          transaction.srem(index.key, id)
          queued++
        } else if (SessionBackend.matchesLogoutClaims(data.value, claims)) {
          deletions.push(queued)
          transaction.del(entryKey(id))
          queued++
          for (const key of indexKeysOf(data.value)) {
            transaction.srem(key, id)
            queued++
          }
        } else if (index.stale(data.value)) {
          // The session was rewritten with another sid/sub since it joined this index.
          transaction.srem(index.key, id)
          queued++
        }
        // Otherwise the sid matches but the sub does not: not ours to delete, and not stale.
      })
      if (queued === 0) return 0
      const results = yield* exec("DEL", () => transaction.exec())
      // Count what this call actually deleted: a concurrent logout may have got there first.
      return deletions.reduce((count, at) => count + (results[at] === 1 ? 1 : 0), 0)
    })

  const leaseKey = (key: string) => `${prefix}lease:${key}`
  const memoKey = (key: string) => `${prefix}kv:${key}`

  const acquireLease: SessionBackend.SessionBackendService["acquireLease"] = (key, leaseMs) =>
    Effect.gen(function*() {
      const token = Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
      const reply = yield* call("SET NX", () => client.set(leaseKey(key), token, "PX", Math.max(1, Math.ceil(leaseMs)), "NX"))
      return reply === "OK" ? Option.some(token) : Option.none()
    })

  const releaseLease: SessionBackend.SessionBackendService["releaseLease"] = (key, token) =>
    Effect.asVoid(call("DEL", () => client.eval(DELETE_IF_EQUAL, 1, leaseKey(key), token)))

  const remember: SessionBackend.SessionBackendService["remember"] = (key, value, ttlSeconds) =>
    Effect.map(
      call("SET NX", () => client.set(memoKey(key), value, "EX", Math.max(1, Math.ceil(ttlSeconds)), "NX")),
      (reply) => reply === "OK"
    )

  const recall: SessionBackend.SessionBackendService["recall"] = (key) =>
    Effect.map(call("GET", () => client.get(memoKey(key))), Option.fromNullable)

  return { get, set, replace, delete: remove, deleteByLogoutClaims, acquireLease, releaseLease, remember, recall }
}

/** Creates and connects a client with {@link clientOptions}; fails if Redis cannot be reached. */
const acquireClient = (url: string | undefined, commandTimeoutMs: number) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const options = { ...clientOptions(commandTimeoutMs), lazyConnect: true }
        const client = url === undefined ? new Redis(options) : new Redis(url, options)
        // Connection errors also reach callers as failed commands; without a listener ioredis
        // would print every reconnect attempt's error.
        client.on("error", () => {})
        return client
      },
      catch: (error) =>
        new StoreError({
          reason: "unavailable",
          message: `Cannot create a Redis client: ${errorMessage(error)}`,
          cause: error
        })
    }),
    (client) =>
      client.status === "ready"
        ? Effect.promise(() => client.quit().catch(() => undefined)).pipe(
          Effect.timeout(Duration.millis(commandTimeoutMs)),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => client.disconnect()))
        )
        : Effect.sync(() => client.disconnect())
  ).pipe(
    Effect.tap((client) =>
      Effect.tryPromise({
        try: () => client.connect(),
        catch: (error) =>
          new StoreError({
            reason: "unavailable",
            message: `Cannot connect to Redis: ${errorMessage(error)}`,
            cause: error
          })
      }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(Math.max(commandTimeoutMs, 1_000)),
          onTimeout: () => new StoreError({ reason: "unavailable", message: "Cannot connect to Redis: timed out" })
        })
      )
    )
  )

/**
 * The Redis session backend as a layer. Given `url`, it creates a client, connects it (the layer
 * fails with `StoreError` if Redis cannot be reached) and quits it when the layer's scope closes.
 * Given `client`, it uses it and leaves it open.
 *
 * @example
 * const backend = RedisSessionBackend.layer({ url: "redis://127.0.0.1:6379", keyPrefix: "myapp:" })
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<SessionBackend.SessionBackend, StoreError> =>
  Layer.scoped(
    SessionBackend.SessionBackend,
    Effect.gen(function*() {
      const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
      const client = options.client ?? (yield* acquireClient(options.url, commandTimeoutMs))
      return make(client, options)
    })
  )
