/**
 * docs/observability.md: the SDK's spans, metrics and logs exported to OpenTelemetry, from an
 * Effect program (`layer`) and from the Promise facade (`telemetry: openTelemetry(...)`).
 * The console exporters stand in for yours (OTLP, Jaeger, Prometheus...).
 */
import { AccessToken, Auth0, StateStore, TransactionStore } from "@auth0-effect/core"
import { ServerClient } from "@auth0-effect/node"
import { layer, openTelemetry } from "../src/index.js"
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const clientSecret = process.env["AUTH0_CLIENT_SECRET"] ?? ""
const secret = process.env["AUTH0_SECRET"] ?? ""

// The OpenTelemetry SDK, set up once for the app.
export const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(new ConsoleSpanExporter())]
})
export const metricReader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(),
  exportIntervalMillis: 60_000
})

// The Promise facade: spans and metrics only with the option; without it tracing is off.
export const auth0 = new ServerClient({
  domain: process.env["AUTH0_DOMAIN"] ?? "your-tenant.auth0.com",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret,
  secret,
  redirectUri: "http://localhost:3000/auth/callback",
  telemetry: openTelemetry({ tracerProvider, metricReader, secrets: [clientSecret, secret] })
})

// An Effect program: provide the layer once, at the edge, like any other.
export const Telemetry = layer({ tracerProvider, metricReader, serviceName: "my-app" })

export const AppLayer = Layer.mergeAll(StateStore.StateStore.cookie, TransactionStore.TransactionStore.cookie).pipe(
  Layer.provideMerge(Auth0.layer({
    domain: "your-tenant.auth0.com",
    clientId: "your-client-id",
    clientSecret,
    secret,
    redirectUri: "https://app.example.com/auth/callback"
  }))
)

export const itemsToken = AccessToken.getAccessToken({ audience: "https://api.example.com", scope: "read:items" }).pipe(
  Effect.withSpan("GET /items"),
  Effect.provide(AppLayer),
  Effect.provide(Telemetry)
)
