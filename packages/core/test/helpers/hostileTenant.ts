/**
 * A tiny tenant on a real `node:http` server (127.0.0.1) that misbehaves on purpose: it serves a
 * discovery document and JWKS the test can rewrite, and answers every other path as `mode`
 * says (echo the request back, redirect, hang, send a huge body, ...). It records every request
 * it saw, so a test can count what reached it and know which secrets went over the wire.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export type Mode =
  | "ok"
  | "echo-json-500"
  | "echo-text-500"
  | "echo-html-200"
  | "echo-json-200"
  | "redirect-307"
  | "huge"
  | "hang"

export interface HostileTenant {
  readonly origin: string
  readonly seen: Array<SeenRequest>
  /** How every path but discovery and the JWKS is answered. */
  mode: Mode
  /** Rewrites the discovery document before it is sent. */
  discovery: (document: Record<string, unknown>) => Record<string, unknown>
  /** Answers discovery itself with this status and a Location header (a redirecting discovery). */
  discoveryRedirect: string | undefined
  /** Sends a discovery document this many bytes long (padded), streamed. */
  discoveryBytes: number | undefined
  /** Bytes the last padded discovery answer put on the socket before it closed. */
  discoveryBytesWritten: number
  /** Answers discovery with 503 (the tenant is down but the port is open). */
  discoveryDown: boolean
  jwks: { keys: Array<Record<string, unknown>> }
  /** A custom answer for one path, before `mode`. */
  readonly routes: Map<string, (request: SeenRequest, response: http.ServerResponse) => void>
  readonly count: (path: string) => number
  readonly close: () => Promise<void>
}

const echo = (request: SeenRequest) =>
  `${request.method} ${request.path}\n${Object.entries(request.headers).map(([k, v]) => `${k}: ${String(v)}`).join("\n")}\n\n${request.body}`

export const startHostileTenant = async (): Promise<HostileTenant> => {
  const sockets = new Set<import("node:net").Socket>()
  const server = http.createServer()
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const tenant: HostileTenant = {
    origin,
    seen: [],
    mode: "ok",
    discovery: (document) => document,
    discoveryRedirect: undefined,
    discoveryBytes: undefined,
    discoveryBytesWritten: 0,
    discoveryDown: false,
    jwks: { keys: [] },
    routes: new Map(),
    count: (path) => tenant.seen.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const url = new URL(req.url ?? "/", origin)
      const request: SeenRequest = { method: req.method ?? "", path: url.pathname, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
      tenant.seen.push(request)
      const route = tenant.routes.get(url.pathname)
      if (route) return route(request, res)
      if (url.pathname === "/.well-known/openid-configuration") {
        if (tenant.discoveryDown) return void res.writeHead(503, { "content-type": "text/plain" }).end("down")
        if (tenant.discoveryRedirect) return void res.writeHead(302, { location: tenant.discoveryRedirect }).end()
        const document = tenant.discovery({
          issuer: `${origin}/`,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/oauth/token`,
          jwks_uri: `${origin}/.well-known/jwks.json`,
          end_session_endpoint: `${origin}/oidc/logout`,
          pushed_authorization_request_endpoint: `${origin}/oauth/par`,
          backchannel_authentication_endpoint: `${origin}/bc-authorize`,
          id_token_signing_alg_values_supported: ["RS256"]
        })
        if (tenant.discoveryBytes !== undefined) {
          // A valid document padded to the size asked, sent in chunks without a Content-Length.
          res.writeHead(200, { "content-type": "application/json" })
          const head = JSON.stringify(document).slice(0, -1) + `,"padding":"`
          res.write(head)
          let left = tenant.discoveryBytes - head.length - 2
          const chunk = "x".repeat(64 * 1024)
          const pump = () => {
            while (left > 0) {
              const piece = chunk.slice(0, Math.min(left, chunk.length))
              left -= piece.length
              if (!res.write(piece)) return void res.once("drain", pump)
            }
            res.end(`"}`)
          }
          res.on("error", () => undefined)
          const socket = res.socket
          res.on("close", () => {
            tenant.discoveryBytesWritten = socket?.bytesWritten ?? 0
          })
          return pump()
        }
        return void res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(document))
      }
      if (url.pathname === "/.well-known/jwks.json") {
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(tenant.jwks))
      }
      switch (tenant.mode) {
        case "ok":
          return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not_found" }))
        case "echo-json-500":
          return void res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({
            error: "server_error",
            error_description: echo(request),
            type: "about:blank",
            title: echo(request),
            detail: echo(request),
            validation_errors: [{ detail: echo(request), field: request.body }]
          }))
        case "echo-text-500":
          return void res.writeHead(500, { "content-type": "text/plain" }).end(echo(request))
        case "echo-html-200":
          return void res.writeHead(200, { "content-type": "text/html" }).end(`<pre>${echo(request)}</pre>`)
        case "echo-json-200":
          // The right members with the wrong types, holding the request: a decode error must not quote them.
          return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
            access_token: { echo: echo(request) },
            expires_in: echo(request),
            auth_session: 1,
            connect_uri: { echo: echo(request) },
            accounts: [{ id: echo(request) }],
            connections: echo(request)
          }))
        case "redirect-307":
          return void res.writeHead(307, { location: `${origin}/trap?echo=${encodeURIComponent(request.body)}` }).end()
        case "huge":
          res.writeHead(500, { "content-type": "text/plain" })
          return void res.end(`${echo(request)}\n${"y".repeat(2 * 1024 * 1024)}`)
        case "hang":
          return
      }
    })
  })
  return tenant
}

/** An origin on which nothing listens: a port we bound, then released. */
export const closedOrigin = async (): Promise<string> => {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
