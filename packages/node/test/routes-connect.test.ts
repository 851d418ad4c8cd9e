/**
 * createAuthRoutes' connect and back-channel logout routes on a real node:http server against the
 * emulator: connect with the route's scopes and back; the tenant's logout token through the route
 * ends the session (200), a forged one is a 400 OAuth error; a body over the limit is refused.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { StateStore } from "@auth0-effect/core/StateStore"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createAuthRoutes, ServerClient } from "../src/index.js"

let emulator: Emulator
let server: Server
let app: string
let auth0: ServerClient
let sub: string

const makeBrowser = () => {
  const cookies = new Map<string, string>()
  return async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, app), {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") }
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";")
      const eq = pair.indexOf("=")
      if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
      else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return response
  }
}

const logIn = async (browser: ReturnType<typeof makeBrowser>) => {
  const start = await browser("/auth/login")
  const callback = new URL(await emulator.login(start.headers.get("location")!, { user: "lin@example.com" }))
  return browser(`${callback.pathname}${callback.search}`)
}

beforeAll(async () => {
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  emulator = await startEmulator({
    clients: [{
      clientId: "node-routes",
      clientSecret: "node-routes-secret",
      redirectUris: [`${app}/auth/callback`],
      backchannelLogoutUri: `${app}/hooks/logout`,
      refreshTokenPolicies: [{ audience: "{origin}/me/", scopes: ["create:me:connected_accounts", "read:me:connected_accounts"] }]
    }]
  })
  ;({ sub } = await emulator.createUser({ email: "lin@example.com" }))
  auth0 = new ServerClient({
    domain: emulator.origin,
    allowInsecureHttp: true,
    clientId: "node-routes",
    clientSecret: "node-routes-secret",
    secret: "node-routes-test-secret-0123456789abcdef",
    redirectUri: `${app}/auth/callback`,
    cookie: { secure: false },
    sessionStore: StateStore.memory
  })
  const routes = createAuthRoutes(auth0, {
    baseUrl: app,
    backchannelLogoutPath: "/hooks/logout",
    connections: { github: { scopes: ["read:user", "repo"] } }
  })
  server.on("request", async (req, res) => {
    if (await routes(req, res)) return
    if (req.url === "/me") {
      const user = await auth0.getUser({ req, res })
      res.writeHead(user ? 200 : 401).end()
      return
    }
    if (req.url === "/accounts") {
      const page = await auth0.listConnectedAccounts({}, { req, res })
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page))
      return
    }
    res.writeHead(404).end()
  })
})

afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

describe("createAuthRoutes: connect and back-channel logout", () => {
  it("connects an account with the route's scopes for that connection, and comes back to returnTo", async () => {
    const browser = makeBrowser()
    // Not logged in: the connect route sends the browser to the login, which comes back to it.
    const anonymous = await browser("/auth/connect?connection=github")
    expect(anonymous.headers.get("location")).toBe(`/auth/login?${new URLSearchParams({ returnTo: "/auth/connect?connection=github" })}`)
    await logIn(browser)
    const connect = await browser("/auth/connect?connection=github&returnTo=/accounts")
    expect(connect.status).toBe(302)
    const back = new URL(await emulator.connect(connect.headers.get("location")!))
    expect((await browser(`${back.pathname}${back.search}`)).headers.get("location")).toBe("/accounts")
    const { accounts } = (await (await browser("/accounts")).json()) as { accounts: Array<{ connection: string; scopes: Array<string> }> }
    expect(accounts).toHaveLength(1)
    expect(accounts[0]).toMatchObject({ connection: "github" })
    expect(accounts[0]!.scopes).toEqual(expect.arrayContaining(["read:user", "repo"]))
    // Connections outside the route's options are refused before any request.
    emulator.resetCounts()
    expect((await browser("/auth/connect?connection=google-oauth2")).status).toBe(400)
    expect(emulator.requestCount("/me/v1/connected-accounts/connect")).toBe(0)
  })

  it("ends the session on the tenant's logout token (200); a forged token or an oversized body is a 400", async () => {
    const browser = makeBrowser()
    await logIn(browser)
    expect((await browser("/me")).status).toBe(200)
    const post = (body: string) =>
      fetch(`${app}/hooks/logout`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body })
    const forged = await post(`logout_token=${await emulator.makeLogoutToken({ sub, foreignKey: true })}`)
    expect(forged.status).toBe(400)
    expect(((await forged.json()) as { error: string }).error).toBe("invalid_request")
    expect((await post(`logout_token=${"a".repeat(70_000)}`)).status).toBe(400)
    expect((await browser("/me")).status).toBe(200)
    expect(await emulator.sendBackchannelLogout({ sub })).toBe(200)
    expect((await browser("/me")).status).toBe(401)
  })
})
