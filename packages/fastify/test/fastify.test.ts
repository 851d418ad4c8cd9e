/**
 * @auth0-effect/fastify on a real Fastify 5 server on 127.0.0.1 against the emulator: the plugin's
 * routes, `request.auth0`, the preHandler guard, encapsulation, and route failures reaching the
 * app's error handler as the original Auth0Error, with the session intact.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import Fastify, { type FastifyInstance } from "fastify"
import { Auth0Error, auth0Plugin, requireAuth } from "../src/index.js"
import { GOOGLE_SCOPES, logIn, makeBrowser, type Peers, startPeers, USER } from "../../express/test/support.js"

let peers: Peers
let app: FastifyInstance
/** What the app's error handler saw. */
const errors: Array<{ tag: string; isAuth0Error: boolean; status: number }> = []

beforeAll(async () => {
  peers = await startPeers()
  app = Fastify({ serverFactory: (handler) => (peers.serve(handler), peers.server) })
  app.setErrorHandler((error, _request, reply) => {
    const tag = error instanceof Auth0Error ? error._tag : "unknown"
    errors.push({ tag, isAuth0Error: error instanceof Auth0Error, status: reply.statusCode })
    // Fastify's own errors (415, 413) carry statusCode; the SDK's come with the status set on the reply.
    const own = (error as { statusCode?: number }).statusCode
    return reply.code(own ?? (reply.statusCode >= 400 ? reply.statusCode : 500)).send({ error: tag })
  })
  await app.register(auth0Plugin, {
    client: peers.auth0,
    baseUrl: peers.app,
    returnTo: "/profile",
    connections: { "google-oauth2": { scopes: GOOGLE_SCOPES } }
  })
  app.get("/profile", { preHandler: requireAuth() }, async (request) => request.auth0.getUser())
  app.get("/api/token", { preHandler: requireAuth({ api: true }) }, async (request) => {
    const token = await request.auth0.getAccessToken()
    return { expiresAt: token.expiresAt, hasToken: token.accessToken.length > 0 }
  })
  app.get("/api/accounts", { preHandler: requireAuth({ api: true }) }, async (request) => request.auth0.listConnectedAccounts({}))
  app.post<{ Params: { id: string } }>("/api/accounts/:id/delete", { preHandler: requireAuth({ api: true }) }, async (request, reply) => {
    await request.auth0.deleteConnectedAccount({ connectedAccountId: request.params.id })
    return reply.code(204).send()
  })
  // Encapsulation: the plugin's form parser stays inside its routes' context.
  app.post("/echo", async (request) => ({ body: request.body ?? null }))
  await app.ready()
})

afterAll(async () => {
  await peers?.stop()
})

describe("@auth0-effect/fastify", () => {
  it("guards: a page redirects to the login with returnTo, an API answers 401 with WWW-Authenticate: Bearer", async () => {
    const browser = makeBrowser(peers.app)
    const page = await browser.request("/profile?tab=1")
    expect(page.status).toBe(302)
    expect(page.headers.get("location")).toBe(`/auth/login?${new URLSearchParams({ returnTo: "/profile?tab=1" })}`)
    const api = await browser.request("/api/token")
    expect(api.status).toBe(401)
    expect(api.headers.get("www-authenticate")).toBe("Bearer")
    expect(await api.json()).toEqual({ error: "unauthorized", error_description: "Login required" })
  })

  it("login, protected route, getAccessToken, connect, list, disconnect, then a bad callback that leaves the session", async () => {
    const browser = makeBrowser(peers.app)
    expect(await logIn(peers, browser, "?returnTo=%2Fprofile%3Ftab%3D1")).toEqual({ status: 302, location: "/profile?tab=1" })
    const profile = await browser.request("/profile")
    expect(profile.status).toBe(200)
    expect(((await profile.json()) as { email: string }).email).toBe(USER.email)
    expect(await (await browser.request("/api/token")).json()).toMatchObject({ hasToken: true })

    const connect = await browser.request("/auth/connect?connection=google-oauth2&returnTo=/accounts")
    expect(connect.status).toBe(302)
    const back = new URL(await peers.emulator.connect(connect.headers.get("location")!))
    const completed = await browser.request(`${back.pathname}${back.search}`)
    expect(completed.headers.get("location")).toBe("/accounts")
    const listed = (await (await browser.request("/api/accounts")).json()) as { accounts: Array<{ id: string; connection: string; scopes: Array<string> }> }
    expect(listed.accounts.map((a) => a.connection)).toEqual(["google-oauth2"])
    expect(listed.accounts[0]!.scopes).toEqual(expect.arrayContaining(["https://www.googleapis.com/auth/calendar.readonly"]))
    expect((await browser.request(`/api/accounts/${listed.accounts[0]!.id}/delete`, { method: "POST" })).status).toBe(204)
    expect(((await (await browser.request("/api/accounts")).json()) as { accounts: Array<unknown> }).accounts).toEqual([])

    errors.length = 0
    const forged = await browser.request("/auth/callback?code=forged&state=forged")
    expect(forged.status).toBe(400)
    expect(await forged.json()).toEqual({ error: "MissingTransactionError" })
    expect(errors).toEqual([{ tag: "MissingTransactionError", isAuth0Error: true, status: 400 }])
    expect((await browser.request("/profile")).status).toBe(200)
  })

  it("refuses an open redirect: a foreign returnTo lands on the configured default after login", async () => {
    const browser = makeBrowser(peers.app)
    expect(await logIn(peers, browser, `?returnTo=${encodeURIComponent("//evil.example/x")}`)).toEqual({ status: 302, location: "/profile" })
  })

  it("back-channel logout through the route ends the sessions; logout through the route ends another", async () => {
    const laptop = makeBrowser(peers.app)
    const phone = makeBrowser(peers.app)
    await logIn(peers, laptop)
    await logIn(peers, phone)
    expect(await peers.emulator.sendBackchannelLogout({ sub: peers.sub })).toBe(200)
    expect((await laptop.request("/profile")).status).toBe(302)
    expect((await phone.request("/profile")).status).toBe(302)
    const forged = await laptop.request("/auth/backchannel-logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "logout_token=not-a-jwt"
    })
    expect(forged.status).toBe(400)
    expect(((await forged.json()) as { error: string }).error).toBe("invalid_request")

    await logIn(peers, laptop)
    expect((await laptop.request("/profile")).status).toBe(200)
    const logout = await laptop.request("/auth/logout", { method: "POST", headers: { origin: peers.app } })
    expect(logout.status).toBe(302)
    expect(new URL(logout.headers.get("location")!).origin).toBe(peers.emulator.origin)
    expect((await laptop.request("/profile")).status).toBe(302)
  })

  it("answers the routes' 405 for a wrong method, and keeps its form parser out of the app's routes", async () => {
    const browser = makeBrowser(peers.app)
    const wrong = await browser.request("/auth/login", { method: "POST" })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get("allow")).toBe("GET")
    const echo = await browser.request("/echo", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" })
    expect(echo.status).toBe(415)
  })

  it("refuses bad options at registration", async () => {
    const other = Fastify()
    await expect(other.register(auth0Plugin, { client: peers.auth0, loginPath: "//evil" }).ready()).rejects.toMatchObject({
      _tag: "InvalidArgumentError"
    })
    await other.close()
  })
})

describe("@auth0-effect/fastify without an app error handler", () => {
  /** A second app on its own port, with no `setErrorHandler` (or one set only after the plugin loaded). */
  const serve = async (setHandlerAfter: boolean) => {
    const other = Fastify()
    await other.register(auth0Plugin, { client: peers.auth0, baseUrl: peers.app })
    if (setHandlerAfter) other.setErrorHandler((_error, _request, reply) => reply.code(418).send({ late: true }))
    other.get("/profile", { preHandler: requireAuth() }, async (request) => request.auth0.getUser())
    const origin = await other.listen({ port: 0, host: "127.0.0.1" })
    return { origin, close: () => other.close() }
  }
  const HOSTILE = "<script>alert(1)</script> call 555-0100"

  it("a failed route gets Fastify's error shape naming only the route and kind, never the request's text", async () => {
    const other = await serve(false)
    try {
      const browser = makeBrowser(other.origin)
      const start = await browser.request("/auth/login")
      const state = new URL(start.headers.get("location")!).searchParams.get("state")!
      const denied = await browser.request(`/auth/callback?${new URLSearchParams({ state, error: "access_denied", error_description: HOSTILE })}`)
      expect(denied.status).toBe(400)
      expect(denied.headers.get("content-type")).toMatch(/^application\/json/)
      expect(denied.headers.get("cache-control")).toBe("no-store")
      const text = await denied.text()
      expect(JSON.parse(text)).toEqual({
        statusCode: 400,
        code: "AuthorizationError",
        error: "Bad Request",
        message: "callback failed (AuthorizationError)"
      })
      expect(text).not.toContain("555-0100")
      // The used transaction's removal still goes out.
      expect(denied.headers.getSetCookie().some((c) => c.startsWith(`__a0_tx.${state}=`) && /max-age=0/i.test(c))).toBe(true)

      const missing = await browser.request("/auth/connect")
      expect(missing.status).toBe(400)
      expect(await missing.json()).toMatchObject({ code: "MissingRequiredArgumentError", message: "connect failed (MissingRequiredArgumentError)" })
    } finally {
      await other.close()
    }
  })

  it("a tenant failure is a 500 naming no kind; the session of a browser logged in before is intact", async () => {
    const other = await serve(false)
    try {
      const browser = makeBrowser(other.origin)
      await logIn(peers, browser)
      expect((await browser.request("/profile")).status).toBe(200)
      const start = await browser.request("/auth/login")
      const callback = new URL(await peers.emulator.login(start.headers.get("location")!, { user: USER.email }))
      peers.emulator.fault("/oauth/token", { status: 500, body: JSON.stringify({ error: "server_error", error_description: HOSTILE }) })
      const failed = await browser.request(`${callback.pathname}${callback.search}`)
      expect(failed.status).toBe(500)
      expect(await failed.json()).toEqual({ statusCode: 500, error: "Internal Server Error", message: "callback failed" })
      expect((await browser.request("/profile")).status).toBe(200)
    } finally {
      await other.close()
    }
  })

  it("an error handler set after the plugin loaded is not the routes' (Fastify fixed theirs): they still answer value-free", async () => {
    const other = await serve(true)
    try {
      const forged = await makeBrowser(other.origin).request(`/auth/callback?${new URLSearchParams({ state: "forged", error: "x", error_description: HOSTILE })}`)
      expect(forged.status).toBe(400)
      const text = await forged.text()
      expect(JSON.parse(text)).toEqual({
        statusCode: 400,
        code: "AuthorizationError",
        error: "Bad Request",
        message: "callback failed (AuthorizationError)"
      })
      expect(text).not.toContain("555-0100")
    } finally {
      await other.close()
    }
  })
})
