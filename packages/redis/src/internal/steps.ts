/**
 * Writes that touch several keys, as ordered single-slot steps.
 *
 * On Redis Cluster a `MULTI` (and a Lua script) may only touch keys of one hash slot, and a
 * session's entry, its `sid` index and its `sub` index hash to three different slots (a logout
 * finds the `sid` index by `sid` alone, a read finds the entry by id alone, so no hash tag can
 * bring them together). So every multi-key write is a list of phases; a phase is a list of
 * steps; a step is the commands on ONE key, sent as one `MULTI`.
 *
 * - On a single Redis, all phases go out as one `MULTI`: atomic, one round trip.
 * - On a cluster, the phases run one after the other and the steps of a phase side by side.
 *   Callers order the phases so that every moment in between is a state readers tolerate.
 */
import type { StoreError } from "@auth0-effect/core"
import { StoreError as StoreErrorClass } from "@auth0-effect/core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { Cluster } from "ioredis"
import { call, type Client, errorMessage } from "./connection.js"

/** One Redis command and its arguments, e.g. `["SADD", key, member]`. */
export type Command = readonly [name: string, ...args: Array<string | number>]

/** Commands on one key, sent as one `MULTI`. */
export type Step = ReadonlyArray<Command>

/** Steps that may run side by side; a later phase starts only once the earlier one succeeded. */
export type Phase = ReadonlyArray<Step>

type ExecResult = Array<[error: Error | null, result: unknown]> | null

export const isCluster = (client: Client): client is Cluster => client instanceof Cluster

const execOne = (
  client: Client,
  timeout: Duration.Duration,
  operation: string,
  commands: ReadonlyArray<Command>
): Effect.Effect<Array<unknown>, StoreError> =>
  Effect.flatMap(
    call(client, timeout, operation, (): Promise<ExecResult> => {
      const transaction = client.multi()
      for (const [name, ...args] of commands) transaction.call(name, ...args)
      return transaction.exec()
    }),
    (results) => {
      if (results === null) {
        return new StoreErrorClass({ reason: "unavailable", message: `Redis ${operation} failed: transaction aborted` })
      }
      const failed = results.find(([error]) => error !== null)
      if (failed) {
        return new StoreErrorClass({
          reason: "unavailable",
          message: `Redis ${operation} failed: ${errorMessage(failed[0])}`,
          cause: failed[0]
        })
      }
      return Effect.succeed(results.map(([, result]) => result))
    }
  )

/**
 * Runs the phases (see the module comment) and answers each step's replies, by phase and step.
 * A failure stops before the next phase, so what ran is always a prefix of the plan.
 */
export const transact = (
  client: Client,
  timeout: Duration.Duration,
  operation: string,
  phases: ReadonlyArray<Phase>
): Effect.Effect<Array<Array<Array<unknown>>>, StoreError> => {
  const nonEmpty = phases.map((phase) => phase.filter((step) => step.length > 0))
  if (nonEmpty.every((phase) => phase.length === 0)) return Effect.succeed(nonEmpty.map(() => []))
  if (!isCluster(client)) {
    return Effect.map(execOne(client, timeout, operation, nonEmpty.flat(2) as Array<Command>), (replies) => {
      let at = 0
      return nonEmpty.map((phase) =>
        phase.map((step) => {
          const mine = replies.slice(at, at + step.length)
          at += step.length
          return mine
        })
      )
    })
  }
  return Effect.forEach(
    nonEmpty,
    (phase) => Effect.forEach(phase, (step) => execOne(client, timeout, operation, step), { concurrency: "unbounded" })
  )
}

/**
 * The values of many keys, `null` where absent. One `MGET` on a single Redis; on a cluster, where
 * `MGET` across slots is refused, one `GET` per key, all sent at once.
 */
export const readMany = (
  client: Client,
  timeout: Duration.Duration,
  keys: ReadonlyArray<string>
): Effect.Effect<Array<string | null>, StoreError> =>
  keys.length === 0
    ? Effect.succeed([])
    : isCluster(client)
    ? Effect.forEach(keys, (key) => call(client, timeout, "GET", () => client.get(key)), { concurrency: "unbounded" })
    : call(client, timeout, "MGET", () => client.mget([...keys]))
