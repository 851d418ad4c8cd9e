/**
 * `pnpm bench`: times every case with tinybench, measures cold start in fresh processes, and
 * prints one markdown report, also written to results/latest.md.
 *
 * Environment: BENCH_TIME_MS (per task, default 1500), BENCH_COLD_RUNS (default 20).
 */
import { execSync } from "node:child_process"
import { readFileSync, mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { Bench } from "tinybench"
import { behaviour, type Case, cases, setup } from "./Cases.js"
import * as ColdStart from "./ColdStart.js"
import { nodeRequest, setCookies } from "./Fixtures.js"

const TIME_MS = Number(process.env["BENCH_TIME_MS"] ?? 1500)
const COLD_RUNS = Number(process.env["BENCH_COLD_RUNS"] ?? 20)

interface HotResult {
  readonly case: Case
  readonly opsPerSecond: number
  readonly meanMicros: number
  readonly p99Micros: number
  readonly rme: number
  readonly samples: number
}

const GROUP_TITLES: Record<Case["group"], string> = {
  read: "1. Read the session from a ~3 KB cookie",
  write: "2. Write the session (request already carries the cookie, as on a token refresh)",
  login: "3. startInteractiveLogin (discovery cached; PKCE, state, transaction cookie)",
  "bad-cookie": "5. A tampered session cookie"
}

const fixed = (value: number, digits: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const machine = (): string => {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8")
    } catch {
      return ""
    }
  })()
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown"
  const version = (name: string) => {
    try {
      return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")).version as string
    } catch {
      return "?"
    }
  }
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    } catch {
      return "?"
    }
  })()
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Node ${process.version} (${process.platform} ${process.arch}), CPU: ${model} × ${cpus().length}`,
    `- @auth0/auth0-server-js ${version("@auth0/auth0-server-js")}, effect ${version("effect")}, tinybench ${version("tinybench")}, commit ${commit}`,
    `- tinybench: ${TIME_MS} ms per task after ${Math.round(TIME_MS / 5)} ms warm-up; cold start: ${COLD_RUNS} interleaved runs per variant`
  ].join("\n")
}

const hotTable = (results: ReadonlyArray<HotResult>, group: Case["group"]): string => {
  const rows = results.filter((result) => result.case.group === group)
  const reference = rows.find((result) => result.case.sdk === "reference")
  const lines = [
    "| SDK | call | ops/s | mean µs | p99 µs | ±rme | vs reference |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  ]
  for (const row of rows) {
    const ratio = reference ? `${fixed(row.opsPerSecond / reference.opsPerSecond, 2)}×` : ""
    lines.push(
      `| ${row.case.sdk} | ${row.case.label} | ${fixed(row.opsPerSecond, 0)} | ${fixed(row.meanMicros, 1)} | ${fixed(row.p99Micros, 1)} | ${fixed(row.rme, 1)}% | ${ratio} |`
    )
  }
  return lines.join("\n")
}

const main = async () => {
  const started = performance.now()
  const ctx = await setup()
  const all = cases(ctx)
  const discoveryBefore = ctx.server.requests()

  const bench = new Bench({ time: TIME_MS, warmupTime: Math.round(TIME_MS / 5), throws: true })
  for (const item of all) bench.add(`${item.sdk}: ${item.label}`, item.run)
  process.stderr.write(`timing ${all.length} cases, ${TIME_MS} ms each...\n`)
  await bench.run()
  const hot: Array<HotResult> = bench.tasks.map((task, index) => {
    const result = task.result
    if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`)
    return {
      case: all[index]!,
      opsPerSecond: 1000 / result.latency.mean,
      meanMicros: result.latency.mean * 1000,
      p99Micros: result.latency.p99 * 1000,
      rme: result.latency.rme,
      samples: result.latency.samplesCount
    }
  })
  const discoveryDuringTiming = ctx.server.requests() - discoveryBefore

  // What a read answers besides the body: does it re-seal the cookie (Set-Cookie)?
  const probe = nodeRequest(ctx.oursCookie)
  await ctx.ours.getSession(probe)
  const oursReadWrites = setCookies(probe.res).length
  const probeFixed = nodeRequest(ctx.oursCookie)
  await ctx.oursFixed.getSession(probeFixed)
  const oursFixedReadWrites = setCookies(probeFixed.res).length
  const referenceProbe = nodeRequest(ctx.referenceCookie)
  await ctx.reference.client.getSession(referenceProbe)
  const referenceReadWrites = setCookies(referenceProbe.res).length

  const behaviourRows = await behaviour(ctx)
  await ctx.close()

  process.stderr.write(`cold start: ${COLD_RUNS} rounds...\n`)
  const cold = ColdStart.measure(ColdStart.variants({ ours: ctx.oursCookie, reference: ctx.referenceCookie }), COLD_RUNS)
  const baseline = cold[0]!

  const cookieSize = (header: string) => `${header.length} bytes in ${header.split("; ").length} cookie(s)`
  const report = [
    "# auth0-effect vs @auth0/auth0-server-js",
    "",
    machine(),
    "",
    `Session cookie as each SDK wrote the same session: ours ${cookieSize(ctx.oursCookie)}, ` +
    `reference ${cookieSize(ctx.referenceCookie)}. Every iteration builds a fresh \`node:http\` request/response pair.`,
    "",
    ...(["read", "write", "login", "bad-cookie"] as const).flatMap((group) => [`## ${GROUP_TITLES[group]}`, "", hotTable(hot, group), ""]),
    `Set-Cookie lines answered by one read: reference ${referenceReadWrites}, ours ${oursReadWrites} (default \`rolling: true\`: ` +
    `the cookie is re-sealed with a later expiry once at least a second has passed), ours with \`rolling: false\` ${oursFixedReadWrites}.`,
    `Discovery requests during timing: ${discoveryDuringTiming}.`,
    "",
    "## 4. Cold start (fresh `node` process, wall time)",
    "",
    "| variant | median ms | p90 ms | min ms | median − baseline |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...cold.map((row) =>
      `| ${row.label} | ${fixed(row.median, 0)} | ${fixed(row.p90, 0)} | ${fixed(row.min, 0)} | ${row === baseline ? "" : fixed(row.median - baseline.median, 0)} |`
    ),
    "",
    "## Cookies that are not a live session",
    "",
    "| cookie | reference getSession | ours getSession | ours expires the cookie |",
    "| --- | --- | --- | --- |",
    ...behaviourRows.map((row) => `| ${row.cookie} | ${row.reference} | ${row.ours} | ${row.oursClears ? "yes" : "no"} |`),
    "",
    `Total run: ${fixed((performance.now() - started) / 1000, 0)} s.`,
    ""
  ].join("\n")

  process.stdout.write(report)
  const dir = new URL("../results/", import.meta.url)
  mkdirSync(dir, { recursive: true })
  writeFileSync(new URL("latest.md", dir), report)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
