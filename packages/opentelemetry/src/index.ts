/**
 * OpenTelemetry export for @auth0-effect: the SDK's spans to a `TracerProvider`, its metrics to
 * a `MetricReader`, its logs (redacted) to a `LoggerProvider` or to Effect's logger. Everything
 * passes the redaction of `@auth0-effect/core/Telemetry` first, so no token, code, secret or
 * cookie value reaches an exporter.
 *
 * @since 0.1.0
 */
import * as Telemetry from "@auth0-effect/core/Telemetry"
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import * as OtelApi from "@opentelemetry/api"
import type * as OtelLogs from "@opentelemetry/api-logs"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

export interface OpenTelemetryOptions {
  /** Where spans go; default: the global provider (`trace.getTracerProvider()`) when the layer is built. */
  readonly tracerProvider?: OtelApi.TracerProvider | undefined
  /** Where metrics go; without one, metrics stay in Effect's registry. */
  readonly metricReader?: MetricReader | NonEmptyReadonlyArray<MetricReader> | undefined
  /** Where log records go, besides Effect's own logger (which is redacted too). */
  readonly loggerProvider?: OtelLogs.LoggerProvider | undefined
  /** The `service.name` of the resource and the tracer's name; default `auth0-effect`. */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** Values to redact wherever they appear (the client secret, the session secret...). */
  readonly secrets?: ReadonlyArray<string> | undefined
}

const SEVERITY: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 }

const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value) ?? String(value))

/** An Effect logger that emits each (already redacted) log line as an OpenTelemetry log record. */
export const otelLogger = (provider: OtelLogs.LoggerProvider, name = "auth0-effect"): Logger.Logger<unknown, void> => {
  const logger = provider.getLogger(name)
  return Logger.make(({ annotations, date, logLevel, message }) => {
    const attributes: Record<string, string> = {}
    for (const [key, value] of annotations) attributes[key] = text(value)
    const parts = Array.isArray(message) ? message : [message]
    logger.emit({
      body: parts.map(text).join(" "),
      severityText: logLevel.label,
      severityNumber: SEVERITY[logLevel.label] ?? 0,
      timestamp: date,
      attributes
    })
  })
}

/**
 * The layer for Effect programs: spans to `tracerProvider` (through the redacting tracer),
 * metrics to `metricReader`, Effect's logger redacted, and log records to `loggerProvider`.
 *
 * @example
 * program.pipe(Effect.provide(Auth0OpenTelemetry.layer({ tracerProvider, metricReader })))
 */
export const layer = (options: OpenTelemetryOptions = {}): Layer.Layer<never> => {
  const secrets = options.secrets ?? []
  const serviceName = options.serviceName ?? "auth0-effect"
  const resource = OtelResource.layer({
    serviceName,
    ...(options.serviceVersion !== undefined ? { serviceVersion: options.serviceVersion } : {})
  })
  const otelTracer = Layer.effect(
    OtelTracer.OtelTracer,
    Effect.sync(() => (options.tracerProvider ?? OtelApi.trace.getTracerProvider()).getTracer(serviceName, options.serviceVersion))
  )
  const tracer = Layer.unwrapEffect(
    Effect.map(OtelTracer.make, (made) => Layer.setTracer(Telemetry.redactingTracer(made, secrets)))
  ).pipe(Layer.provide(otelTracer))
  const metrics = options.metricReader === undefined
    ? Layer.empty
    : OtelMetrics.layer(() => options.metricReader!).pipe(Layer.provide(resource))
  const logger = Logger.replace(Logger.defaultLogger, Telemetry.redactingLogger(Logger.defaultLogger, secrets))
  const logs = options.loggerProvider === undefined
    ? Layer.empty
    : Logger.add(Telemetry.redactingLogger(otelLogger(options.loggerProvider, serviceName), secrets))
  return Layer.mergeAll(tracer, metrics, logger, logs)
}

/**
 * The same, as the Promise facade's `telemetry` option: with it the facade records spans
 * (without it tracing is off).
 *
 * @example
 * const auth0 = new ServerClient({ ...options, telemetry: openTelemetry({ tracerProvider, metricReader }) })
 */
export const openTelemetry = (options: OpenTelemetryOptions = {}): Telemetry.TelemetryLayer => layer(options)
