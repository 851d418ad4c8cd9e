/**
 * One app instance of the load test: a `node:http` server on a free loopback port, using
 * `ServerClient` from @auth0-effect/node with sessions in Redis. The orchestrator forks two of
 * these (`child_process.fork`), passes the configuration in `LOAD_APP_CONFIG`, and receives the
 * port as the first IPC message. Every route answers JSON: `{ ok: true, ... }`, or `{ ok: false,
 * tag, reason }` with the SDK error's `_tag` (and `reason` where the error has one).
 *
 * `/raw` answers without touching the SDK: the baseline for the SDK's time per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { StateStore } from "@auth0-effect/core"
import { ServerClient } from "@auth0-effect/node"
import { RedisSessionBackend } from "@auth0-effect/redis"
import * as Layer from "effect/Layer"

/** What the orchestrator hands every instance. */
export interface AppConfig {
  readonly domain: string
  readonly clientId: string
  readonly clientSecret: string
  readonly secret: string
  readonly redirectUri: string
  readonly apiA: string
  readonly apiB: string
  readonly myAccount: string
  readonly connection: string
  readonly redis: { readonly url: string } | { readonly cluster: ReadonlyArray<{ host: string; port: number }> }
  readonly keyPrefix: string
  readonly commandTimeoutMs: number
}

/** Server-side time per request, by route, in milliseconds. */
export type Timings = Record<string, Array<number>>

export type AppMessage = { readonly port: number } | { readonly timings: Timings }

const config = JSON.parse(process.env["LOAD_APP_CONFIG"] ?? "{}") as AppConfig

const backend = RedisSessionBackend.layer({
  ...("url" in config.redis ? { url: config.redis.url } : { cluster: { nodes: config.redis.cluster } }),
  keyPrefix: config.keyPrefix,
  commandTimeoutMs: config.commandTimeoutMs
})

const auth0 = new ServerClient({
  domain: config.domain,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  secret: config.secret,
  redirectUri: config.redirectUri,
  authorizationParams: { scope: { "": "openid profile email offline_access" } },
  // Tokens live 2-3 s in this test: refresh on expiry, not 30 s before it.
  tokenRefreshLeewaySeconds: 0,
  // LOCAL ONLY: the emulator and this app speak plain http on loopback.
  allowInsecureHttp: true,
  cookie: { secure: false },
  sessionStore: StateStore.StateStore.stateful.pipe(Layer.provide(backend))
})

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<Record<string, unknown>>

const routes: Record<string, Route> = {
  "/raw": async () => ({}),
  "/login": async (req, res) => ({ url: (await auth0.startInteractiveLogin({}, { req, res })).href }),
  "/callback": async (req, res, url) => {
    await auth0.completeInteractiveLogin(url.searchParams.get("url") ?? "", { req, res })
    return {}
  },
  "/session": async (req, res) => {
    const session = await auth0.getSession({ req, res })
    if (session === undefined) throw Object.assign(new Error("no session"), { _tag: "NoSession" })
    return { sub: session.user.sub }
  },
  "/token-a": async (req, res) => {
    const token = await auth0.getAccessToken({ audience: config.apiA, scope: "read:a" }, { req, res })
    return { expiresAt: token.expiresAt }
  },
  "/token-b": async (req, res) => {
    const token = await auth0.getAccessToken({ audience: config.apiB, scope: "read:b" }, { req, res })
    return { expiresAt: token.expiresAt }
  },
  "/accounts": async (req, res) => ({
    accounts: (await auth0.listConnectedAccounts({}, { req, res })).accounts.length
  }),
  "/vault": async (req, res) => {
    const token = await auth0.getAccessTokenForConnection({ connection: config.connection }, { req, res })
    return { expiresAt: token.expiresAt }
  }
}

let timings: Timings = {}

const send = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
  if (res.headersSent) return
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1")
  const route = routes[url.pathname]
  if (!route) return send(res, 404, { ok: false, tag: "NotFound" })
  const started = performance.now()
  route(req, res, url).then(
    (body) => {
      ;(timings[url.pathname] ??= []).push(performance.now() - started)
      send(res, 200, { ok: true, ...body })
    },
    (error: unknown) => {
      ;(timings[url.pathname] ??= []).push(performance.now() - started)
      const fields = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : {}
      send(res, 500, {
        ok: false,
        tag: typeof fields["_tag"] === "string" ? fields["_tag"] : "Unexpected",
        ...(typeof fields["reason"] === "string" ? { reason: fields["reason"] } : {}),
        // Which of the StoreError causes: a dead connection, or no reply within commandTimeoutMs.
        ...(fields["_tag"] === "StoreError" && typeof fields["message"] === "string"
          ? { detail: /no reply within/.test(fields["message"]) ? "no reply in time" : "connection down" }
          : {}),
        ...(typeof fields["error"] === "string" ? { error: fields["error"] } : {})
      })
    }
  )
})

process.on("message", (message: unknown) => {
  if (message === "timings") {
    process.send?.({ timings } satisfies AppMessage)
    timings = {}
  } else if (message === "stop") {
    server.close()
    server.closeAllConnections()
    void auth0.dispose().finally(() => process.exit(0))
  }
})

server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port } satisfies AppMessage)
})
