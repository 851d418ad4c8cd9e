/**
 * A short soak run in the suite: 30 users for 10 s on two instances sharing one Redis (a single
 * node, then a cluster), with rotation on and 3 s access tokens. Counts only, no timings.
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

const expectHealthy = (report: LoadReport) => {
  // Printed so that a failing run shows what it measured.
  console.log(toMarkdown(report))
  expect(report.requests).toBeGreaterThan(USERS * 10)
  expect(report.failures).toEqual({})
  expect(report.failedCalls).toBe(0)
  expect(report.lostUsers).toEqual([])
  // At most one refresh per session, audience and token lifetime; one Token Vault exchange per
  // session (its token outlives the run).
  expect(report.refresh.requests).toBeGreaterThan(0)
  expect(report.refresh.requests).toBeLessThanOrEqual(report.refresh.lifetimes)
  expect(report.tokenVaultRequests).toBeLessThanOrEqual(USERS)
  expect(report.myAccountRequests).toBeGreaterThanOrEqual(report.accountListCalls)
}

describe("pnpm load, short", () => {
  it("the built app exists", () => {
    expect(existsSync(APP), `${APP} is missing: run npx tsc -b tsconfig.json`).toBe(true)
  })

  it("two instances on one Redis node: no failed calls, no lost sessions, no duplicate refreshes", async () => {
    expectHealthy(await runLoad({ users: USERS, seconds: 10, redis: "single" }))
  })

  it("two instances on a Redis Cluster: no failed calls, no lost sessions, no duplicate refreshes", async () => {
    expectHealthy(await runLoad({ users: USERS, seconds: 10, redis: "cluster" }))
  })
})
