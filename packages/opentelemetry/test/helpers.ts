/** A Web-standard facade over the emulator with the real OpenTelemetry SDK behind it, and a browser's cookie jar. */
import type { EmulatorOptions } from "@auth0-effect/testing"
import { BaseServerClient, type ServerClientOptions } from "@auth0-effect/core/ServerClient"
import { webServerClientAdapter, type WebStoreOptions } from "@auth0-effect/core/WebCookies"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, BasicTracerProvider } from "@opentelemetry/sdk-trace-base"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"

export const APP = "http://127.0.0.1:3998"
export const APP_CALLBACK = `${APP}/callback`
export const API = "https://api.example.com"
export const CLIENT_SECRET = "otel-client-secret-0123456789abcdef"
export const MY_ACCOUNT_SCOPES = ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]

/** The tenant both suites run against: one API, and the app with refresh policies for it and for My Account. */
export const tenantOptions = (): EmulatorOptions => ({
  apis: [{ audience: API, scopes: ["read:items"] }],
  clients: [{
    clientId: "app",
    clientSecret: CLIENT_SECRET,
    redirectUris: [APP_CALLBACK],
    postLogoutRedirectUris: [`${APP}/`],
    refreshTokenPolicies: [{ audience: API, scopes: ["read:items"] }, { audience: "{origin}/me/", scopes: MY_ACCOUNT_SCOPES }]
  }]
})

export class WebClient extends BaseServerClient<WebStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, webServerClientAdapter)
  }
}

/** A browser: each call gets a fresh Request carrying the cookies, and keeps what the response set. */
export const makeBrowser = () => {
  const cookies = new Map<string, string>()
  const call = async <A>(f: (options: WebStoreOptions) => Promise<A>): Promise<A> => {
    const options: WebStoreOptions = {
      request: new Request(APP, { headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } }),
      headers: new Headers()
    }
    try {
      return await f(options)
    } finally {
      for (const line of options.headers.getSetCookie()) {
        const [pair = ""] = line.split(";")
        const eq = pair.indexOf("=")
        if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
        else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
    }
  }
  return { cookies, call }
}

/** The OpenTelemetry SDK as an app sets it up: spans to an in-memory exporter, metrics to an in-memory reader. */
export const makeOtel = () => {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
  return { exporter, tracerProvider, metricExporter, metricReader }
}

/** The spans of one trace, as `name` lines indented under their parent, in start order. */
export const tree = (spans: ReadonlyArray<ReadableSpan>, only: (span: ReadableSpan) => boolean = () => true): Array<string> => {
  const kept = spans.filter(only)
  const ids = new Set(kept.map((s) => s.spanContext().spanId))
  const byStart = [...kept].sort((a, b) => (a.startTime[0] - b.startTime[0]) || (a.startTime[1] - b.startTime[1]))
  const children = (parent: string | undefined) =>
    byStart.filter((s) => {
      const p = s.parentSpanContext?.spanId
      return parent === undefined ? p === undefined || !ids.has(p) : p === parent
    })
  const out: Array<string> = []
  const walk = (span: ReadableSpan, depth: number) => {
    out.push(`${"  ".repeat(depth)}${span.name}`)
    for (const child of children(span.spanContext().spanId)) walk(child, depth + 1)
  }
  for (const root of children(undefined)) walk(root, 0)
  return out
}

/** Our spans, without the store calls (they have their own test). */
export const flowSpans = (span: ReadableSpan) => span.name.startsWith("auth0.") && span.name !== "auth0.store"
