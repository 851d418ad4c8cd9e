/**
 * The mounted routes under attack, over raw TCP: a real node:http server mounting
 * `createAuthRoutes` as the README shows gets every method Node parses on every route path and
 * on `/`, and the malformed request lines and targets Node still accepts. Nothing may reject the
 * handler (one unhandled rejection ends a Node process), every answer has a status, our paths
 * answer 405 with `Allow` to methods they do not serve, and the logout return URL never comes
 * from the request. Afterwards the server still logs a user in.
 */
import { createServer, METHODS, type Server } from "node:http"
import { type AddressInfo, connect } from "node:net"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { createAuthRoutes, ServerClient } from "../src/index.js"

let emulator: Emulator
let server: Server
let auth0: ServerClient
let port = 0
let app = ""
const rejections: Array<unknown> = []
const recordRejection = (reason: unknown) => void rejections.push(reason)
/** Requests the server saw, and how many of them the handler settled (answered or passed on). */
const counts = { requests: 0, settled: 0, routed: 0 }
let quiet: Array<{ mockRestore: () => void }> = []

beforeAll(async () => {
  process.on("unhandledRejection", recordRejection)
  // Callback failures log a line each; keep the output readable.
  quiet = [vi.spyOn(console, "warn").mockImplementation(() => {}), vi.spyOn(console, "error").mockImplementation(() => {})]
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
  app = `http://127.0.0.1:${port}`
  emulator = await startEmulator({
    clients: [{
      clientId: "attacked-app",
      clientSecret: "attacked-app-secret-0123456789",
      redirectUris: [`${app}/auth/callback`],
      postLogoutRedirectUris: [`${app}/`]
    }]
  })
  await emulator.createUser({ email: "mallory-victim@example.com", name: "Victim" })
  auth0 = new ServerClient({
    domain: emulator.origin,
    allowInsecureHttp: true,
    clientId: "attacked-app",
    clientSecret: "attacked-app-secret-0123456789",
    secret: "routes-attack-test-secret-0123456789abcdef",
    redirectUri: `${app}/auth/callback`,
    cookie: { secure: false }
  })
  // As README.md mounts them (baseUrl and returnTo as there).
  const routes = createAuthRoutes(auth0, { baseUrl: app, returnTo: "/profile" })
  server.on("request", async (req, res) => {
    counts.requests++
    const answered = await routes(req, res)
    counts.settled++
    if (answered) {
      counts.routed++
      return
    }
    const user = await auth0.getUser({ req, res })
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(user ?? null))
  })
})

afterAll(async () => {
  process.off("unhandledRejection", recordRejection)
  for (const spy of quiet) spy.mockRestore()
  await auth0?.dispose()
  await emulator?.stop()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

interface RawResponse {
  readonly text: string
  readonly status: number | undefined
  readonly header: (name: string) => string | undefined
}

/** Sends `head` as it is (latin1 bytes) and reads until the server closes the connection. */
const raw = (head: string): Promise<RawResponse> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    let text = ""
    const done = () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
      const [headers = ""] = text.split("\r\n\r\n")
      resolve({
        text,
        status: status === undefined ? undefined : Number(status),
        header: (name) =>
          headers.split("\r\n").find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim()
      })
    }
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => (text += chunk))
    socket.on("error", () => {})
    // A guard against a handler that never answers, not a timing assertion: the status check fails.
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on("close", done)
    socket.write(head, "latin1")
  })

const request = (method: string, target: string, headers: ReadonlyArray<string> = [`Host: 127.0.0.1:${port}`]) =>
  raw(`${method} ${target} HTTP/1.1\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`)

const ROUTES = { "/auth/login": "GET", "/auth/callback": "GET", "/auth/logout": "POST" } as const

describe("the mounted routes over raw TCP", () => {
  // TRACK is no method Node parses (it answers 400 itself), but fetch refuses it like TRACE and CONNECT.
  const methods = [...METHODS, "TRACK"]

  it("every method on every route path and on /: no rejection, a status each, 405 with Allow where we do not serve it", async () => {
    const seen: Array<string> = []
    for (const method of methods) {
      for (const path of [...Object.keys(ROUTES), "/"]) {
        const response = await request(method, path)
        const label = `${method} ${path}`
        if (method === "CONNECT") {
          // Node hands CONNECT to 'connect' listeners, never to 'request'; without one it closes the socket.
          expect(response.text, label).toBe("")
          continue
        }
        expect(response.status, `${label}: ${response.text.slice(0, 80)}`).toBeTypeOf("number")
        seen.push(`${label} ${response.status}`)
        const served = ROUTES[path as keyof typeof ROUTES]
        if (method === "TRACK") expect(response.status, label).toBe(400)
        else if (served === undefined) expect(response.status, label).toBe(200)
        else if (method !== served) {
          expect(response.status, label).toBe(405)
          expect(response.header("allow"), label).toBe(served)
        } else expect([302, 400], label).toContain(response.status)
      }
    }
    expect(seen).toContain("TRACE / 200")
    expect(seen).toContain("TRACE /auth/login 405")
    expect(rejections).toEqual([])
    expect(counts.settled).toBe(counts.requests)
  })

  it.each([
    ["an absolute-form target (routed on its path, on our origin)", "GET", "http://evil.example/auth/login", [302]],
    ["an absolute-form https target", "GET", "https://evil.example:444/auth/login?returnTo=//evil.example", [302]],
    ["a //host target (a path, not a host)", "POST", "//evil.example/auth/logout", [200]],
    ["a //host login target", "GET", "//evil.example/auth/login", [200]],
    ["the asterisk-form", "OPTIONS", "*", [200]],
    ["the asterisk-form with GET", "GET", "*", [200, 400]],
    ["an authority-form target outside CONNECT", "GET", "evil.example:443", [200, 400]],
    ["a very long path", "GET", `/auth/login/${"a".repeat(8_000)}`, [200]],
    ["a path over Node's header limit", "GET", `/auth/login?${"a".repeat(20_000)}`, [431]],
    ["percent-encoding junk", "GET", "/auth/%", [200]],
    ["a bad escape before the path", "GET", "/%zz/../auth/login", [200, 302]],
    ["an encoded NUL", "GET", "/auth/login%00", [200]],
    ["an encoded slash", "GET", "/auth%2flogin", [200]],
    ["a dot segment (normalised, as browsers do)", "GET", "/auth/./login", [302]],
    ["an encoded dot-dot", "POST", "/auth/..%2flogout", [200]],
    ["a backslash", "POST", "/auth\\logout", [200, 302, 400]],
    ["latin1 bytes in the path", "GET", "/auth/l\u00f3gin", [200, 400]],
    ["a huge returnTo", "GET", `/auth/login?returnTo=/${"%2F".repeat(2_000)}`, [302]],
    ["a repeated callback parameter", "GET", "/auth/callback?state=a&state=b&code=c", [400]],
    ["a fragment in the request line", "GET", "/auth/login#x", [302, 400]]
  ] as const)("%s", async (_, method, target, statuses) => {
    const response = await request(method, target)
    expect(statuses as ReadonlyArray<number>, response.text.slice(0, 120)).toContain(response.status)
    if (response.status === 302) {
      // A login redirect goes to the tenant, whatever host the target named.
      expect(response.header("location")?.startsWith(`${emulator.origin}/`)).toBe(true)
    }
    expect(rejections).toEqual([])
  })

  it.each([
    ["a foreign Host", [`Host: evil.example`]],
    ["an empty Host", ["Host: "]],
    ["a Host with a path", ["Host: evil.example/x?"]],
    ["a Host with spaces", ["Host: a b c"]],
    ["a Host with userinfo", ["Host: user:pass@evil.example"]],
    ["two Hosts", ["Host: 127.0.0.1", "Host: evil.example"]],
    ["no Host", []]
  ] as const)("odd Host headers (%s): login still redirects to the tenant, logout returns to our origin", async (_, headers) => {
    for (const [method, path] of [["GET", "/auth/login"], ["POST", "/auth/logout"], ["TRACE", "/"]] as const) {
      const response = await request(method, path, headers)
      expect(response.status, `${method} ${path}: ${response.text.slice(0, 80)}`).toBeTypeOf("number")
      if (response.status !== 302) continue
      const location = new URL(response.header("location") ?? "")
      expect(location.origin).toBe(emulator.origin)
      if (path === "/auth/logout") {
        const back = location.searchParams.get("post_logout_redirect_uri") ?? location.searchParams.get("returnTo")
        expect(back).toBe(`${app}/`)
      }
    }
    expect(rejections).toEqual([])
  })

  it("an absolute-form or Host-spoofed logout still returns to the configured origin (issue 8 #9)", async () => {
    for (const [target, headers] of [
      ["http://evil.example/auth/logout", [`Host: evil.example`]],
      ["/auth/logout", [`Host: evil.example`]],
      ["/auth/logout?returnTo=//evil.example/", [`Host: 127.0.0.1:${port}`]]
    ] as const) {
      const response = await request("POST", target, headers)
      expect(response.status).toBe(302)
      const location = new URL(response.header("location") ?? "")
      expect(location.searchParams.get("post_logout_redirect_uri") ?? location.searchParams.get("returnTo")).toBe(`${app}/`)
    }
  })

  it("HTTP/1.0 without Host, and pipelined requests, are answered", async () => {
    const old = await raw("TRACE /auth/logout HTTP/1.0\r\n\r\n")
    expect(old.status).toBe(405)
    const pipelined = await raw(
      `TRACE /auth/login HTTP/1.1\r\nHost: x\r\n\r\nTRACE / HTTP/1.1\r\nHost: x\r\n\r\nGET /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
    )
    expect(pipelined.text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 405", "HTTP/1.1 200", "HTTP/1.1 302"])
    expect(rejections).toEqual([])
  })

  it("after all that: no unhandled rejection, every request settled, and a normal login works", async () => {
    expect(rejections).toEqual([])
    expect(counts.settled).toBe(counts.requests)
    expect(counts.requests).toBeGreaterThan(METHODS.length * 4)
    expect(server.listening).toBe(true)

    const login = await fetch(`${app}/auth/login?returnTo=/profile`, { redirect: "manual" })
    expect(login.status).toBe(302)
    const authorize = login.headers.get("location")!
    expect(authorize.startsWith(`${emulator.origin}/authorize?`)).toBe(true)
    const cookies = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ")
    const callback = new URL(await emulator.login(authorize, { user: "mallory-victim@example.com" }))
    const done = await fetch(`${app}${callback.pathname}${callback.search}`, { redirect: "manual", headers: { cookie: cookies } })
    expect(done.status).toBe(302)
    expect(done.headers.get("location")).toBe("/profile")
    expect(done.headers.getSetCookie().some((c) => c.startsWith("__a0_session="))).toBe(true)
  })
})
