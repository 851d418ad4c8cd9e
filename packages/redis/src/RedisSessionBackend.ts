/**
 * A {@link SessionBackend.SessionBackend} on Redis, so that every instance of an app sees the
 * same sessions (and a back-channel logout received by one instance logs the user out of all).
 * It runs on one Redis server or on a Redis Cluster.
 *
 * Key layout, with the default prefix `a0:`:
 *
 * - `a0:s:<id>`: the session as JSON, written with `SET ... EX ttl`.
 * - `a0:sid:<sid>`: a set of the session ids carrying that provider session id.
 * - `a0:sub:<sub>`: a set of the session ids of that user.
 * - `a0:lease:<key>`, `a0:kv:<key>`: leases and remembered values (one key each).
 *
 * An index set never expires before the entries it points to: each write raises its expiry to
 * at least the entry's TTL. Members can still outlive their entry (the entry expired, or was
 * rewritten with another `sid`); readers check every member against the entry it names.
 *
 * Every command touches one key, or is one of the ordered multi-key writes below, which run as
 * one `MULTI` on a single server and as single-slot steps on a cluster (see `internal/steps.ts`):
 *
 * - write: add the id to its indexes (and extend them), then write the entry, then (cluster
 *   only) add it again. So a live entry is always in its indexes: a logout never misses it.
 * - delete: delete the entry, then its index memberships. In between, members point at nothing.
 * - logout: delete the matching entries, then their memberships; drop stale members, then read
 *   their entries once more and re-add any that a concurrent write has made current again.
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
import type { Cluster, ClusterNode, ClusterOptions, Redis } from "ioredis"
import {
  acquireClient,
  call as callOn,
  type Client,
  clientOptions,
  clusterOptions,
  DEFAULT_COMMAND_TIMEOUT_MS,
  errorMessage
} from "./internal/connection.js"
import { type Command, isCluster, readMany, type Step, transact } from "./internal/steps.js"

export { clientOptions, clusterOptions, DEFAULT_COMMAND_TIMEOUT_MS }

/** Options of {@link make}. */
export interface MakeOptions {
  /**
   * Prepended to every key this backend touches. Default `"a0:"`. On a cluster, keep hash tags
   * (`{...}`) out of it unless you want every key in one slot.
   */
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
   * `redis://[:password@]host[:port][/db]` or `rediss://...` for TLS. Ignored when `client` or
   * `cluster` is given; without any of them, `redis://127.0.0.1:6379`.
   */
  readonly url?: string | undefined
  /**
   * A Redis Cluster: its seed nodes (any reachable subset), and ioredis `Cluster` options laid
   * over {@link clusterOptions}. Ignored when `client` is given.
   */
  readonly cluster?: {
    readonly nodes: ReadonlyArray<ClusterNode>
    readonly options?: ClusterOptions | undefined
  } | undefined
  /**
   * A client the app owns and closes itself: a `Redis` or a `Cluster`. Configure it to fail fast
   * while disconnected (`enableOfflineQueue: false`, see {@link clientOptions} and
   * {@link clusterOptions}); the backend bounds every call by `commandTimeoutMs` either way.
   */
  readonly client?: Redis | Cluster | undefined
}

export const DEFAULT_KEY_PREFIX = "a0:"

/** Raises `KEYS[1]`'s expiry to at least `ARGV[1]` seconds, never lowers it (like `EXPIRE GT`, on any Redis). */
const EXTEND_EXPIRY = `
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
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

const parseRaw = (raw: string | null): Option.Option<Session.SessionData> =>
  raw === null ? Option.none() : parseEntry(raw)

/**
 * The backend over a client the caller wires and closes (a `Redis` or a `Cluster`). Every Redis
 * failure, closed connection or timeout becomes `StoreError({ reason: "unavailable" })`.
 */
export const make = (client: Redis | Cluster, options: MakeOptions = {}): SessionBackend.SessionBackendService => {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
  const timeout = Duration.millis(options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  const onCluster = isCluster(client)
  const entryKey = (id: string) => `${prefix}s:${id}`
  const sidKey = (sid: string) => `${prefix}sid:${sid}`
  const subKey = (sub: string) => `${prefix}sub:${sub}`

  const call = <A>(operation: string, run: () => Promise<A>) => callOn(client as Client, timeout, operation, run)

  const indexKeysOf = (data: Session.SessionData): Array<string> =>
    data.internal.sid === undefined ? [subKey(data.user.sub)] : [sidKey(data.internal.sid), subKey(data.user.sub)]

  /**
   * Adds `id` to one index and raises the index's expiry to at least `ttl` plus a second: on a
   * cluster the index is written a moment before the entry, and must still outlive it.
   */
  const joinIndex = (index: string, id: string, ttl: number): Step => [
    ["SADD", index, id],
    ["EVAL", EXTEND_EXPIRY, 1, index, ttl + 1]
  ]

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
      const data = parseRaw(yield* call("GET", () => client.get(key)))
      const leave = Option.match(data, {
        onNone: () => [],
        onSome: (data) => indexKeysOf(data).map((index): Step => [["SREM", index, id]])
      })
      yield* transact(client, timeout, "DEL", [[[["DEL", key]]], leave])
    })

  /**
   * Writes the entry and its index memberships. `onlyIfExists` uses SET ... XX, so a session
   * deleted meanwhile stays deleted (index members may then point at nothing, which every reader
   * tolerates). Resolves with whether the entry was written.
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
      const join = indexKeysOf(data).map((index) => joinIndex(index, id, ttl))
      const setEntry: Command = onlyIfExists
        ? ["SET", entryKey(id), json, "EX", ttl, "XX"]
        : ["SET", entryKey(id), json, "EX", ttl]
      const replies = yield* transact(client, timeout, "SET", [join, [[setEntry]]])
      const written = replies[1]?.[0]?.[0] === "OK"
      // A logout that ran between the two phases may have dropped a member whose entry it could
      // not see yet; joining again after the entry exists closes that window.
      if (written && onCluster) yield* transact(client, timeout, "SET", [join])
      return written
    })

  const set: SessionBackend.SessionBackendService["set"] = (id, data, ttlSeconds) =>
    Effect.asVoid(write(id, data, ttlSeconds, false))

  const replace: SessionBackend.SessionBackendService["replace"] = (id, data, ttlSeconds) =>
    write(id, data, ttlSeconds, true)

  const deleteByLogoutClaims: SessionBackend.SessionBackendService["deleteByLogoutClaims"] = (claims) =>
    Effect.gen(function*() {
      // The sid index is the narrower one; the sub index serves logouts that carry only `sub`.
      const index = claims.sid !== undefined
        ? { key: sidKey(claims.sid), current: (data: Session.SessionData) => data.internal.sid === claims.sid }
        : claims.sub !== undefined
        ? { key: subKey(claims.sub), current: (data: Session.SessionData) => data.user.sub === claims.sub }
        : undefined
      if (index === undefined) return 0
      const ids = yield* call("SMEMBERS", () => client.smembers(index.key))
      if (ids.length === 0) return 0
      const raws = yield* readMany(client, timeout, ids.map(entryKey))

      const entrySteps: Array<Step> = []
      const deletions: Array<number> = []
      const leaving = new Map<string, Array<string>>()
      const leave = (key: string, id: string) => leaving.set(key, [...(leaving.get(key) ?? []), id])
      const dropped: Array<string> = []
      ids.forEach((id, i) => {
        const raw = raws[i] ?? null
        const data = parseRaw(raw)
        if (Option.isNone(data)) {
          // Expired (or unreadable): the member points at nothing a logout could match.
          if (raw !== null) entrySteps.push([["EVAL", DELETE_IF_EQUAL, 1, entryKey(id), raw]])
          leave(index.key, id)
          dropped.push(id)
        } else if (SessionBackend.matchesLogoutClaims(data.value, claims)) {
          deletions.push(entrySteps.length)
          entrySteps.push([["DEL", entryKey(id)]])
          for (const key of indexKeysOf(data.value)) leave(key, id)
        } else if (!index.current(data.value)) {
          // The session was rewritten with another sid/sub since it joined this index.
          leave(index.key, id)
          dropped.push(id)
        }
        // Otherwise the sid matches but the sub does not: not ours to delete, and not stale.
      })
      const leaveSteps = Array.from(leaving, ([key, members]): Step => [["SREM", key, ...members]])
      const replies = yield* transact(client, timeout, "DEL", [entrySteps, leaveSteps])
      yield* rejoinCurrent(index, dropped)
      // Count what this call actually deleted: a concurrent logout may have got there first.
      return deletions.reduce((count, at) => count + (replies[0]?.[at]?.[0] === 1 ? 1 : 0), 0)
    })

  /**
   * A member dropped as stale may have become current meanwhile (its write was between its two
   * phases): read those entries again and put back the ones that now belong to the index.
   */
  const rejoinCurrent = (
    index: { readonly key: string; readonly current: (data: Session.SessionData) => boolean },
    dropped: ReadonlyArray<string>
  ) =>
    Effect.gen(function*() {
      if (dropped.length === 0) return
      const raws = yield* readMany(client, timeout, dropped.map(entryKey))
      const back = dropped.filter((_, i) => Option.exists(parseRaw(raws[i] ?? null), index.current))
      for (const id of back) {
        const ttl = yield* call("TTL", () => client.ttl(entryKey(id)))
        if (ttl > 0) yield* transact(client, timeout, "SADD", [[joinIndex(index.key, id, ttl)]])
      }
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

/**
 * The Redis session backend as a layer. Given `url` or `cluster`, it creates a client, connects
 * it (the layer fails with `StoreError` if Redis cannot be reached) and quits it when the layer's
 * scope closes. Given `client`, it uses it and leaves it open.
 *
 * @example
 * const backend = RedisSessionBackend.layer({ url: "redis://127.0.0.1:6379", keyPrefix: "myapp:" })
 * const onCluster = RedisSessionBackend.layer({ cluster: { nodes: [{ host: "10.0.0.1", port: 6379 }] } })
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<SessionBackend.SessionBackend, StoreError> =>
  Layer.scoped(
    SessionBackend.SessionBackend,
    Effect.gen(function*() {
      const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
      const client = options.client ?? (yield* acquireClient(
        options.cluster !== undefined
          ? { _tag: "cluster", nodes: options.cluster.nodes, options: options.cluster.options }
          : { _tag: "url", url: options.url },
        commandTimeoutMs
      ))
      return make(client, options)
    })
  )
