/**
 * What a load run measured, and its Markdown form for docs/load.md. Pure: counts and
 * percentiles over the call records, the emulator's request counts and the instances' timings.
 */
import * as os from "node:os"
import type { Timings } from "./App.js"
import type { CallRecord } from "./VirtualUser.js"

/** Calls this long after Redis came back still count to the outage: the client reconnects within a second. */
export const RECONNECT_GRACE_MS = 2_000

/** Access tokens refreshed per session: API A, API B and the My Account API. */
export const REFRESHING_AUDIENCES = 3

export interface RunInput {
  readonly options: {
    readonly users: number
    readonly seconds: number
    readonly ttl: number
    readonly pageSize: number
    readonly thinkMs: readonly [number, number]
    readonly redis: "single" | "cluster"
    readonly outage?: { readonly atSeconds: number; readonly downSeconds: number } | undefined
  }
  readonly records: ReadonlyArray<CallRecord>
  readonly elapsedSeconds: number
  readonly counts: {
    readonly refresh: number
    readonly tokenVault: number
    readonly myAccount: number
    /** Rotated-away refresh tokens presented again (each revokes its family at Auth0). */
    readonly refreshTokenReuses: number
  }
  readonly timings: ReadonlyArray<Timings>
  readonly lost: ReadonlyArray<{ readonly user: number; readonly tag: string }>
  readonly outage: {
    readonly downAt: number | undefined
    readonly upAt: number | undefined
    readonly sessionsBefore: number
    readonly sessionsMissingAfter: number
  }
}

export interface LoadReport {
  readonly input: RunInput["options"]
  readonly machine: { readonly cpus: string; readonly memoryGiB: number; readonly node: string; readonly os: string }
  readonly elapsedSeconds: number
  /** SDK calls (every route but /raw). */
  readonly requests: number
  readonly rawRequests: number
  /** Failed SDK calls outside the Redis outage, by `tag` or `tag(reason)`. */
  readonly failures: Record<string, number>
  readonly failedCalls: number
  readonly lostSessions: number
  readonly lostUsers: ReadonlyArray<number>
  /** What the probe of each lost user answered first. */
  readonly lostBy: Record<string, number>
  readonly refresh: {
    readonly requests: number
    /** Token lifetimes that could have elapsed: users x audiences x (ceil(elapsed / shortest lifetime) + 1). */
    readonly lifetimes: number
    /**
     * Token lifetimes the users' calls needed: per user and refreshing audience, the lifetimes a
     * greedy cover of that user's call times takes (see {@link neededLifetimes}).
     */
    readonly needed: number
  }
  readonly myAccountRequests: number
  readonly accountListCalls: number
  readonly tokenVaultRequests: number
  /** Rotated-away refresh tokens the SDK presented again: Auth0 revokes the family for each. */
  readonly refreshTokenReuses: number
  readonly outage?: {
    readonly downSeconds: number
    readonly calls: number
    readonly failed: number
    readonly failures: Record<string, number>
    /** Slowest failed call while Redis was down, client side. */
    readonly slowestFailureMs: number
    /** From Redis being back to the start of the last call that still failed with StoreError (ms). */
    readonly lastStoreErrorAfterUpMs: number | undefined
    /** Session entries in Redis just before it stopped, and how many of them were gone after the restart. */
    readonly sessionsBefore: number
    readonly sessionsMissingAfter: number
  } | undefined
  /** Server-side time per request, by route (ms), and as the user saw it (with queueing). */
  readonly timing: Record<string, {
    readonly count: number
    readonly p50: number
    readonly p99: number
    readonly clientP50: number
    readonly clientP99: number
  }>
}

/** The route whose calls need an access token for one of the refreshing audiences. */
const AUDIENCE_OF: Record<string, string> = { "/token-a": "a", "/token-b": "b", "/accounts": "me" }

/**
 * How many token lifetimes of at least `lifetimeMs` it takes to cover calls starting at `times`
 * (sorted): a token obtained for the first call serves every call that starts within one lifetime
 * of it, the next call after that needs a new one. The number of refreshes an SDK that never
 * refreshes twice for one expiry sends, give or take a call queued across an expiry, which the
 * half-second margin the caller takes off the lifetime absorbs.
 */
export const neededLifetimes = (times: ReadonlyArray<number>, lifetimeMs: number): number => {
  let count = 0
  let coveredUntil = Number.NEGATIVE_INFINITY
  for (const at of times) {
    if (at >= coveredUntil) {
      count++
      coveredUntil = at + lifetimeMs
    }
  }
  return count
}

export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const label = (record: Pick<CallRecord, "tag" | "reason" | "detail">) =>
  `${record.tag ?? "?"}${record.reason ? `(${record.reason}${record.detail ? `: ${record.detail}` : ""})` : ""}`

const tally = (records: ReadonlyArray<CallRecord>) => {
  const out: Record<string, number> = {}
  for (const record of records) out[label(record)] = (out[label(record)] ?? 0) + 1
  return out
}

export const machine = () => {
  const cpus = os.cpus()
  return {
    cpus: `${cpus.length} x ${cpus[0]?.model ?? "unknown"}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.platform()} ${os.release()}`
  }
}

export const summarize = (input: RunInput): LoadReport => {
  const sdk = input.records.filter((record) => record.operation !== "/raw")
  const { downAt, upAt } = input.outage
  // A call belongs to the outage when it was running at any moment of it: one that started
  // before Redis stopped can still be waiting for its reply (or its next command) when it does.
  const inOutage = (record: CallRecord) =>
    downAt !== undefined && upAt !== undefined && record.at + record.durationMs >= downAt &&
    record.at <= upAt + RECONNECT_GRACE_MS
  const outside = sdk.filter((record) => !inOutage(record))
  const during = sdk.filter(inOutage)
  const failed = outside.filter((record) => !record.ok)
  const shortestLifetime = Math.max(1, input.options.ttl - 1)
  const merged: Record<string, Array<number>> = {}
  for (const timings of input.timings) {
    for (const [route, values] of Object.entries(timings)) (merged[route] ??= []).push(...values)
  }
  const timing: LoadReport["timing"] = {}
  for (const [route, values] of Object.entries(merged)) {
    const sorted = [...values].sort((a, b) => a - b)
    const seen = input.records.filter((r) => r.operation === route).map((r) => r.durationMs).sort((a, b) => a - b)
    timing[route] = {
      count: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      clientP50: percentile(seen, 50),
      clientP99: percentile(seen, 99)
    }
  }
  const lostBy: Record<string, number> = {}
  for (const { tag } of input.lost) lostBy[tag] = (lostBy[tag] ?? 0) + 1
  const failedDuring = during.filter((record) => !record.ok)
  const callsByToken = new Map<string, Array<number>>()
  for (const record of sdk) {
    const audience = AUDIENCE_OF[record.operation]
    if (audience === undefined) continue
    const key = `${record.user} ${audience}`
    callsByToken.set(key, [...(callsByToken.get(key) ?? []), record.at])
  }
  const needed = Array.from(callsByToken.values()).reduce(
    (sum, times) => sum + neededLifetimes([...times].sort((a, b) => a - b), shortestLifetime * 1_000 - 500),
    0
  )
  return {
    input: input.options,
    machine: machine(),
    elapsedSeconds: input.elapsedSeconds,
    requests: sdk.length,
    rawRequests: input.records.length - sdk.length,
    failures: tally(failed),
    failedCalls: failed.length,
    lostSessions: input.lost.length,
    lostUsers: input.lost.map(({ user }) => user),
    lostBy,
    refresh: {
      requests: input.counts.refresh,
      lifetimes: input.options.users * REFRESHING_AUDIENCES *
        (Math.ceil(input.elapsedSeconds / shortestLifetime) + 1),
      needed
    },
    myAccountRequests: input.counts.myAccount,
    accountListCalls: sdk.filter((record) => record.operation === "/accounts").length,
    tokenVaultRequests: input.counts.tokenVault,
    refreshTokenReuses: input.counts.refreshTokenReuses,
    outage: downAt !== undefined && upAt !== undefined
      ? {
        downSeconds: (upAt - downAt) / 1_000,
        calls: during.length,
        failed: failedDuring.length,
        failures: tally(failedDuring),
        slowestFailureMs: Math.max(0, ...failedDuring.filter((r) => r.at <= upAt).map((r) => r.durationMs)),
        lastStoreErrorAfterUpMs: (() => {
          const late = sdk.filter((r) => !r.ok && r.tag === "StoreError" && r.at > upAt).map((r) => r.at - upAt)
          return late.length === 0 ? undefined : Math.max(...late)
        })(),
        sessionsBefore: input.outage.sessionsBefore,
        sessionsMissingAfter: input.outage.sessionsMissingAfter
      }
      : undefined,
    timing
  }
}

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? "-" : value.toFixed(1))

const list = (counts: Record<string, number>) =>
  Object.keys(counts).length === 0
    ? "none"
    : Object.entries(counts).sort(([, a], [, b]) => b - a).map(([tag, n]) => `${tag}: ${n}`).join(", ")

/** One run as a Markdown section. */
export const toMarkdown = (report: LoadReport): string => {
  const o = report.input
  const lines = [
    `### Redis ${o.redis === "single" ? "single node" : "Cluster (3 masters)"}`,
    "",
    `${o.users} users, ${o.seconds} s, access tokens live ${o.ttl} s, rotation on, 2 instances, ` +
    `pages of ${o.pageSize} parallel SDK requests (+1 raw) every ${o.thinkMs[0]}-${o.thinkMs[1]} ms` +
    (o.outage ? `, Redis stopped at ${o.outage.atSeconds} s for ${o.outage.downSeconds} s.` : "."),
    "",
    "| measure | value |",
    "| --- | --- |",
    `| SDK requests (raw requests) | ${report.requests} (${report.rawRequests}) in ${report.elapsedSeconds.toFixed(1)} s |`,
    `| failed calls${report.outage ? " outside the outage" : ""} | ${report.failedCalls} |`,
    `| failures by error tag | ${list(report.failures)} |`,
    `| sessions lost (calls stopped working, probed on both instances after the run) | ${report.lostSessions} of ${o.users}${report.lostSessions > 0 ? ` (${list(report.lostBy)})` : ""} |`,
    `| refresh requests / token lifetimes the calls needed (most that could elapse) | ${report.refresh.requests} / ${report.refresh.needed} (${report.refresh.lifetimes}) |`,
    `| My Account API requests (list calls) | ${report.myAccountRequests} (${report.accountListCalls}) |`,
    `| Token Vault exchanges | ${report.tokenVaultRequests} |`,
    `| rotated-away refresh tokens presented again (each revokes a family at Auth0) | ${report.refreshTokenReuses} |`
  ]
  if (report.outage) {
    const out = report.outage
    lines.push(
      `| Redis down | ${out.downSeconds.toFixed(1)} s: ${out.calls} calls (incl. ${RECONNECT_GRACE_MS / 1_000} s after), ${out.failed} failed: ${list(out.failures)}; slowest failure ${ms(out.slowestFailureMs)} ms |`,
      `| last StoreError after Redis was back | ${out.lastStoreErrorAfterUpMs === undefined ? "none" : `${ms(out.lastStoreErrorAfterUpMs)} ms after`} |`,
      `| sessions in Redis when it stopped / gone after the restart | ${out.sessionsBefore} / ${out.sessionsMissingAfter} |`
    )
  }
  lines.push(
    "",
    "Time per request (ms): in the handler (both instances), and as the user saw it (with queueing):",
    "",
    "| route | requests | handler p50 | handler p99 | user p50 | user p99 |",
    "| --- | --- | --- | --- | --- | --- |"
  )
  for (const [route, t] of Object.entries(report.timing).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| \`${route}\` | ${t.count} | ${ms(t.p50)} | ${ms(t.p99)} | ${ms(t.clientP50)} | ${ms(t.clientP99)} |`)
  }
  return lines.join("\n")
}

export const machineMarkdown = (m: LoadReport["machine"]) =>
  `Machine: ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}.`
