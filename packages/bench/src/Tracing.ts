/**
 * `BENCH_ONLY=tracing`: what tracing costs per request on the Node facade, for a session read and
 * a cached getAccessToken (the realistic MRRT session): off (the default, no `telemetry` option),
 * Effect's built-in tracer (spans made, nothing exported: what the facade did before tracing was
 * switched off by default), and on with `@auth0-effect/opentelemetry` into the OpenTelemetry SDK
 * (SimpleSpanProcessor into an InMemorySpanExporter, emptied as it goes).
 */
import { openTelemetry } from "@auth0-effect/opentelemetry"
import { ServerClient } from "@auth0-effect/node"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Layer from "effect/Layer"
import { Bench } from "tinybench"
import type { Context } from "./Cases.js"
import * as ColdStart from "./ColdStart.js"
import { nodeRequest } from "./Fixtures.js"
import { AUDIENCES } from "./Realistic.js"
import { oursOptions } from "./Subjects.js"

const fixed = (value: number, digits: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const measureTracing = async (ctx: Context, timeMs: number, rounds: number): Promise<string> => {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const clients = {
    off: ctx.ours,
    "Effect tracer, no export": new ServerClient({ ...oursOptions(ctx.server.port), telemetry: Layer.empty }),
    "OpenTelemetry, in-memory export": new ServerClient({ ...oursOptions(ctx.server.port), telemetry: openTelemetry({ tracerProvider }) })
  }
  const audience = AUDIENCES[1]
  let calls = 0
  const drain = () => {
    if (++calls % 2000 === 0) exporter.reset()
  }
  const cases = Object.entries(clients).flatMap(([mode, client]) => [
    { mode, call: "getSession", run: () => client.getSession(nodeRequest(ctx.oursCookie)).then(drain) },
    { mode, call: "getAccessToken (cached, realistic session)", run: () => client.getAccessToken({ audience }, nodeRequest(ctx.realistic.oursCookie)).then(drain) }
  ])
  // Each client once before timing, so the OTel span per flow is known to be there.
  for (const item of cases) await item.run()
  const spansPerCall = new Map<string, number>()
  for (const item of cases.filter((c) => c.mode.startsWith("OpenTelemetry"))) {
    exporter.reset()
    await item.run()
    spansPerCall.set(item.call, exporter.getFinishedSpans().length)
  }
  const means = new Map(cases.map((item) => [item, [] as Array<number>]))
  const perRound = Math.round(timeMs / rounds)
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(`tracing round ${round + 1}/${rounds}\n`)
    const order = ColdStart.shuffle(cases)
    const bench = new Bench({ time: perRound, warmupTime: Math.round(perRound / 4), throws: true })
    for (const item of order) bench.add(`${item.mode}: ${item.call}`, item.run)
    await bench.run()
    bench.tasks.forEach((task, index) => {
      if (task.result.state !== "completed") throw new Error(`${task.name}: ${task.result.state}`)
      means.get(order[index]!)!.push(task.result.latency.mean)
    })
  }
  const median = (item: (typeof cases)[number]) => ColdStart.quantile([...means.get(item)!].sort((a, b) => a - b), 0.5) * 1000
  const lines = [
    "## 7. Tracing: cost per request",
    "",
    "| call | tracing | mean µs | vs off | cost per request µs | spans per call |",
    "| --- | --- | ---: | ---: | ---: | ---: |"
  ]
  for (const call of [...new Set(cases.map((c) => c.call))]) {
    const off = median(cases.find((c) => c.call === call && c.mode === "off")!)
    for (const item of cases.filter((c) => c.call === call)) {
      const mean = median(item)
      lines.push(
        `| ${call} | ${item.mode} | ${fixed(mean, 1)} | ${fixed(mean / off, 2)}× | ${item.mode === "off" ? "" : fixed(mean - off, 1)} | ${item.mode.startsWith("OpenTelemetry") ? spansPerCall.get(call) ?? "" : ""} |`
      )
    }
  }
  await clients["Effect tracer, no export"].dispose()
  await clients["OpenTelemetry, in-memory export"].dispose()
  return lines.join("\n")
}
