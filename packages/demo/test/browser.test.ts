/**
 * The demo in real Chromium (Debian's package, driven by playwright-core): login through the
 * emulator's page, MRRT, connecting Google through the fake provider's consent, Token Vault,
 * disconnect, logout, cookie flags, and no open redirect after login.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Demo, startDemo } from "../src/demo.js"

const CHROMIUM = "/usr/bin/chromium"
const SESSION_COOKIE = /^__a0_session(\.\d+)?$/

let demo: Demo
let browser: Browser
let shots: string

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}. Install Debian's package with \`bash .ci/install-system-deps.sh\` (or \`apt-get install chromium\`).`
    )
  }
  demo = await startDemo({ port: 0 })
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
  shots = mkdtempSync(join(tmpdir(), "auth0-effect-demo-"))
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
  if (shots) rmSync(shots, { recursive: true, force: true })
})

const isEmulator = (path: string) => (url: URL) => url.origin === demo.emulator.origin && url.pathname.startsWith(path)
const isDemo = (path: string) => (url: URL) => url.href.startsWith(demo.url) && url.pathname === path

/** From the emulator's login page: type the user and continue; waits until back on the demo at `landing`. */
const logInAs = async (page: Page, user: string, landing = "/") => {
  await page.waitForURL(isEmulator("/u/login/"))
  await page.fill("#user", user)
  await page.click("#submit")
  await page.waitForURL(isDemo(landing))
}

const sessionCookies = async (context: BrowserContext) =>
  (await context.cookies(demo.url)).filter((cookie) => SESSION_COOKIE.test(cookie.name))

/** Nothing that looks like a token: no JWT, no long opaque base64url run (tokens are 40+ chars). */
const expectNoTokens = async (page: Page) => {
  const body = await page.content()
  expect(body).not.toMatch(/eyJ[\w-]+\.[\w-]+/)
  expect(body).not.toMatch(/[A-Za-z0-9_-]{40,}/)
}

describe("demo in Chromium", () => {
  it("logs in, shows tokens safely, connects Google, reads the calendar, disconnects and logs out", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()

    await page.goto(demo.url)
    await page.click("#login")
    await logInAs(page, "ada@example.com")
    expect(await page.textContent("#user-name")).toBe("Ada Lovelace")
    expect(await page.textContent("#user-email")).toBe("ada@example.com")

    await page.goto(new URL("/profile", demo.url).href)
    const claims = await page.textContent("#claims")
    expect(claims).toContain("auth0|ada")
    expect(claims).toContain("ada@example.com")
    expect(await page.textContent("#token-sets")).toMatch(/sha256:[0-9a-f]{12}/)
    await expectNoTokens(page)

    await page.goto(new URL("/api-token", demo.url).href)
    expect(await page.textContent("#audience")).toBe("https://api.demo.local")
    expect(await page.textContent("#scope-granted")).toBe("read:messages")
    await expectNoTokens(page)
    // MRRT: a scope outside the refresh policy is dropped by the tenant and reported as such.
    await page.click("#ask-outside-policy")
    expect(await page.textContent("#scope-asked")).toBe("read:messages delete:messages")
    expect(await page.textContent("#scope-granted")).toBe("read:messages")
    expect(await page.textContent("#dropped")).toContain("delete:messages")

    await page.goto(new URL("/calendar", demo.url).href)
    expect(await page.textContent("#not-connected")).toContain("Google isn't connected yet")

    await page.goto(new URL("/connections", demo.url).href)
    expect(await page.isVisible("#no-accounts")).toBe(true)
    await page.click("button[data-connect='google-oauth2']")
    await page.waitForURL(isEmulator("/connect"))
    await page.click("#approve")
    await page.waitForURL(isDemo("/connections"))
    expect(await page.textContent("tr[data-connection='google-oauth2']")).toContain("calendar.readonly")

    await page.goto(new URL("/calendar", demo.url).href)
    expect(await page.locator("#events .summary").allTextContents()).toEqual(["Stand-up", "Review"])
    await expectNoTokens(page)

    await page.goto(new URL("/connections", demo.url).href)
    await page.click("button[data-disconnect='google-oauth2']")
    await page.waitForURL(isDemo("/connections"))
    expect(await page.isVisible("#no-accounts")).toBe(true)
    expect(await page.locator("tr[data-connection='google-oauth2']").count()).toBe(0)

    // A callback that fails shows the typed error and leaves the session as it was.
    await page.goto(new URL("/callback?code=forged&state=forged", demo.url).href)
    expect(await page.textContent("#error-tag")).toBe("MissingTransactionError")
    await page.goto(demo.url)
    expect(await page.textContent("#user-name")).toBe("Ada Lovelace")

    expect(await sessionCookies(context)).toHaveLength(1)
    await page.click("#logout-main")
    await page.waitForURL(isDemo("/"))
    expect(await page.isVisible("#login")).toBe(true)
    expect(await sessionCookies(context)).toEqual([])

    const shot = join(shots, "logged-out.png")
    await page.screenshot({ path: shot, fullPage: true })
    expect(statSync(shot).size).toBeGreaterThan(0)
    await context.close()
  }, 60_000)

  it("sets the session cookie HttpOnly and SameSite=Lax, and back-channel logout ends the session", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    // A protected page sends the visitor to login and back to that page afterwards.
    await page.goto(new URL("/profile", demo.url).href)
    await logInAs(page, "grace@example.com", "/profile")

    const [cookie, ...more] = await sessionCookies(context)
    expect(more).toEqual([])
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" })

    await page.click("#simulate-backchannel")
    await page.waitForURL(isDemo("/"))
    expect(await page.isVisible("#login")).toBe(true)
    await context.close()
  }, 30_000)

  it("does not redirect off-site after login with returnTo=https://evil.example.com", async () => {
    const context = await browser.newContext()
    const offSite: Array<string> = []
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url())
      if (url.hostname === "127.0.0.1") return route.continue()
      offSite.push(url.href)
      return route.abort()
    })
    const page = await context.newPage()
    await page.goto(new URL("/login?returnTo=https://evil.example.com", demo.url).href)
    await logInAs(page, "ada@example.com")
    expect(new URL(page.url()).origin).toBe(new URL(demo.url).origin)
    expect(await page.textContent("#user-name")).toBe("Ada Lovelace")
    expect(offSite).toEqual([])
    await context.close()
  }, 30_000)

  it("shows the typed AuthorizationError when the user cancels on the login page", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(new URL("/login", demo.url).href)
    await page.waitForURL(isEmulator("/u/login/"))
    await page.click("#deny")
    await page.waitForURL(isDemo("/callback"))
    expect(await page.textContent("#error-tag")).toBe("AuthorizationError")
    expect(await page.textContent("#error-message")).toContain("access_denied")
    expect(await page.isVisible("#header-login")).toBe(true)
    await context.close()
  }, 30_000)
})
