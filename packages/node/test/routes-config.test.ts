/**
 * Mounting the Node routes: checked at construction (the app's origin known, `callbackPath` equal
 * to the path of `redirectUri`), mounted under a prefix the way Express's `app.use("/auth", ...)`
 * does (routing on `req.originalUrl`), the request URL never taken from the `Host` header, and a
 * failed callback that says in the log what to check without quoting a secret.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { createAuthRoutes, InvalidArgumentError, type NodeAuthRoutes, ServerClient } from "../src/index.js"

const CLIENT_SECRET = "mounted-app-secret-0123456789"

let emulator: Emulator
let server: Server
let app = ""
let auth0: ServerClient
/** What the server does with each request; set per test. */
let handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => void res.writeHead(404).end()

const clientFor = (overrides: Record<string, unknown> = {}) =>
  new ServerClient({
    domain: emulator.origin,
    allowInsecureHttp: true,
    clientId: "mounted-app",
    clientSecret: CLIENT_SECRET,
    secret: "mounted-routes-test-secret-0123456789abcdef",
    redirectUri: `${app}/auth/callback`,
    cookie: { secure: false },
    ...overrides
  })

/** What Express's `app.use("/auth", routes)` does before it calls `routes`: keep the URL, strip the prefix. */
const mountUnder = (prefix: string, routes: NodeAuthRoutes) => async (req: IncomingMessage, res: ServerResponse) => {
  const url = req.url ?? "/"
  if (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) {
    Object.assign(req, { originalUrl: url })
    req.url = url.slice(prefix.length) || "/"
    if (await routes(req, res)) return
    req.url = url
  }
  res.writeHead(404).end("app 404")
}

beforeAll(async () => {
  server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  emulator = await startEmulator({
    clients: [{
      clientId: "mounted-app",
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${app}/auth/callback`],
      postLogoutRedirectUris: [`${app}/`]
    }]
  })
  await emulator.createUser({ email: "ada@example.com", name: "Ada" })
  auth0 = clientFor()
})

afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

describe("createAuthRoutes at construction", () => {
  it("refuses a callbackPath that is not the path of redirectUri, naming both", () => {
    let thrown: unknown
    try {
      createAuthRoutes(auth0, { callbackPath: "/callback" })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError)
    expect((thrown as InvalidArgumentError).argument).toBe("callbackPath")
    expect((thrown as Error).message).toContain("\"/callback\"")
    expect((thrown as Error).message).toContain(`${app}/auth/callback`)
  })

  it("refuses to mount without the app's origin (neither baseUrl nor redirectUri)", async () => {
    const bare = clientFor({ redirectUri: undefined })
    try {
      expect(() => createAuthRoutes(bare)).toThrow(InvalidArgumentError)
      expect(() => createAuthRoutes(bare, { baseUrl: app })).not.toThrow()
    } finally {
      await bare.dispose()
    }
  })

  it("exposes the configured redirectUri read-only on the client", () => {
    expect(auth0.redirectUri).toBe(`${app}/auth/callback`)
  })
})

describe("mounted under a prefix, as Express's app.use(\"/auth\", routes)", () => {
  it("routes on req.originalUrl: /auth/login redirects to /authorize, and the whole login completes", async () => {
    handler = mountUnder("/auth", createAuthRoutes(auth0, { returnTo: "/me" }))
    const login = await fetch(`${app}/auth/login`, { redirect: "manual" })
    expect(login.status).toBe(302)
    const authorize = new URL(login.headers.get("location")!)
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.origin}/authorize`)
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${app}/auth/callback`)

    const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ")
    const callback = new URL(await emulator.login(authorize.href, { user: "ada@example.com" }))
    expect(callback.pathname).toBe("/auth/callback")
    const done = await fetch(`${app}${callback.pathname}${callback.search}`, { redirect: "manual", headers: { cookie } })
    expect(done.status).toBe(302)
    expect(done.headers.get("location")).toBe("/me")
    expect(done.headers.getSetCookie().some((c) => c.startsWith("__a0_session="))).toBe(true)
  })

  it("the stripped path alone is not a route (no /login under the prefix)", async () => {
    handler = mountUnder("/auth", createAuthRoutes(auth0))
    expect((await fetch(`${app}/auth/auth/login`, { redirect: "manual" })).status).toBe(404)
    const routes = createAuthRoutes(auth0)
    handler = async (req, res) => {
      // A framework that strips the prefix but keeps no originalUrl: the routes see /login, not theirs.
      req.url = (req.url ?? "/").replace(/^\/auth/, "")
      if (!(await routes(req, res))) res.writeHead(404).end()
    }
    expect((await fetch(`${app}/auth/login`, { redirect: "manual" })).status).toBe(404)
  })
})

describe("the request URL comes from configuration, never from Host (issue 8 #9)", () => {
  it("without baseUrl, a spoofed Host or a //host target cannot pick the logout return URL", async () => {
    const routes = createAuthRoutes(auth0)
    const seen: Array<string> = []
    handler = async (req, res) => {
      if (await routes(req, res)) return
      seen.push(req.url ?? "")
      res.writeHead(404).end()
    }
    const { request } = await import("node:http")
    const send = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        const req = request(`${app}${path}`, { method: "POST", headers }, (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, location: res.headers.location })
        })
        req.on("error", reject)
        req.end()
      })
    const spoofed = await send("/auth/logout", { host: "evil.example" })
    expect(spoofed.status).toBe(302)
    const back = new URL(spoofed.location!)
    expect(back.searchParams.get("post_logout_redirect_uri") ?? back.searchParams.get("returnTo")).toBe(`${app}/`)
    // //evil.example/auth/logout is a path on our server, not the logout route of another host.
    expect((await send("//evil.example/auth/logout", {})).status).toBe(404)
    expect(seen).toEqual(["//evil.example/auth/logout"])
  })
})

describe("diagnosable failures", () => {
  it("a wrong clientSecret: the callback is a 500 and the log names invalid_client and what to check, never the secret", async () => {
    const wrong = clientFor({ clientSecret: "not-the-secret-but-s3cr3t-looking" })
    const routes = createAuthRoutes(wrong)
    handler = async (req, res) => {
      if (!(await routes(req, res))) res.writeHead(404).end()
    }
    const lines: Array<string> = []
    const spy = vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void lines.push(args.map(String).join(" ")))
    try {
      const login = await fetch(`${app}/auth/login`, { redirect: "manual" })
      const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ")
      const callback = new URL(await emulator.login(login.headers.get("location")!, { user: "ada@example.com" }))
      const done = await fetch(`${app}${callback.pathname}${callback.search}`, { redirect: "manual", headers: { cookie } })
      expect(done.status).toBe(500)
      expect(await done.text()).toBe("Internal Server Error: callback failed")
      expect(lines).toEqual([
        "auth0-effect: callback failed: TokenEndpointError invalid_client (check clientId and clientSecret, or the client assertion key)"
      ])
      expect(lines.join("\n")).not.toContain("s3cr3t")
      expect(lines.join("\n")).not.toContain(callback.searchParams.get("code")!)
    } finally {
      spy.mockRestore()
      await wrong.dispose()
    }
  })
})
