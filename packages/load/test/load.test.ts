/**
 * A short soak run in the suite: 30 users for 10 s on two instances sharing one Redis (a single
 * node, stopped for 2 s mid-run, then a cluster), with rotation on and 3 s access tokens. Counts
 * only, no timings. On the single node, failed calls are counted outside the Redis outage
 * (which lasts until 2 s after Redis is back, see Report.RECONNECT_GRACE_MS).
 *
 * The forked instances run the built app (dist/App.js): `npx tsc -b tsconfig.json` first.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { type LoadReport, runLoad } from "../src/LoadRun.js"
import { toMarkdown } from "../src/Report.js"

const APP = fileURLToPath(new URL("../dist/App.js", import.meta.url))
const USERS = 30

const expectHealthy = (report: LoadReport, options: { readonly outage?: boolean } = {}) => {
  // Printed so that a failing run shows what it measured.
  console.log(toMarkdown(report))
  // Every user got through a few pages (a busy CI machine makes fewer in 10 s: not a speed check).
  expect(report.requests).toBeGreaterThan(USERS * 3)
  expect(report.failures).toEqual({})
  expect(report.failedCalls).toBe(0)
  expect(report.lostUsers).toEqual([])
  // No rotated-away refresh token was presented again (Auth0 would revoke the session's family).
  expect(report.refreshTokenReuses).toBe(0)
  // At most one refresh per session, audience and token lifetime; one Token Vault exchange per
  // session (its token outlives the run).
  expect(report.refresh.requests).toBeGreaterThan(0)
  expect(report.refresh.requests).toBeLessThanOrEqual(report.refresh.needed)
  expect(report.tokenVaultRequests).toBeLessThanOrEqual(USERS)
  // Every list call reaches the My Account API, except those the Redis outage stopped first.
  if (options.outage) expect(report.myAccountRequests).toBeGreaterThan(0)
  else expect(report.myAccountRequests).toBeGreaterThanOrEqual(report.accountListCalls)
}

describe("pnpm load, short", () => {
  it("the built app exists", () => {
    expect(existsSync(APP), `${APP} is missing: run npx tsc -b tsconfig.json`).toBe(true)
  })

  it("two instances on one Redis node, restarted mid-run: no failed calls, no lost sessions, no duplicate refreshes", async () => {
    const report = await runLoad({ users: USERS, seconds: 10, redis: "single", outage: { atSeconds: 4, downSeconds: 2 } })
    // While Redis is down calls fail as StoreError(unavailable), and none of them hangs.
    const outage = report.outage!
    expect(outage.calls).toBeGreaterThan(0)
    expect(Object.keys(outage.failures).filter((tag) => tag.startsWith("StoreError")).length).toBeGreaterThan(0)
    for (const tag of Object.keys(outage.failures).filter((tag) => tag.startsWith("StoreError"))) {
      expect(tag).toMatch(/^StoreError\(unavailable/)
    }
    expect(Object.keys(outage.failures)).not.toContain("Transport(TimeoutError)")
    // Every session in Redis when it stopped is there after the restart.
    expect(outage.sessionsBefore).toBe(USERS)
    expect(outage.sessionsMissingAfter).toBe(0)
    expectHealthy(report, { outage: true })
  })

  it("two instances on a Redis Cluster: no failed calls, no lost sessions, no duplicate refreshes", async () => {
    expectHealthy(await runLoad({ users: USERS, seconds: 10, redis: "cluster" }))
  })
})
