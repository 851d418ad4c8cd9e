/**
 * `pnpm bench`: times every case with tinybench, measures cold start in fresh processes, and
 * prints one markdown report, also written to results/latest.md.
 *
 * Environment: BENCH_TIME_MS (per case over all rounds, default 3000), BENCH_COLD_RUNS (default 20;
 * 0 skips cold start), BENCH_ONLY (time only the groups whose name starts with it, e.g. `mrrt`).
 */
import { execSync } from "node:child_process"
import { readFileSync, mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { Bench } from "tinybench"
import { behaviour, type Case, cases, setup } from "./Cases.js"
import * as ColdStart from "./ColdStart.js"
import { nodeRequest, setCookies } from "./Fixtures.js"
import { measureTracing } from "./Tracing.js"

const TIME_MS = Number(process.env["BENCH_TIME_MS"] ?? 3000)
const COLD_RUNS = Number(process.env["BENCH_COLD_RUNS"] ?? 20)
const ONLY = process.env["BENCH_ONLY"] ?? ""
const ROUNDS = 5

interface HotResult {
  readonly case: Case
  readonly opsPerSecond: number
  readonly meanMicros: number
  readonly p99Micros: number
  /** (slowest − fastest round mean) / median round mean, in percent. */
  readonly spread: number
  readonly samples: number
}

const GROUP_TITLES: Record<Case["group"], string> = {
  read: "1. Read the session from a ~3 KB cookie",
  write: "2. Write the session (request already carries the cookie, as on a token refresh)",
  login: "3. startInteractiveLogin (discovery cached; PKCE, state, transaction cookie)",
  "bad-cookie": "5. A tampered session cookie",
  "mrrt-read": "6a. Read the realistic MRRT session",
  "mrrt-write": "6b. Write the realistic MRRT session",
  "mrrt-token": "6c. Cached getAccessToken from the realistic MRRT session"
}

const fixed = (value: number, digits: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const machine = (load: ReadonlyArray<number>): string => {
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
    `- tinybench: ${ROUNDS} rounds × ${Math.round(TIME_MS / ROUNDS)} ms per case (shuffled order each round, median round reported); ` +
    `cold start: ${COLD_RUNS} interleaved runs per variant`,
    `- Load average when the run started: ${load.map((n) => n.toFixed(2)).join(", ")}`
  ].join("\n")
}

const hotTable = (results: ReadonlyArray<HotResult>, group: Case["group"]): string => {
  const rows = results.filter((result) => result.case.group === group)
  const reference = rows.find((result) => result.case.sdk === "reference")
  const floor = rows.find((result) => result.case.sdk === "floor")
  const lines = [
    `| SDK | call | ops/s | mean µs | p99 µs | round spread | vs reference |${floor ? " time vs floor |" : ""}`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: |${floor ? " ---: |" : ""}`
  ]
  for (const row of rows) {
    const ratio = reference ? `${fixed(row.opsPerSecond / reference.opsPerSecond, 2)}×` : ""
    const overFloor = floor ? ` ${fixed(row.meanMicros / floor.meanMicros, 2)}× |` : ""
    lines.push(
      `| ${row.case.sdk} | ${row.case.label} | ${fixed(row.opsPerSecond, 0)} | ${fixed(row.meanMicros, 1)} | ${fixed(row.p99Micros, 1)} | ${fixed(row.spread, 0)}% | ${ratio} |${overFloor}`
    )
  }
  return lines.join("\n")
}

const main = async () => {
  const started = performance.now()
  const load = loadavg()
  const ctx = await setup()
  if (ONLY === "tracing") {
    const section = await measureTracing(ctx, TIME_MS, ROUNDS)
    await ctx.close()
    process.stdout.write(`${machine(load)}\n\n${section}\n`)
    return
  }
  const all = cases(ctx).filter((item) => item.group.startsWith(ONLY))
  const discoveryBefore = ctx.server.requests()

  // Rounds of every case in a new random order each, so a burst of load on a shared machine
  // hits all subjects alike; each figure is the median over the rounds.
  const perRound = Math.round(TIME_MS / ROUNDS)
  const rounds = new Map<Case, Array<{ mean: number; p99: number; samples: number }>>(all.map((item) => [item, []]))
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${all.length} cases, ${perRound} ms each\n`)
    const order = ColdStart.shuffle(all)
    const bench = new Bench({ time: perRound, warmupTime: Math.round(perRound / 4), throws: true })
    for (const item of order) bench.add(`${item.group} ${item.sdk}: ${item.label}`, item.run)
    await bench.run()
    bench.tasks.forEach((task, index) => {
      const result = task.result
      if (result.state !== "completed") throw new Error(`${task.name}: ${result.state}`)
      rounds.get(order[index]!)!.push({ mean: result.latency.mean, p99: result.latency.p99, samples: result.latency.samplesCount })
    })
  }
  const hot: Array<HotResult> = all.map((item) => {
    const means = rounds.get(item)!.map((r) => r.mean).sort((a, b) => a - b)
    const p99s = rounds.get(item)!.map((r) => r.p99).sort((a, b) => a - b)
    const mean = ColdStart.quantile(means, 0.5)
    return {
      case: item,
      opsPerSecond: 1000 / mean,
      meanMicros: mean * 1000,
      p99Micros: ColdStart.quantile(p99s, 0.5) * 1000,
      spread: ((means[means.length - 1]! - means[0]!) / mean) * 100,
      samples: rounds.get(item)!.reduce((sum, r) => sum + r.samples, 0)
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
  const bundles = COLD_RUNS > 0 ? await ColdStart.buildBundles() : undefined
  const cold = COLD_RUNS > 0
    ? ColdStart.measure(ColdStart.variants({ ours: ctx.oursCookie, reference: ctx.referenceCookie }, bundles), COLD_RUNS)
    : []
  const baseline = cold[0]
  const realistic = ctx.realistic
  const has = (group: Case["group"]) => hot.some((result) => result.case.group === group)

  const cookieSize = (header: string) => `${header.length} bytes in ${header.split("; ").length} cookie(s)`
  const report = [
    "# auth0-effect vs @auth0/auth0-server-js",
    "",
    machine(load),
    "",
    `Session cookie as each SDK wrote the same session: ours ${cookieSize(ctx.oursCookie)}, ` +
    `reference ${cookieSize(ctx.referenceCookie)}. Every iteration builds a fresh \`node:http\` request/response pair.`,
    "",
    ...(["read", "write", "login"] as const).filter(has).flatMap((group) => [
      `## ${GROUP_TITLES[group]}`,
      "",
      hotTable(hot, group),
      "",
      ...(group === "read"
        ? [
          `Set-Cookie lines answered by one read: reference ${referenceReadWrites}, ours ${oursReadWrites} (default \`rolling: true\`: ` +
          `the cookie is re-sealed with a later expiry once that gains at least 1/100 of the inactivity period, about 14 min by default), ours with \`rolling: false\` ${oursFixedReadWrites}.`,
          ""
        ]
        : []),
      ...(group === "login" ? [`Discovery requests during timing: ${discoveryDuringTiming}.`, ""] : [])
    ]),
    "## 4. Cold start (fresh `node` process, wall time)",
    "",
    "| variant | median ms | p90 ms | min ms | median − baseline |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...cold.map((row) =>
      `| ${row.label} | ${fixed(row.median, 0)} | ${fixed(row.p90, 0)} | ${fixed(row.min, 0)} | ${row === baseline || baseline === undefined ? "" : fixed(row.median - baseline.median, 0)} |`
    ),
    "",
    ...(has("bad-cookie") ? [`## ${GROUP_TITLES["bad-cookie"]}`, "", hotTable(hot, "bad-cookie"), ""] : []),
    "What each SDK answers for cookies that are not a live session:",
    "",
    "| cookie | reference getSession | ours getSession | ours expires the cookie |",
    "| --- | --- | --- | --- |",
    ...behaviourRows.map((row) => `| ${row.cookie} | ${row.reference} | ${row.ours} | ${row.oursClears ? "yes" : "no"} |`),
    "",
    "## 6. The realistic MRRT session (10 claims, ID token, refresh token, 3 access tokens, 1 connection token)",
    "",
    `Its JSON is ${realistic.floor.plaintextBytes} bytes. Cookie header bytes for it: ours ${cookieSize(realistic.oursCookie)}, ` +
    `reference ${cookieSize(realistic.referenceCookie)}: ${fixed(realistic.oursCookie.length / realistic.referenceCookie.length, 2)}× ` +
    `the reference; the floor's bare JWE is ${realistic.floor.token.length} characters. \`time vs floor\` is mean time over the floor's mean time.`,
    "",
    ...(["mrrt-read", "mrrt-write", "mrrt-token"] as const).filter(has).flatMap((group) => [
      `### ${GROUP_TITLES[group]}`,
      "",
      hotTable(hot, group),
      ""
    ]),
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
