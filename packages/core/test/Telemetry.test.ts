/**
 * The redacting tracer and logger over a recording tracer and logger, the store instrumentation,
 * and the `flow` error count.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { AccessTokenError, TransportError } from "../src/Errors.js"
import * as Telemetry from "../src/Telemetry.js"

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2aWN0aW0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
const SECRET = "client-secret-known-1234"

interface Recorded {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
  exit?: Exit.Exit<unknown, unknown>
}

/** A tracer that records what reaches it, as an exporter would. */
const recordingTracer = () => {
  const spans: Array<Recorded> = []
  let n = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const recorded: Recorded = { name, attributes: new Map(), events: [] }
      spans.push(recorded)
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      return {
        _tag: "Span", name, spanId: `s${++n}`, traceId: "t", parent, context, links, sampled: true, kind,
        get status() { return status },
        attributes: recorded.attributes,
        attribute: (key, value) => void recorded.attributes.set(key, value),
        event: (eventName, _time, attributes) => void recorded.events.push({ name: eventName, attributes }),
        addLinks: () => undefined,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
          recorded.exit = exit
        }
      }
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const everything = (spans: ReadonlyArray<Recorded>) =>
  JSON.stringify(spans.map((s) => ({
    name: s.name,
    attributes: [...s.attributes],
    events: s.events,
    exit: s.exit && Exit.isFailure(s.exit) ? [Cause.pretty(s.exit.cause, { renderErrorCause: true }), String(Cause.squash(s.exit.cause))] : null
  })))

describe("redactingTracer", () => {
  it.effect("filters our spans' attributes, scrubs events and reduces a failure to its tag and message", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const failing = Effect.gen(function*() {
        yield* Effect.annotateCurrentSpan({ "auth0.audience": "https://api.example.com", "auth0.refresh_token": JWT, "url.path": "/cb?code=abc" })
        yield* Effect.logWarning(`refresh with ${JWT} and ${SECRET}`)
        return yield* new AccessTokenError({
          reason: "refresh_failed",
          message: `refused`,
          cause: { refreshToken: JWT, body: `client_secret=${SECRET}` }
        })
      }).pipe(Effect.withSpan("auth0.access_token.get"))
      const exit = yield* Effect.exit(failing.pipe(Effect.withTracer(Telemetry.redactingTracer(tracer, [SECRET]))))
      expect(Exit.isFailure(exit)).toBe(true)
      const [span] = spans
      expect(span?.name).toBe("auth0.access_token.get")
      expect(span?.attributes.get("auth0.audience")).toBe("https://api.example.com")
      expect(span?.attributes.has("auth0.refresh_token")).toBe(false)
      expect(span?.attributes.get("url.path")).toBe("/cb")
      expect(span?.attributes.get("error.type")).toBe("AccessTokenError")
      const text = everything(spans)
      expect(text).not.toContain(JWT)
      expect(text).not.toContain(SECRET)
      expect(text).toContain("AccessTokenError: refused")
      expect(span?.events.length).toBeGreaterThan(0)
    }))

  it.effect("keeps other spans' attributes, scrubbed, and the parent/child links", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      yield* Effect.annotateCurrentSpan("app.note", `token ${JWT}`).pipe(
        Effect.withSpan("auth0.http"),
        Effect.withSpan("GET /app"),
        Effect.withTracer(Telemetry.redactingTracer(tracer))
      )
      expect(spans.map((s) => s.name)).toEqual(["GET /app", "auth0.http"])
      expect(everything(spans)).not.toContain(JWT)
    }))
})

describe("redactingLogger", () => {
  it.effect("scrubs messages, annotations and causes", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ annotations, cause, message }) => {
        lines.push(JSON.stringify({ message, annotations: [...annotations], cause: Cause.pretty(cause, { renderErrorCause: true }) }))
      })
      yield* Effect.logError(`got ${JWT}`, `password=hunter2-long`).pipe(
        Effect.annotateLogs("token", JWT),
        Effect.annotateLogs("note", `uses ${SECRET}`)
      )
      yield* Effect.logError(Cause.fail(new TransportError({ method: "POST", url: "https://t/oauth/token", reason: "unreachable", message: "failed", cause: JWT })))
      expect(lines.length).toBe(0)
      const layer = Logger.replace(Logger.defaultLogger, Telemetry.redactingLogger(capture, [SECRET]))
      yield* Effect.logError(`got ${JWT}`, `password=hunter2-long`).pipe(
        Effect.annotateLogs("token", JWT),
        Effect.annotateLogs("note", `uses ${SECRET}`),
        Effect.provide(layer)
      )
      yield* Effect.logError("failed", Cause.fail(new TransportError({ method: "POST", url: "https://t/oauth/token", reason: "unreachable", message: "failed", cause: JWT }))).pipe(Effect.provide(layer))
      expect(lines).toHaveLength(2)
      for (const line of lines) {
        expect(line).not.toContain(JWT)
        expect(line).not.toContain(SECRET)
        expect(line).not.toContain("hunter2")
      }
      expect(lines[1]).toContain("TransportError")
    }))
})

describe("instrumentStore and flow", () => {
  it.effect("each store call is a span with the store and operation, timed; arguments are not recorded", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const store = Telemetry.instrumentStore("session", {
        get: Effect.succeed(Option.some(1)),
        set: (_data: string) => Effect.void,
        plain: 42
      })
      const before = (yield* Metric.value(Metric.tagged(Metric.tagged(Telemetry.storeLatency, "auth0.store", "session"), "auth0.store.operation", "set"))).count
      yield* Effect.zipRight(store.get, store.set(JWT)).pipe(Effect.withTracer(Telemetry.redactingTracer(tracer)))
      expect(store.plain).toBe(42)
      expect(spans.map((s) => [s.name, s.attributes.get("auth0.store"), s.attributes.get("auth0.store.operation")])).toEqual([
        ["auth0.store", "session", "get"],
        ["auth0.store", "session", "set"]
      ])
      expect(everything(spans)).not.toContain(JWT)
      const after = (yield* Metric.value(Metric.tagged(Metric.tagged(Telemetry.storeLatency, "auth0.store", "session"), "auth0.store.operation", "set"))).count
      expect(after - before).toBe(1)
    }))

  it.effect("a failure counts once in auth0.errors, even through nested flows", () =>
    Effect.gen(function*() {
      const counter = Metric.tagged(Telemetry.errors, "error.type", "AccessTokenError")
      const before = (yield* Metric.value(counter)).count
      const inner = Effect.fail(new AccessTokenError({ reason: "missing_refresh_token", message: "no" })).pipe(Telemetry.flow)
      yield* Effect.exit(inner.pipe(Telemetry.flow, Telemetry.flow))
      expect((yield* Metric.value(counter)).count - before).toBe(1)
    }))

  it.effect("with tracing disabled no tracer is asked for a span", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      yield* Effect.void.pipe(Effect.withSpan("auth0.x"), Effect.withTracer(tracer), Effect.withTracerEnabled(false))
      expect(spans).toEqual([])
      yield* Effect.void.pipe(Effect.withSpan("auth0.x"), Effect.provide(Layer.empty), Effect.withTracer(tracer))
      expect(spans).toHaveLength(1)
    }))
  it.effect("Telemetry.fn and Telemetry.span make the flow's span while enabled, and none while off", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const flow = Telemetry.fn("auth0.test.flow")(function*(n: number) {
        return yield* Effect.succeed(n + 1).pipe(Telemetry.span("auth0.test.inner"))
      }, Telemetry.flow)
      expect(yield* flow(1).pipe(Effect.withTracer(tracer))).toBe(2)
      expect(spans.map((s) => s.name)).toEqual(["auth0.test.flow", "auth0.test.inner"])
      // Off (what Telemetry.disabled sets for the facade): no span at all, even with a tracer that records.
      expect(yield* flow(2).pipe(Effect.withTracer(tracer), Effect.locally(Telemetry.enabled, false))).toBe(3)
      expect(spans).toHaveLength(2)
      // A failure still reaches the caller unchanged, and is on the flow's span while enabled.
      const failing = Telemetry.fn("auth0.test.failing")(function*() {
        return yield* new AccessTokenError({ reason: "missing_refresh_token", message: "no" })
      }, Telemetry.flow)
      const exit = yield* Effect.exit(failing().pipe(Effect.withTracer(tracer)))
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof AccessTokenError).toBe(true)
      expect(spans.map((s) => [s.name, s.attributes.get("error.type")]).at(-1)).toEqual(["auth0.test.failing", "AccessTokenError"])
    }))
  it.effect("an HTTP attempt is a client span with its status while enabled; off, only its latency sample", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const latency = Metric.tagged(Metric.tagged(Telemetry.tenantLatency, "url.path", "/oauth/token"), "http.request.method", "POST")
      const before = (yield* Metric.value(latency)).count
      const attempt = Effect.succeed({ status: 200 }).pipe(Telemetry.httpAttempt("POST", "https://tenant.example.com/oauth/token?x=1", 1))
      yield* attempt.pipe(Effect.withTracer(tracer))
      expect(spans.map((s) => [s.name, s.attributes.get("http.response.status_code"), s.attributes.get("url.path")])).toEqual([
        ["auth0.http", 200, "/oauth/token"]
      ])
      yield* attempt.pipe(Effect.withTracer(tracer), Effect.locally(Telemetry.enabled, false))
      expect(spans).toHaveLength(1)
      expect((yield* Metric.value(latency)).count - before).toBe(2)
    }))
})
