/**
 * Logout CSRF, played in real Chromium (issue 8 #8): a node:http app mounting `createAuthRoutes`,
 * a logged-in user, and attacker pages on other origins (`localhost:<port>`, a cross-site origin,
 * and `127.0.0.1:<other port>`, same-site but cross-origin) that send the browser to
 * `/auth/logout` by a top-level GET navigation and by an auto-submitted form POST. The session
 * must survive both; the app's own POST form logs out.
 */
import { existsSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { createAuthRoutes, ServerClient } from "@auth0-effect/node"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const CHROMIUM = "/usr/bin/chromium"
const SESSION_COOKIE = /^__a0_session(\.\d+)?$/

let emulator: Emulator
let browser: Browser
let appServer: Server
let attackerServer: Server
let auth0: ServerClient
let app = ""
let attackerPort = 0
/** Status of every answer of /auth/logout, in order: what the routes decided. */
const logoutStatuses: Array<number> = []

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return (server.address() as AddressInfo).port
}

const html = (body: string) => `<!doctype html><meta charset="utf-8"><title>t</title>${body}`

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install Debian's package (\`apt-get install chromium\`).`)
  }
  appServer = createServer()
  app = `http://127.0.0.1:${await listen(appServer)}`
  emulator = await startEmulator({
    clients: [{
      clientId: "csrf-app",
      clientSecret: "csrf-app-secret-0123456789",
      redirectUris: [`${app}/auth/callback`],
      postLogoutRedirectUris: [`${app}/`]
    }]
  })
  await emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" })
  auth0 = new ServerClient({
    domain: emulator.origin,
    allowInsecureHttp: true,
    clientId: "csrf-app",
    clientSecret: "csrf-app-secret-0123456789",
    secret: "logout-csrf-test-secret-0123456789abcdef",
    redirectUri: `${app}/auth/callback`,
    cookie: { secure: false }
  })
  // The defaults: POST-only logout with the same-origin check.
  const routes = createAuthRoutes(auth0, { returnTo: "/me" })
  appServer.on("request", async (req, res) => {
    if (req.url?.startsWith("/auth/logout")) res.on("finish", () => logoutStatuses.push(res.statusCode))
    if (await routes(req, res)) return
    if (req.url === "/me") {
      const user = await auth0.getUser({ req, res })
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      res.end(html(`<p id="who">${user === undefined ? "anonymous" : String(user.email)}</p>
<form method="post" action="/auth/logout"><button type="submit" id="logout">Log out</button></form>`))
      return
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html(`<p id="home">home</p>`))
  })

  attackerServer = createServer((req, res) => {
    const target = `${app}/auth/logout`
    const page = req.url === "/navigate"
      ? `<script>location.href = ${JSON.stringify(target)}</script>`
      : `<form method="post" action="${target}"><input type="hidden" name="x" value="1"></form><script>document.forms[0].submit()</script>`
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html(page))
  })
  attackerPort = await listen(attackerServer)

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await auth0?.dispose()
  await emulator?.stop()
  for (const server of [appServer, attackerServer]) {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  }
})

const sessionCookies = async (context: BrowserContext) =>
  (await context.cookies(app)).filter((cookie) => SESSION_COOKIE.test(cookie.name))

const logIn = async (page: Page) => {
  await page.goto(`${app}/auth/login`)
  await page.waitForURL((url) => url.origin === emulator.origin && url.pathname.startsWith("/u/login/"))
  await page.fill("#user", "ada@example.com")
  await page.click("#submit")
  await page.waitForURL(`${app}/me`)
  expect(await page.textContent("#who")).toBe("ada@example.com")
}

/** Opens the attacker's page and waits for the browser to land on the app's logout answer. */
const attack = async (page: Page, attackerOrigin: string, kind: "navigate" | "form") => {
  const answered = page.waitForResponse((response) => response.url().startsWith(`${app}/auth/logout`))
  await page.goto(`${attackerOrigin}/${kind}`)
  const response = await answered
  return { status: response.status(), headers: await response.allHeaders() }
}

describe("logout CSRF in Chromium", () => {
  it("cross-site and same-site attacker pages cannot log the user out by GET or by form POST; the app's own form can", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await logIn(page)
    expect(await sessionCookies(context)).toHaveLength(1)

    const attackers = [`http://localhost:${attackerPort}`, `http://127.0.0.1:${attackerPort}`]
    const results: Array<string> = []
    for (const attacker of attackers) {
      const navigation = await attack(page, attacker, "navigate")
      const form = await attack(page, attacker, "form")
      results.push(`${attacker} navigate ${navigation.status}`, `${attacker} form ${form.status}`)
      // The session survives: its cookie is still there and still logs the user in.
      expect(await sessionCookies(context)).toHaveLength(1)
      await page.goto(`${app}/me`)
      expect(await page.textContent("#who")).toBe("ada@example.com")
      expect(navigation.headers["allow"]).toBe("POST")
    }
    expect(results).toEqual([
      `http://localhost:${attackerPort} navigate 405`,
      `http://localhost:${attackerPort} form 403`,
      `http://127.0.0.1:${attackerPort} navigate 405`,
      `http://127.0.0.1:${attackerPort} form 403`
    ])

    // The app's own form, same origin: logs out and comes back through the tenant.
    await page.click("#logout")
    await page.waitForURL(`${app}/`)
    expect(await sessionCookies(context)).toEqual([])
    await page.goto(`${app}/me`)
    expect(await page.textContent("#who")).toBe("anonymous")
    expect(logoutStatuses).toEqual([405, 403, 405, 403, 302])
    await context.close()
  }, 60_000)
})
