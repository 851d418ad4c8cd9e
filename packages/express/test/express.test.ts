/**
 * @auth0-effect/express on a real Express 5 server on 127.0.0.1 against the emulator: the
 * mounted routes, `req.auth0`, the guard, and route failures reaching the app's own error
 * middleware as the original Auth0Error, with the session intact.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import express, { type NextFunction, type Request, type Response } from "express"
import { Auth0Error, auth, requireAuth } from "../src/index.js"
import { GOOGLE_SCOPES, logIn, makeBrowser, type Peers, startPeers, USER } from "./support.js"

let peers: Peers
let mainApp: express.Express
/** What the app's error middleware saw. */
const errors: Array<{ tag: string; isAuth0Error: boolean; status: number }> = []

beforeAll(async () => {
  peers = await startPeers()
  const app = express()
  app.use(auth(peers.auth0, { baseUrl: peers.app, returnTo: "/profile", connections: { "google-oauth2": { scopes: GOOGLE_SCOPES } } }))
  app.get("/profile", requireAuth(), async (req, res) => {
    res.json(await req.auth0.getUser())
  })
  app.get("/api/token", requireAuth({ api: true }), async (req, res) => {
    const token = await req.auth0.getAccessToken()
    res.json({ expiresAt: token.expiresAt, hasToken: token.accessToken.length > 0 })
  })
  app.get("/api/accounts", requireAuth({ api: true }), async (req, res) => {
    res.json(await req.auth0.listConnectedAccounts({}))
  })
  app.post("/api/accounts/:id/delete", requireAuth({ api: true }), async (req, res) => {
    await req.auth0.deleteConnectedAccount({ connectedAccountId: String(req.params.id) })
    res.status(204).end()
  })
  // The app's own error middleware, last (Express's convention): it receives the SDK's typed errors.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const tag = error instanceof Auth0Error ? error._tag : "unknown"
    errors.push({ tag, isAuth0Error: error instanceof Auth0Error, status: res.statusCode })
    res.status(res.statusCode >= 400 ? res.statusCode : 500).json({ error: tag })
  })
  mainApp = app
  peers.serve(app)
})

afterAll(async () => {
  await peers?.stop()
})

describe("@auth0-effect/express", () => {
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
    const token = await browser.request("/api/token")
    expect(await token.json()).toMatchObject({ hasToken: true })

    // Connect through the route: the scopes come from the route's options.
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

    // A forged callback: the app's error middleware gets the original MissingTransactionError, status 400.
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

  it("back-channel logout through the route ends the session; logout through the route ends another", async () => {
    const laptop = makeBrowser(peers.app)
    const phone = makeBrowser(peers.app)
    await logIn(peers, laptop)
    await logIn(peers, phone)
    // The tenant POSTs a logout token naming the user: no cookie, no Origin.
    expect(await peers.emulator.sendBackchannelLogout({ sub: peers.sub })).toBe(200)
    expect((await laptop.request("/profile")).status).toBe(302)
    expect((await phone.request("/profile")).status).toBe(302)
    // A replayed or forged token is a 400 with an OAuth error.
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

  it("reads a back-channel logout body that express.urlencoded() parsed first", async () => {
    const app = express()
    app.use(express.urlencoded({ extended: false }))
    app.use(auth(peers.auth0, { baseUrl: peers.app }))
    app.get("/profile", requireAuth(), (_req, res) => void res.end("ok"))
    peers.serve(app)
    try {
      const browser = makeBrowser(peers.app)
      await logIn(peers, browser)
      expect((await browser.request("/profile")).status).toBe(200)
      expect(await peers.emulator.sendBackchannelLogout({ sub: peers.sub })).toBe(200)
      expect((await browser.request("/profile")).status).toBe(302)
    } finally {
      peers.serve(mainApp)
    }
  })
})

