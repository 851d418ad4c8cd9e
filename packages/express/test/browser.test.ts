/**
 * An Express 5 app on @auth0-effect/express in real Chromium (Debian's package, driven by
 * playwright-core), against the emulator: a guarded page sends the visitor to login and back,
 * connect and disconnect Google through the routes, a forged callback rendered by the app's error
 * middleware with the session kept, logout through a same-origin form, with screenshots.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import express, { type NextFunction, type Request, type Response } from "express"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Auth0Error, auth, requireAuth } from "../src/index.js"
import { GOOGLE_SCOPES, type Peers, startPeers, USER } from "./support.js"

const CHROMIUM = "/usr/bin/chromium"

let peers: Peers
let browser: Browser
let shots: string

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (body: string) => `<!doctype html><meta charset="utf-8"><title>express app</title><body>${body}</body>`

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install Debian's package with \`bash .ci/install-system-deps.sh\`.`)
  }
  peers = await startPeers()
  const app = express()
  app.use(auth(peers.auth0, { baseUrl: peers.app, connections: { "google-oauth2": { scopes: GOOGLE_SCOPES } } }))
  app.get("/", async (req, res) => {
    const user = await req.auth0.getUser()
    res.send(page(user === undefined
      ? `<a id="login" href="/auth/login?returnTo=/profile">Log in</a>`
      : `<p id="user-email">${escape(String(user.email))}</p>
         <form method="post" action="/auth/logout"><button id="logout">Log out</button></form>`))
  })
  app.get("/profile", requireAuth(), async (req, res) => {
    const user = await req.auth0.getUser()
    res.send(page(`<p id="user-email">${escape(String(user?.email))}</p>
      <a id="connect-google" href="/auth/connect?connection=google-oauth2&returnTo=/accounts">Connect Google</a>`))
  })
  app.get("/accounts", requireAuth(), async (req, res) => {
    const { accounts } = await req.auth0.listConnectedAccounts({})
    res.send(page(accounts.length === 0
      ? `<p id="no-accounts">No connected accounts</p>`
      : accounts.map((a) =>
        `<div data-connection="${escape(a.connection)}">${escape(a.connection)} ${escape(a.scopes.join(" "))}
           <form method="post" action="/accounts/${encodeURIComponent(a.id)}/delete"><button data-disconnect="${escape(a.connection)}">Disconnect</button></form></div>`
      ).join("")))
  })
  app.post("/accounts/:id/delete", requireAuth(), async (req, res) => {
    await req.auth0.deleteConnectedAccount({ connectedAccountId: String(req.params.id) })
    res.redirect(303, "/accounts")
  })
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const tag = error instanceof Auth0Error ? error._tag : "Error"
    res.status(res.statusCode >= 400 ? res.statusCode : 500).send(page(`<p id="error-tag">${escape(tag)}</p>`))
  })
  peers.serve(app)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })
  shots = mkdtempSync(join(tmpdir(), "auth0-effect-express-"))
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await peers?.stop()
  if (shots) rmSync(shots, { recursive: true, force: true })
})

const isEmulator = (path: string) => (url: URL) => url.origin === peers.emulator.origin && url.pathname.startsWith(path)
const isApp = (path: string) => (url: URL) => url.origin === peers.app && url.pathname === path

const screenshot = async (tab: Page, name: string) => {
  const file = join(shots, `${name}.png`)
  await tab.screenshot({ path: file, fullPage: true })
  expect(statSync(file).size).toBeGreaterThan(0)
}

describe("express app in Chromium", () => {
  it("guarded page, login, connect, disconnect, a forged callback, logout", async () => {
    const context = await browser.newContext()
    const tab = await context.newPage()
    await tab.goto(new URL("/profile", peers.app).href)
    await tab.waitForURL(isEmulator("/u/login/"))
    await tab.fill("#user", USER.email)
    await tab.click("#submit")
    await tab.waitForURL(isApp("/profile"))
    expect(await tab.textContent("#user-email")).toBe(USER.email)
    await screenshot(tab, "profile")

    await tab.click("#connect-google")
    await tab.waitForURL(isEmulator("/connect"))
    await tab.click("#approve")
    await tab.waitForURL(isApp("/accounts"))
    expect(await tab.textContent("[data-connection='google-oauth2']")).toContain("calendar.readonly")
    await screenshot(tab, "connected")
    await tab.click("button[data-disconnect='google-oauth2']")
    await tab.waitForURL(isApp("/accounts"))
    expect(await tab.isVisible("#no-accounts")).toBe(true)

    const forged = await tab.goto(new URL("/auth/callback?code=forged&state=forged", peers.app).href)
    expect(forged?.status()).toBe(400)
    expect(await tab.textContent("#error-tag")).toBe("MissingTransactionError")
    await screenshot(tab, "forged-callback")
    await tab.goto(peers.app)
    expect(await tab.textContent("#user-email")).toBe(USER.email)

    await tab.click("#logout")
    await tab.waitForURL(isApp("/"))
    expect(await tab.isVisible("#login")).toBe(true)
    await screenshot(tab, "logged-out")
    await context.close()
  }, 60_000)
})
