/**
 * CWE-532 for telemetry, played as whoever reads the traces, metrics and logs: every flow runs
 * with known secrets (SecretLeaks.test.ts's flows and secrets: client secret in basic and post
 * auth, a private_key_jwt key, DPoP, refresh and access tokens, codes and verifiers, connect
 * codes, the cookie secret, a logout token, MFA codes, passwords) against a tenant that echoes
 * the request back, with the app logging every failure through Effect's logger; then the
 * emulator's happy paths through the facade (login, refresh, connect, Token Vault, logout), whose
 * tokens, codes and cookies join the secrets. Every exported span (name, attributes, events,
 * status), every metric point's attributes and every log record must be free of them.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import * as Telemetry from "@auth0-effect/core/Telemetry"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { type HostileTenant, type Mode, startHostileTenant } from "../../core/test/helpers/hostileTenant.js"
import { type Auth, CLIENT_SECRET as LEAK_CLIENT_SECRET, COOKIE_SECRET, flows, layerFor, prepareKeys, secrets } from "../../core/test/helpers/leakFlows.js"
import { layer, openTelemetry } from "../src/index.js"
import { API, APP_CALLBACK, CLIENT_SECRET, makeBrowser, makeOtel, MY_ACCOUNT_SCOPES, WebClient, tenantOptions } from "./helpers.js"

const makeSinks = () => {
  const otel = makeOtel()
  const logExporter = new InMemoryLogRecordExporter()
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] })
  return { ...otel, logExporter, loggerProvider }
}

/** Everything the sinks received, as one text per exported item. */
const exported = async (sinks: ReturnType<typeof makeSinks>): Promise<Array<string>> => {
  // Shut down with the runtime that owned it, the reader made its final export then.
  await sinks.metricReader.forceFlush().catch(() => undefined)
  const spans = sinks.exporter.getFinishedSpans().map((span) =>
    JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links })
  )
  const metrics = sinks.metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).map((m) =>
    JSON.stringify({ name: m.descriptor.name, points: m.dataPoints.map((p) => p.attributes) })
  )
  const logs = sinks.logExporter.getFinishedLogRecords().map((r) => JSON.stringify({ body: r.body, attributes: r.attributes, severity: r.severityText }))
  return [...spans, ...metrics, ...logs]
}

const leaksIn = (texts: ReadonlyArray<string>, known: ReadonlyArray<string>) =>
  texts.flatMap((text) => known.filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 12)}... in ${text.slice(0, 400)}`))

beforeAll(prepareKeys)

/** What Effect's default logger (redacted by the layer) printed to the console. */
let consoleLines: Array<string> = []
beforeEach(() => {
  consoleLines = []
  for (const method of ["log", "error", "warn", "info", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => void consoleLines.push(args.map(String).join(" ")))
  }
})
afterEach(() => {
  vi.restoreAllMocks()
})

describe("no secret in any span, metric or log line: every flow against a hostile tenant", () => {
  let tenant: HostileTenant
  beforeAll(async () => {
    tenant = await startHostileTenant()
  })
  afterAll(() => tenant.close())

  const MODES: ReadonlyArray<Mode> = ["echo-json-500", "echo-text-500", "echo-json-200"]
  const AUTHS: ReadonlyArray<Auth> = ["client_secret_post", "client_secret_basic", "private_key_jwt"]
  for (const auth of AUTHS) {
    it.live(`${auth}: every flow in ${MODES.join(", ")}, failures logged by the app`, () =>
      Effect.gen(function*() {
        const sinks = makeSinks()
        const telemetry = layer({
          tracerProvider: sinks.tracerProvider,
          metricReader: sinks.metricReader,
          loggerProvider: sinks.loggerProvider,
          secrets: [LEAK_CLIENT_SECRET, COOKIE_SECRET]
        })
        let failed = 0
        yield* Effect.gen(function*() {
          for (const mode of MODES) {
            tenant.mode = mode
            for (const [name, flow] of flows(tenant.origin)) {
              // What an app does: run the flow in its request span, and log the failure with its cause.
              const exit = yield* flow.pipe(
                Effect.provide(layerFor(tenant.origin, auth)),
                Effect.tapErrorCause((cause) => Effect.logError(`${name} failed`, cause)),
                Effect.withSpan("app.request"),
                Effect.exit
              )
              if (Exit.isFailure(exit)) failed++
            }
          }
        }).pipe(Effect.provide(telemetry))
        tenant.mode = "ok"
        const texts = [...yield* Effect.promise(() => exported(sinks)), ...consoleLines]
        const known = secrets(tenant)
        // The attack happened: credentials went out, failures were traced and logged.
        expect(known.length).toBeGreaterThan(20)
        expect(failed).toBeGreaterThan(flows(tenant.origin).length * 2)
        expect(sinks.logExporter.getFinishedLogRecords().length).toBe(failed)
        expect(consoleLines.length).toBeGreaterThanOrEqual(failed)
        expect(sinks.exporter.getFinishedSpans().filter((s) => s.name === "auth0.http").length).toBeGreaterThan(50)
        expect(sinks.exporter.getFinishedSpans().some((s) => s.status.code === 2 && s.attributes["error.type"] !== undefined)).toBe(true)
        expect(leaksIn(texts, known)).toEqual([])
      }).pipe(
        Logger.withMinimumLogLevel(LogLevel.All),
        Effect.ensuring(Effect.sync(() => {
          tenant.mode = "ok"
        }))
      ), 240_000)
  }
})

describe("no secret in any span, metric or log line: the happy paths through the facade", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator(tenantOptions())
  })
  afterAll(() => emulator?.stop())

  it("login, refresh, connect, Token Vault, list, logout: tokens, codes and cookies stay out", async () => {
    const sinks = makeSinks()
    const options = emulator.sdkOptions({ clientId: "app", redirectUri: APP_CALLBACK })
    const auth0 = new WebClient({
      ...options,
      authorizationParams: { scope: { [emulator.myAccountAudience]: MY_ACCOUNT_SCOPES.join(" "), "": "openid profile email offline_access" } },
      telemetry: openTelemetry({ tracerProvider: sinks.tracerProvider, metricReader: sinks.metricReader, loggerProvider: sinks.loggerProvider })
    })
    const browser = makeBrowser()
    const seen: Array<string> = [CLIENT_SECRET, options.secret]
    await emulator.createUser({ email: "scan@example.com" })
    const url = await browser.call((o) => auth0.startInteractiveLogin(undefined, o))
    const callback = new URL(await emulator.login(url.href, { user: "scan@example.com" }))
    seen.push(callback.searchParams.get("code")!, callback.searchParams.get("state")!)
    await browser.call((o) => auth0.completeInteractiveLogin(callback, o))
    const { accessToken } = await browser.call((o) => auth0.getAccessToken({ audience: API, scope: "read:items" }, o))
    const connectUrl = await browser.call((o) => auth0.startConnectAccount({ connection: "google-oauth2" }, o))
    const connected = new URL(await emulator.connect(connectUrl.href))
    seen.push(connected.searchParams.get("connect_code")!, new URL(connectUrl).searchParams.get("ticket")!)
    await browser.call((o) => auth0.completeConnectAccount(connected, o))
    const vault = await browser.call((o) => auth0.getAccessTokenForConnection({ connection: "google-oauth2" }, o))
    await browser.call((o) => auth0.listConnectedAccounts(undefined, o))
    const session = await browser.call((o) => auth0.getSession(o))
    seen.push(accessToken, vault.accessToken, session!.idToken!, ...session!.tokenSets.map((t) => t.accessToken))
    const internal = session as unknown as { refreshToken?: string }
    if (internal.refreshToken !== undefined) seen.push(internal.refreshToken)
    seen.push(...[...browser.cookies.values()].filter((v) => v.length >= 16))
    await browser.call((o) => auth0.logout({ returnTo: "http://127.0.0.1:3998/" }, o))
    await auth0.dispose()

    const texts = [...await exported(sinks), ...consoleLines]
    const known = [...new Set(seen.filter((s) => typeof s === "string" && s.length >= 8))]
    expect(known.length).toBeGreaterThanOrEqual(10)
    const names = new Set(sinks.exporter.getFinishedSpans().map((s) => s.name))
    for (const name of Object.values(Telemetry.SpanNames).filter((n) => ["auth0.login.callback", "auth0.refresh", "auth0.connect.complete", "auth0.token_vault.get", "auth0.logout"].includes(n))) {
      expect(names).toContain(name)
    }
    expect(leaksIn(texts, known)).toEqual([])
  })
})
