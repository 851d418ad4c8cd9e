/**
 * The facade with `telemetry: openTelemetry(...)` against the emulator, exported through the real
 * OpenTelemetry SDK: the span tree of login, refresh, connect and Token Vault, with the key
 * attributes; the metrics after known sequences; and the facade without the option, which
 * records nothing.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as Telemetry from "@auth0-effect/core/Telemetry"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { openTelemetry } from "../src/index.js"
import { API, APP_CALLBACK, flowSpans, makeBrowser, makeOtel, MY_ACCOUNT_SCOPES, tree, WebClient, tenantOptions } from "./helpers.js"

let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator(tenantOptions())
})
afterAll(() => emulator?.stop())

const clientWith = (telemetry: boolean) => {
  const otel = makeOtel()
  const auth0 = new WebClient({
    ...emulator.sdkOptions({ clientId: "app", redirectUri: APP_CALLBACK }),
    authorizationParams: { scope: { [emulator.myAccountAudience]: MY_ACCOUNT_SCOPES.join(" "), "": "openid profile email offline_access" } },
    ...(telemetry ? { telemetry: openTelemetry({ tracerProvider: otel.tracerProvider, metricReader: otel.metricReader }) } : {})
  })
  return { ...otel, auth0 }
}

const login = async (auth0: WebClient, browser: ReturnType<typeof makeBrowser>, email: string) => {
  await emulator.createUser({ email })
  const url = await browser.call((o) => auth0.startInteractiveLogin(undefined, o))
  const callback = await emulator.login(url.href, { user: email })
  await browser.call((o) => auth0.completeInteractiveLogin(callback, o))
}

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const attrs = (span: ReadableSpan | undefined) => span?.attributes ?? {}

/** The metric points named `name`, as `{ attributes, value }`. */
const points = async (otel: ReturnType<typeof makeOtel>, name: string) => {
  await otel.metricReader.forceFlush()
  const metrics = otel.metricExporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? []
  return metrics.filter((m) => m.descriptor.name === name).flatMap((m) =>
    m.dataPoints.map((p) => ({ attributes: p.attributes, value: typeof p.value === "number" ? p.value : (p.value as { count: number }).count }))
  )
}

describe("span tree through the OpenTelemetry SDK", () => {
  it("login: start, then the callback with its token endpoint (and discovery, JWKS) HTTP children", async () => {
    const { auth0, exporter } = clientWith(true)
    const browser = makeBrowser()
    await login(auth0, browser, "tree-login@example.com")
    const spans = exporter.getFinishedSpans()
    expect(tree(spans, flowSpans)).toEqual([
      "auth0.login.start",
      "  auth0.http",
      "auth0.login.callback",
      "  auth0.http",
      "  auth0.http"
    ])
    const [discovery, token, jwks] = named(spans, "auth0.http").map(attrs)
    expect(discovery).toMatchObject({ "http.request.method": "GET", "url.path": "/.well-known/openid-configuration", "http.response.status_code": 200, "auth0.attempt": 1 })
    expect(token).toMatchObject({ "http.request.method": "POST", "url.path": "/oauth/token", "http.response.status_code": 200, "server.address": new URL(emulator.origin).host })
    expect(jwks).toMatchObject({ "http.request.method": "GET", "url.path": "/.well-known/jwks.json" })
    const callback = named(spans, "auth0.login.callback")[0]!
    expect(named(spans, "auth0.http").slice(1).every((s) => s.parentSpanContext?.spanId === callback.spanContext().spanId)).toBe(true)
    // Store calls are children too: the transaction read and the session write.
    const stores = named(spans, "auth0.store").filter((s) => s.parentSpanContext?.spanId === callback.spanContext().spanId).map((s) => `${s.attributes["auth0.store"]}.${s.attributes["auth0.store.operation"]}`)
    expect(stores).toEqual(expect.arrayContaining(["transaction.get", "session.set"]))
    // One span per HTTP call, ours: @effect/platform's own client span (full URL) is switched off.
    expect(spans.filter((s) => s.name.startsWith("http.client"))).toEqual([])
    await auth0.dispose()
  })

  it("refresh: a miss refreshes (one HTTP child of auth0.refresh); the second call is a hit with no HTTP child", async () => {
    const { auth0, exporter } = clientWith(true)
    const browser = makeBrowser()
    await login(auth0, browser, "tree-refresh@example.com")
    exporter.reset()
    await browser.call((o) => auth0.getAccessToken({ audience: API, scope: "read:items" }, o))
    await browser.call((o) => auth0.getAccessToken({ audience: API, scope: "read:items" }, o))
    const spans = exporter.getFinishedSpans()
    expect(tree(spans, flowSpans)).toEqual([
      "auth0.access_token.get",
      "  auth0.refresh",
      "    auth0.http",
      "auth0.access_token.get"
    ])
    const [miss, hit] = named(spans, "auth0.access_token.get").map(attrs)
    expect(miss).toMatchObject({ "auth0.cache": "miss", "auth0.token.kind": "access_token", "auth0.audience": API, "auth0.refresh": "sent" })
    expect(hit).toMatchObject({ "auth0.cache": "hit", "auth0.audience": API })
    expect(attrs(named(spans, "auth0.refresh")[0])).toHaveProperty("auth0.lock.waited")
    expect(attrs(named(spans, "auth0.http")[0])).toMatchObject({ "url.path": "/oauth/token", "http.response.status_code": 200 })
    await auth0.dispose()
  })

  it("connect: start and complete, each with its My Account HTTP call; then Token Vault, a miss then a hit", async () => {
    const { auth0, exporter } = clientWith(true)
    const browser = makeBrowser()
    await login(auth0, browser, "tree-connect@example.com")
    exporter.reset()
    const url = await browser.call((o) => auth0.startConnectAccount({ connection: "google-oauth2" }, o))
    const callback = await emulator.connect(url.href)
    await browser.call((o) => auth0.completeConnectAccount(callback, o))
    let spans = exporter.getFinishedSpans()
    // The My Account token comes from one refresh, inside the start; the complete finds it cached.
    expect(tree(spans, flowSpans)).toEqual([
      "auth0.connect.start",
      "  auth0.access_token.get",
      "    auth0.refresh",
      "      auth0.http",
      "  auth0.http",
      "auth0.connect.complete",
      "  auth0.access_token.get",
      "  auth0.http"
    ])
    const [forConnect, forComplete] = named(spans, "auth0.access_token.get").map(attrs)
    expect(forConnect).toMatchObject({ "auth0.cache": "miss", "auth0.audience": emulator.myAccountAudience })
    expect(forComplete).toMatchObject({ "auth0.cache": "hit" })
    expect(attrs(named(spans, "auth0.connect.start")[0])).toMatchObject({ "auth0.connection": "google-oauth2" })
    const [, connect, complete] = named(spans, "auth0.http").map(attrs)
    expect(connect).toMatchObject({ "http.request.method": "POST", "url.path": "/me/v1/connected-accounts/connect", "http.response.status_code": 201 })
    expect(complete).toMatchObject({ "http.request.method": "POST", "url.path": "/me/v1/connected-accounts/complete" })

    exporter.reset()
    await browser.call((o) => auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, o))
    await browser.call((o) => auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, o))
    spans = exporter.getFinishedSpans()
    expect(tree(spans, flowSpans)).toEqual([
      "auth0.token_vault.get",
      "  auth0.refresh",
      "    auth0.http",
      "auth0.token_vault.get"
    ])
    const [miss, hit] = named(spans, "auth0.token_vault.get").map(attrs)
    expect(miss).toMatchObject({ "auth0.cache": "miss", "auth0.token.kind": "connection", "auth0.connection": "google-oauth2" })
    expect(hit).toMatchObject({ "auth0.cache": "hit", "auth0.connection": "google-oauth2" })
    await auth0.dispose()
  })

  it("a failed flow: status error with the error's tag and message, error.type set, no cause", async () => {
    const { auth0, exporter } = clientWith(true)
    const browser = makeBrowser()
    await expect(browser.call((o) => auth0.getAccessToken({ audience: API }, o))).rejects.toMatchObject({ _tag: "MissingSessionError" })
    const [span] = named(exporter.getFinishedSpans(), "auth0.access_token.get")
    expect(span?.status).toMatchObject({ code: 2, message: "The user is not logged in (no session)" })
    expect(span?.attributes["error.type"]).toBe("MissingSessionError")
    expect(span?.events.map((e) => e.attributes?.["exception.type"])).toEqual(["MissingSessionError"])
    await auth0.dispose()
  })
})

describe("metrics after known sequences", () => {
  it("N concurrent callers on an expired token: 1 refresh sent, N-1 coalesced waits, N misses; then N hits", async () => {
    const otel = clientWith(true)
    const browser = makeBrowser()
    await login(otel.auth0, browser, "metrics@example.com")
    const N = 8
    type Point = { readonly value: number; readonly attributes: Record<string, unknown> }
    const sum = (p: ReadonlyArray<Point>, kind?: string) =>
      p.filter((x) => kind === undefined || x.attributes["auth0.token.kind"] === kind).reduce((a, x) => a + x.value, 0)
    // Effect's metric registry is process-wide: count what this test adds.
    const snapshot = async () => ({
      sent: sum(await points(otel, "auth0.refresh.requests")),
      coalesced: sum(await points(otel, "auth0.refresh.coalesced_waits")),
      hits: sum(await points(otel, "auth0.token_cache.hits"), "access_token"),
      misses: sum(await points(otel, "auth0.token_cache.misses"), "access_token"),
      errors: sum((await points(otel, "auth0.errors")).filter((p) => p.attributes["error.type"] === "MissingSessionError"))
    })
    const before = await snapshot()
    const refreshesBefore = emulator.requestCount("/oauth/token", "refresh_token")
    // One request's cookies, N concurrent calls on it (a page that fetches N widgets).
    await browser.call((o) => Promise.all(Array.from({ length: N }, () => otel.auth0.getAccessToken({ audience: API, scope: "read:items" }, o))))
    await browser.call((o) => Promise.all(Array.from({ length: N }, () => otel.auth0.getAccessToken({ audience: API, scope: "read:items" }, o))))
    await makeBrowser().call((o) => otel.auth0.getAccessToken(o)).catch(() => undefined)
    const after = await snapshot()
    expect({
      sent: after.sent - before.sent,
      coalesced: after.coalesced - before.coalesced,
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      errors: after.errors - before.errors
    }).toEqual({ sent: 1, coalesced: N - 1, hits: N, misses: N, errors: 1 })
    expect(emulator.requestCount("/oauth/token", "refresh_token") - refreshesBefore).toBe(1)
    const spans = otel.exporter.getFinishedSpans()
    const gets = named(spans, "auth0.access_token.get")
    expect(gets.filter((s) => s.attributes["auth0.refresh"] === "sent")).toHaveLength(1)
    expect(gets.filter((s) => s.attributes["auth0.refresh"] === "coalesced")).toHaveLength(N - 1)
    expect(named(spans, "auth0.refresh")).toHaveLength(1)
    // The tenant latency histogram: one sample per attempt, tagged by path (no query) and method.
    const tenant = await points(otel, "auth0.tenant.duration")
    expect(tenant.find((p) => p.attributes["url.path"] === "/oauth/token" && p.attributes["http.request.method"] === "POST")?.value).toBeGreaterThanOrEqual(2)
    const store = await points(otel, "auth0.store.duration")
    expect(store.find((p) => p.attributes["auth0.store"] === "session" && p.attributes["auth0.store.operation"] === "get")?.value).toBeGreaterThanOrEqual(2 * N)
    await otel.auth0.dispose()
  })
})

describe("tracing off", () => {
  it("without the option the facade exports nothing, records no span and updates no metric", async () => {
    const { auth0, exporter, tracerProvider } = clientWith(false)
    const browser = makeBrowser()
    await login(auth0, browser, "quiet@example.com")
    const counts = () =>
      Effect.runSync(Effect.all([
        Metric.value(Metric.tagged(Telemetry.tokenCacheHits, Telemetry.Attributes.tokenKind, "access_token")),
        Metric.value(Metric.tagged(Telemetry.tokenCacheMisses, Telemetry.Attributes.tokenKind, "access_token")),
        Metric.value(Metric.tagged(Metric.tagged(Telemetry.storeLatency, Telemetry.Attributes.store, "session"), Telemetry.Attributes.storeOperation, "get"))
      ])).map((state) => ("count" in state ? Number(state.count) : 0))
    const before = counts()
    await browser.call((o) => auth0.getAccessToken({ audience: API, scope: "read:items" }, o))
    await browser.call((o) => auth0.getAccessToken({ audience: API, scope: "read:items" }, o))
    expect(counts()).toEqual(before)
    await tracerProvider.forceFlush()
    expect(exporter.getFinishedSpans()).toEqual([])
    // Not even Effect's own tracer recorded: a span opened in the runtime is a no-op one.
    const probe = await auth0.run(
      Effect.currentSpan.pipe(Effect.map((span) => span.spanId), Effect.option, Effect.withSpan("probe")),
      { request: new Request("http://127.0.0.1/"), headers: new Headers() }
    )
    expect(probe).toMatchObject({ _tag: "Some", value: "noop" })
    await auth0.dispose()
  })
})
