/**
 * What the SDK tells operators: span names and attribute keys, the `Metric`s it updates, and a
 * redacting `Logger` and `Tracer` that keep tokens, codes and secrets out of every attribute,
 * event, status and log line. Spans go to whatever `Tracer` the program has (none is recorded
 * with tracing disabled, as the Promise facade runs without a `telemetry` option); metrics go to
 * Effect's metric registry. `@auth0-effect/opentelemetry` exports both.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { endpointPath, REDACTED, safeAttribute, scrub, scrubUnknown, serverAddress, urlPath } from "./TelemetryRules.js"

/** The span of each flow. */
export const SpanNames = {
  loginStart: "auth0.login.start",
  loginCallback: "auth0.login.callback",
  callback: "auth0.callback",
  sessionGet: "auth0.session.get",
  accessTokenGet: "auth0.access_token.get",
  accessTokenInvalidate: "auth0.access_token.invalidate",
  refresh: "auth0.refresh",
  connectStart: "auth0.connect.start",
  connectComplete: "auth0.connect.complete",
  connectedAccountsList: "auth0.connected_accounts.list",
  connectedAccountsConnections: "auth0.connected_accounts.connections",
  connectedAccountsDelete: "auth0.connected_accounts.delete",
  tokenVaultGet: "auth0.token_vault.get",
  logout: "auth0.logout",
  logoutOutcome: "auth0.logout.outcome",
  backchannelLogout: "auth0.backchannel_logout",
  mfaAuthenticators: "auth0.mfa.authenticators",
  mfaEnroll: "auth0.mfa.enroll",
  mfaChallenge: "auth0.mfa.challenge",
  mfaVerify: "auth0.mfa.verify",
  cibaStart: "auth0.ciba.start",
  cibaPoll: "auth0.ciba.poll",
  cibaAwait: "auth0.ciba.await",
  cibaLogin: "auth0.ciba.login",
  tokenExchange: "auth0.token_exchange",
  tokenExchangeLogin: "auth0.token_exchange.login",
  passwordlessStart: "auth0.passwordless.start",
  passwordlessComplete: "auth0.passwordless.complete",
  passwordlessMagicLink: "auth0.passwordless.magic_link",
  databaseSignUp: "auth0.database.sign_up",
  databaseChangePassword: "auth0.database.change_password",
  revoke: "auth0.revoke",
  revokeRefreshToken: "auth0.revoke.refresh_token",
  sessionTransfer: "auth0.session_transfer",
  linkStart: "auth0.account_linking.link.start",
  linkComplete: "auth0.account_linking.link.complete",
  unlinkStart: "auth0.account_linking.unlink.start",
  unlinkComplete: "auth0.account_linking.unlink.complete",
  organizationInvitation: "auth0.organizations.invitation",
  dpopProof: "auth0.dpop.proof",
  dpopFetch: "auth0.dpop.fetch",
  /** One attempt of one HTTP request to the tenant (or to an API through `fetchWithAccessToken`). */
  http: "auth0.http",
  /** A store read or write: `auth0.store` says which store, `auth0.store.operation` which call. */
  store: "auth0.store"
} as const

/** Attribute keys: ours under `auth0.`, HTTP ones from the OpenTelemetry semantic conventions. */
export const Attributes = {
  audience: "auth0.audience",
  scope: "auth0.scope",
  connection: "auth0.connection",
  /** `hit` or `miss`. */
  cache: "auth0.cache",
  /** `access_token` or `connection`. */
  tokenKind: "auth0.token.kind",
  /** `sent` (this call asked the tenant) or `coalesced` (it waited for a concurrent call's refresh). */
  refresh: "auth0.refresh",
  lockWaited: "auth0.lock.waited",
  store: "auth0.store",
  storeOperation: "auth0.store.operation",
  attempt: "auth0.attempt",
  /** `login` or `connect`, for the shared callback. */
  callback: "auth0.callback",
  organization: "auth0.organization",
  sessionsDeleted: "auth0.sessions.deleted",
  mfaFactor: "auth0.mfa.factor",
  grant: "auth0.grant",
  /** The failure's `_tag`. */
  errorType: "error.type",
  httpMethod: "http.request.method",
  httpStatus: "http.response.status_code",
  serverAddress: "server.address",
  urlPath: "url.path"
} as const

const boundariesMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

/** Refresh grants sent to the tenant (one per coalesced group of callers). */
export const refreshRequests = Metric.counter("auth0.refresh.requests", { description: "Refresh grants sent to the tenant", incremental: true })
/** Callers that waited for a concurrent caller's refresh instead of sending their own. */
export const coalescedWaits = Metric.counter("auth0.refresh.coalesced_waits", { description: "Callers that shared an in-flight refresh", incremental: true })
/** Token cache hits, tagged `auth0.token.kind` (`access_token` or `connection`). */
export const tokenCacheHits = Metric.counter("auth0.token_cache.hits", { description: "Tokens served from the session", incremental: true })
/** Token cache misses, tagged `auth0.token.kind`. */
export const tokenCacheMisses = Metric.counter("auth0.token_cache.misses", { description: "Tokens that had to be requested", incremental: true })
/** Failed flows, tagged `error.type` (the error's `_tag`). */
export const errors = Metric.counter("auth0.errors", { description: "Failed flows by error tag", incremental: true })
/** Tenant latency per attempt in milliseconds, tagged `url.path` (ids as `{id}`, no query) and `http.request.method`. */
export const tenantLatency = Metric.timerWithBoundaries("auth0.tenant.duration", boundariesMs, "Tenant HTTP latency per attempt (ms)")
/** Store latency in milliseconds, tagged `auth0.store` and `auth0.store.operation`. */
export const storeLatency = Metric.timerWithBoundaries("auth0.store.duration", boundariesMs, "Session and transaction store latency (ms)")

/**
 * Whether the SDK makes its spans and updates its per-request metrics (store latency, token
 * cache hits and misses); default on, for Effect programs. The Promise facade turns it off, with
 * tracing, when it has no `telemetry` option: then the hot path (a session read, a cached token)
 * pays one `FiberRef` read per instrumented step, nothing more. The counters of calls to the
 * tenant (tenant latency, refresh requests, coalesced waits, failed flows) count either way.
 */
export const enabled: FiberRef.FiberRef<boolean> = globalValue(
  Symbol.for("@auth0-effect/core/Telemetry/enabled"),
  () => FiberRef.unsafeMake(true)
)

/** A layer that switches {@link enabled} off for the runtime it builds (what the facade uses without `telemetry`). */
export const disabled: Layer.Layer<never> = Layer.mergeAll(
  Layer.setTracerEnabled(false),
  Layer.scopedDiscard(Effect.locallyScoped(enabled, false))
)

/**
 * The one switch of every instrumented step: `on()` (built only then) while telemetry is
 * {@link enabled}, `off` otherwise. Costs one `FiberRef` read.
 */
const gated = <A, E, R>(on: () => Effect.Effect<A, E, R>, off: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(FiberRef.get(enabled), (isOn) => (isOn ? on() : off))

/** `effect` when telemetry is {@link enabled}, nothing otherwise. */
const whenEnabled = (effect: Effect.Effect<void>): Effect.Effect<void> => gated(() => effect, Effect.void)

/**
 * `Effect.withSpan(name, options)` while telemetry is {@link enabled}; with it off, `self` as it
 * is. A span under a disabled tracer is still made (a no-op span, its context, its exit hook and,
 * for `Effect.fn`, a stack capture per call): about 5 µs each on the request path, for nothing.
 */
export const span = (name: string, options?: Tracer.SpanOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => gated(() => Effect.withSpan(self, name, options), self)

/**
 * `Effect.fn(name)` for the SDK's flows, its span made through {@link span}: the same function,
 * the same span name and tree while telemetry is on, and no span work while it is off.
 */
export const fn = (name: string, options?: Tracer.SpanOptions): Effect.fn.Gen =>
  ((body: never, ...pipeables: Array<never>) =>
    Effect.fnUntraced(body, ...(pipeables as []), span(name, options) as never)) as unknown as Effect.fn.Gen

/** Sets the defined ones of `attributes` on the current span (nothing when there is none, or telemetry is off). */
export const annotate = (attributes: Readonly<Record<string, string | number | boolean | undefined>>): Effect.Effect<void> =>
  whenEnabled(Effect.suspend(() => {
    const defined: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) defined[key] = value
    return Effect.annotateCurrentSpan(defined)
  }))

const tagOf = (error: unknown): string => {
  const tag = typeof error === "object" && error !== null ? (error as { _tag?: unknown })._tag : undefined
  return typeof tag === "string" && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(tag) ? tag : "UnknownError"
}

/**
 * For a flow (`Telemetry.fn(SpanNames.x)(body, Telemetry.flow)`): a failure counts in {@link errors}
 * and puts its `_tag` on the flow's span as `error.type`.
 */
export const flow = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapError(self, (error) => {
    const tag = tagOf(error)
    const annotated = Effect.annotateCurrentSpan(Attributes.errorType, tag)
    // A flow failing inside another (logout in logoutWithOutcome) counts once.
    if (typeof error === "object" && error !== null) {
      if (counted.has(error)) return annotated
      counted.add(error)
    }
    return Effect.zipRight(Metric.increment(Metric.tagged(errors, Attributes.errorType, tag)), annotated)
  })

const counted = new WeakSet<object>()

/** Records a token cache lookup: the counter for `kind` and `auth0.cache` on the span. */
export const cacheLookup = (kind: "access_token" | "connection", hit: boolean): Effect.Effect<void> =>
  whenEnabled(cacheLookups[kind][hit ? "hit" : "miss"])

// Built once: this runs on every cached token read.
const cacheLookups = Object.fromEntries((["access_token", "connection"] as const).map((kind) => [
  kind,
  Object.fromEntries((["hit", "miss"] as const).map((result) => [
    result,
    Effect.zipRight(
      Metric.increment(Metric.tagged(result === "hit" ? tokenCacheHits : tokenCacheMisses, Attributes.tokenKind, kind)),
      Effect.annotateCurrentSpan({ [Attributes.cache]: result, [Attributes.tokenKind]: kind })
    )
  ]))
])) as Record<"access_token" | "connection", Record<"hit" | "miss", Effect.Effect<void>>>

/**
 * One HTTP attempt as a client span (`auth0.http`: method, host, path without query, attempt,
 * status) and a {@link tenantLatency} sample. The span, with its status annotation, is made
 * only while telemetry is {@link enabled}; the sample is taken either way.
 */
export const httpAttempt = (method: string, url: string, attempt: number) =>
<A extends { readonly status: number }, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const timed = self.pipe(
    Metric.trackDuration(Metric.tagged(Metric.tagged(tenantLatency, Attributes.urlPath, endpointPath(url)), Attributes.httpMethod, method))
  )
  return gated(() =>
    timed.pipe(
      Effect.tap((response) => Effect.annotateCurrentSpan(Attributes.httpStatus, response.status)),
      Effect.withSpan(SpanNames.http, {
        kind: "client",
        attributes: {
          [Attributes.httpMethod]: method,
          [Attributes.serverAddress]: serverAddress(url),
          [Attributes.urlPath]: urlPath(url),
          [Attributes.attempt]: attempt
        }
      })
    ), timed)
}

/**
 * The timing and span of one store operation, their tags built once per operation (store reads
 * run on every request). The span is built only while telemetry is on: building one captures a
 * stack, which a store call (a method, called anew each time) would otherwise pay with it off.
 * A store span carries no stack trace: the flow's span above it says where it came from.
 */
const storeCall = (store: string, operation: string) => {
  const timer = Metric.tagged(Metric.tagged(storeLatency, Attributes.store, store), Attributes.storeOperation, operation)
  const spanOptions = { attributes: { [Attributes.store]: store, [Attributes.storeOperation]: operation }, captureStackTrace: false }
  return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    gated(() => effect.pipe(Metric.trackDuration(timer), Effect.withSpan(SpanNames.store, spanOptions)), effect)
}

/**
 * `service` with each of its Effect-valued members and Effect-returning methods as an
 * `auth0.store` span and a {@link storeLatency} sample (`store` names it: `session`,
 * `transaction`, `backend`). Arguments are never recorded.
 */
export const instrumentStore = <S extends object>(store: string, service: S): S => {
  const out: Record<string, unknown> = {}
  for (const [operation, member] of Object.entries(service)) {
    if (Effect.isEffect(member)) {
      out[operation] = storeCall(store, operation)(member)
    } else if (typeof member === "function") {
      const measured = storeCall(store, operation)
      out[operation] = (...args: Array<unknown>) => {
        const result: unknown = (member as (...a: Array<unknown>) => unknown).apply(service, args)
        return Effect.isEffect(result) ? measured(result) : result
      }
    } else {
      out[operation] = member
    }
  }
  return out as S
}

/** A failure reduced to its tag and scrubbed message: no `cause`, no fields, no stack beyond one line. */
const safeFailure = (error: unknown, secrets: ReadonlyArray<string>): Error => {
  const safe = new Error(
    error instanceof Error ? scrub(error.message, secrets) : typeof error === "string" ? scrub(error, secrets) : "failed"
  )
  safe.name = tagOf(error)
  safe.stack = `${safe.name}: ${safe.message}`
  return safe
}

/** A cause with every failure and defect replaced by {@link safeFailure}; interruptions kept. */
const safeCause = (cause: Cause.Cause<unknown>, secrets: ReadonlyArray<string>): Cause.Cause<unknown> =>
  Cause.isInterruptedOnly(cause)
    ? cause
    : Cause.fail(safeFailure(Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause)), secrets))

class RedactedSpan implements Tracer.Span {
  readonly _tag = "Span"
  constructor(readonly inner: Tracer.Span, readonly secrets: ReadonlyArray<string>) {}
  get name() { return this.inner.name }
  get spanId() { return this.inner.spanId }
  get traceId() { return this.inner.traceId }
  get parent() { return this.inner.parent }
  get context() { return this.inner.context }
  get status() { return this.inner.status }
  get attributes() { return this.inner.attributes }
  get links() { return this.inner.links }
  get sampled() { return this.inner.sampled }
  get kind() { return this.inner.kind }
  attribute(key: string, value: unknown): void {
    const safe = safeAttribute(this.inner.name, key, value, this.secrets)
    if (safe !== undefined) this.inner.attribute(key, safe)
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.inner.event(scrub(name, this.secrets), startTime, attributes === undefined ? undefined : scrubUnknown(attributes, this.secrets) as Record<string, unknown>)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.inner.addLinks(links)
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (Exit.isFailure(exit)) {
      if (!Cause.isInterruptedOnly(exit.cause)) {
        this.inner.attribute(Attributes.errorType, tagOf(Option.getOrElse(Cause.failureOption(exit.cause), () => Cause.squash(exit.cause))))
      }
      this.inner.end(endTime, Exit.failCause(safeCause(exit.cause, this.secrets)))
    } else {
      this.inner.end(endTime, exit)
    }
  }
}

/**
 * `tracer` behind a filter: attributes of `auth0.*` spans limited to the allowed keys, every
 * string attribute and event scrubbed, URLs cut to their path, and a failed span's exception and
 * status reduced to the error's `_tag` and scrubbed message (never its `cause` or fields).
 */
export const redactingTracer = (tracer: Tracer.Tracer, secrets: ReadonlyArray<string> = []): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) =>
      new RedactedSpan(tracer.span(name, parent, context, links, startTime, kind, options), secrets),
    context: (f, fiber) => tracer.context(f, fiber)
  })

/**
 * `logger` fed scrubbed input: the message, every annotation and the cause (failures reduced to
 * tag and message) pass {@link scrub}, with `secrets` (client secret, session secret...) too.
 */
export const redactingLogger = <Message, Output>(
  logger: Logger.Logger<Message, Output>,
  secrets: ReadonlyArray<string> = []
): Logger.Logger<Message, Output> =>
  Logger.mapInputOptions(logger, (options) => ({
    ...options,
    message: scrubUnknown(options.message, secrets) as Message,
    annotations: HashMap.map(options.annotations, (value) => scrubUnknown(value, secrets)),
    cause: Cause.isEmpty(options.cause) ? options.cause : safeCause(options.cause, secrets)
  }))

export interface RedactOptions {
  /** Values never to print, whatever their shape: the client secret, the session secret, a signing key's PEM... */
  readonly secrets?: ReadonlyArray<string> | undefined
}

/**
 * A layer that puts the program's current tracer behind {@link redactingTracer} and its default
 * logger behind {@link redactingLogger}. `@auth0-effect/opentelemetry` applies it for you.
 */
export const redact = (options: RedactOptions = {}): Layer.Layer<never> => {
  const secrets = options.secrets ?? []
  return Layer.merge(
    Layer.unwrapEffect(Effect.map(Effect.tracer, (tracer) => Layer.setTracer(redactingTracer(tracer, secrets)))),
    Logger.replace(Logger.defaultLogger, redactingLogger(Logger.defaultLogger, secrets))
  )
}

/**
 * What `ServerClientOptions.telemetry` takes: a layer that only sets the tracer, the metric
 * export and the logger (e.g. `openTelemetry(...)` from `@auth0-effect/opentelemetry`). With it
 * the facade records spans; without it tracing is disabled.
 */
export type TelemetryLayer = Layer.Layer<never>

/** The redacted form, for tests and custom exporters that want to check a value themselves. */
export { REDACTED }
