/**
 * The one place that talks to ioredis: client options, creating and closing a client (a single
 * `Redis` or a `Cluster`), and turning every round trip into an Effect that fails with
 * `StoreError({ reason: "unavailable" })` instead of throwing or hanging.
 */
import { StoreError } from "@auth0-effect/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { Cluster, type ClusterNode, type ClusterOptions, Redis } from "ioredis"

/** What the backend runs on: one Redis server, or a Redis Cluster. */
export type Client = Redis | Cluster

export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

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

/**
 * The same for a `Cluster`: no offline queue, per-node connections with the options above (the
 * cluster client owns their reconnection), and a topology refresh that retries at most a second
 * apart, so slots that failed over to a replica are found again without a restart.
 */
export const clusterOptions = (commandTimeoutMs: number = DEFAULT_COMMAND_TIMEOUT_MS): ClusterOptions => {
  const { retryStrategy: _retry, enableOfflineQueue: _queue, ...redisOptions } = clientOptions(commandTimeoutMs)
  return {
    enableOfflineQueue: false,
    redisOptions,
    // Redirections and CLUSTERDOWN retries stay inside one command timeout.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: Math.max(commandTimeoutMs, 1_000),
    slotsRefreshInterval: 2_000,
    clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000)
  }
}

/** ioredis' own messages ("Stream isn't writeable ...") do not say the connection is down. */
const connectionState = (client: Client) => (client.status === "ready" ? "" : ` (connection ${client.status})`)

/** One round trip, bounded by the timeout even when the client would queue or hang. */
export const call = <A>(
  client: Client,
  timeout: Duration.Duration,
  operation: string,
  run: () => Promise<A>
): Effect.Effect<A, StoreError> =>
  Effect.tryPromise({
    try: run,
    catch: (error) =>
      new StoreError({
        reason: "unavailable",
        message: `Redis ${operation} failed${connectionState(client)}: ${errorMessage(error)}`,
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

/** How to reach Redis when the layer creates the client. */
export type Target =
  | { readonly _tag: "url"; readonly url: string | undefined }
  | { readonly _tag: "cluster"; readonly nodes: ReadonlyArray<ClusterNode>; readonly options?: ClusterOptions | undefined }

const cannotConnect = (error: unknown) =>
  new StoreError({ reason: "unavailable", message: `Cannot connect to Redis: ${errorMessage(error)}`, cause: error })

/** Creates and connects a client; fails if Redis cannot be reached; quits it when the scope closes. */
export const acquireClient = (target: Target, commandTimeoutMs: number) =>
  Effect.acquireRelease(
    Effect.try({
      try: (): Client => {
        const client: Client = target._tag === "cluster"
          ? new Cluster([...target.nodes], { ...clusterOptions(commandTimeoutMs), ...target.options, lazyConnect: true })
          : target.url === undefined
          ? new Redis({ ...clientOptions(commandTimeoutMs), lazyConnect: true })
          : new Redis(target.url, { ...clientOptions(commandTimeoutMs), lazyConnect: true })
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
      Effect.tryPromise({ try: () => client.connect(), catch: cannotConnect }).pipe(
        Effect.timeoutFail({
          // A cluster client also reads the topology before it is ready.
          duration: Duration.millis(Math.max(commandTimeoutMs, 1_000) * (target._tag === "cluster" ? 3 : 1)),
          onTimeout: () => new StoreError({ reason: "unavailable", message: "Cannot connect to Redis: timed out" })
        })
      )
    )
  )
