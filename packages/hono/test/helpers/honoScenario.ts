/**
 * The scenario every runtime runs against the fixture Hono app (test/fixtures/app.ts) and the
 * local Auth0 emulator, driven over HTTP the way a browser would: the guard's 401 and redirect,
 * an open-redirect attempt, login, the protected routes, a refresh whose cookie the middleware
 * copies, typed errors rendered by `app.onError`, bad callbacks that keep the session, logout.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { freePort, makeBrowser, parseSetCookie } from "../../../bun/test/helpers/runtimeApp.js"
import type { AppConfig } from "../fixtures/app.js"

export const CLIENT_ID = "hono-app"
export const CLIENT_SECRET = "hono-app-client-secret-0123456789"
export const SECRET = "hono-app-cookie-secret-0123456789-abcdefghij"
export const API = "https://api.example.com/"
const SESSION_COOKIE = "__a0_session"

export interface ServedApp {
  readonly stop: () => Promise<void>
}

export interface HonoRuntime {
  /** Shown in test names; the app reports it as `runtime`. */
  readonly name: string
  /** Serves the fixture app with `config` on 127.0.0.1:`port`; resolves once it answers. */
  readonly start: (config: AppConfig, port: number) => Promise<ServedApp>
  readonly startupTimeoutMs: number
}

const isRemoval = (cookie: ReturnType<typeof parseSetCookie>) => cookie.attributes.get("max-age") === "0"
const sessionCookies = (cookies: ReadonlyArray<ReturnType<typeof parseSetCookie>>) =>
  cookies.filter((c) => c.name === SESSION_COOKIE || c.name.startsWith(`${SESSION_COOKIE}.`))

export const describeHonoRuntime = (runtime: HonoRuntime) =>
  describe(`hono on ${runtime.name}: the fixture app against the emulator`, () => {
    let emulator: Emulator
    let served: ServedApp | undefined
    let origin = ""
    let browser: ReturnType<typeof makeBrowser>
    // A failed start fails every test (with the runtime's output) instead of skipping them.
    let startError: unknown
    const started = () => {
      if (startError !== undefined) throw startError
    }

    beforeAll(async () => {
      try {
        const port = await freePort()
        origin = `http://127.0.0.1:${port}`
        emulator = await startEmulator({
          apis: [{ audience: API, scopes: ["read:items", "write:items"] }],
          clients: [{
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            redirectUris: [`${origin}/auth/callback`],
            postLogoutRedirectUris: [`${origin}/`],
            refreshTokenPolicies: [{ audience: API, scopes: ["read:items"] }]
          }]
        })
        await emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" })
        served = await runtime.start({
          runtime: runtime.name,
          origin,
          domain: emulator.origin,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          secret: SECRET,
          audience: API
        }, port)
        browser = makeBrowser(origin)
      } catch (error) {
        startError = error
      }
    }, runtime.startupTimeoutMs + 15_000)

    afterAll(async () => {
      await served?.stop()
      await emulator?.stop()
    })

    /** Runs a login from the login route's URL through the emulator; returns the callback's response. */
    const login = async (loginPath: string) => {
      const start = await browser.request(loginPath)
      expect(start.response.status, await start.response.clone().text()).toBe(302)
      const authorize = new URL(start.response.headers.get("location") ?? "")
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.origin}/authorize`)
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${origin}/auth/callback`)
      const callback = new URL(await emulator.login(authorize.href, { user: "ada@example.com" }))
      expect(callback.origin).toBe(origin)
      return browser.request(`${callback.pathname}${callback.search}`)
    }

    it("guard, API mode: 401 JSON with WWW-Authenticate: Bearer before login", async () => {
      started()
      const { response, setCookies } = await browser.request("/me")
      expect(response.status).toBe(401)
      expect(response.headers.get("www-authenticate")).toBe("Bearer")
      expect(response.headers.get("content-type")).toMatch(/^application\/json/)
      expect(await response.json()).toEqual({ error: "unauthorized", error_description: "A session is required" })
      expect(setCookies).toEqual([])
    })

    it("guard, page mode: a GET redirects to the login route with returnTo; a POST gets the 401", async () => {
      started()
      const page = await browser.request("/profile?tab=1")
      expect(page.response.status).toBe(302)
      expect(page.response.headers.get("location")).toBe(`/auth/login?returnTo=${encodeURIComponent("/profile?tab=1")}`)
      const post = await browser.request("/profile", { method: "POST" })
      expect(post.response.status).toBe(401)
      expect(post.response.headers.get("www-authenticate")).toBe('Bearer realm="app"')
    })

    it("a handler's typed SDK error (MissingSessionError) reaches app.onError", async () => {
      started()
      const { response } = await browser.request("/session")
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({ error: "MissingSessionError" })
    })

    it("logs in; an open-redirect returnTo is refused (lands on the default page)", async () => {
      started()
      const done = await login(`/auth/login?returnTo=${encodeURIComponent("//evil.example/steal")}`)
      expect(done.response.status, await done.response.clone().text()).toBe(302)
      expect(done.response.headers.get("location")).toBe("/me")
      const session = sessionCookies(done.setCookies)
      expect(session.length, done.setCookies.map((c) => c.name).join(", ")).toBeGreaterThan(0)
      expect(session[0]!.attributes.has("httponly")).toBe(true)
      expect(done.setCookies.some((c) => c.name.startsWith("__a0_tx.") && isRemoval(c))).toBe(true)
    })

    it("serves the protected API route from the session", async () => {
      started()
      const { response } = await browser.request("/me")
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ runtime: runtime.name, email: "ada@example.com" })
      expect((await browser.request("/session")).response.status).toBe(200)
    })

    it("getAccessToken: the configured API's token; a refresh's cookie reaches the response", async () => {
      started()
      const first = await browser.request("/token")
      expect(first.response.status).toBe(200)
      const body = (await first.response.json()) as { accessToken: string; audience: string }
      expect(body.audience).toBe(API)
      const claims = JSON.parse(Buffer.from(body.accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { aud: string }
      expect(claims.aud).toBe(API)

      const refreshes = emulator.requestCount("/oauth/token", "refresh_token")
      const fresh = await browser.request("/token?fresh")
      expect(fresh.response.status).toBe(200)
      expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(refreshes + 1)
      expect(sessionCookies(fresh.setCookies).length).toBeGreaterThan(0)
      expect(fresh.response.headers.get("cache-control")).toContain("no-store")
      const refreshed = (await fresh.response.json()) as { accessToken: string }
      expect(refreshed.accessToken).not.toBe(body.accessToken)
      // The refreshed token was stored through the copied cookie: no second refresh.
      const again = await browser.request("/token")
      expect(((await again.response.json()) as { accessToken: string }).accessToken).toBe(refreshed.accessToken)
      expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(refreshes + 1)
    })

    it("a callback with an unknown state: app.onError renders Auth0RouteError; the session is intact", async () => {
      started()
      const before = new Map(browser.cookies)
      const { response, setCookies } = await browser.request("/auth/callback?code=forged&state=unknown-state")
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({
        error: "MissingTransactionError",
        route: "callback",
        message: "Bad Request: callback failed (MissingTransactionError)"
      })
      expect(setCookies).toEqual([])
      expect(browser.cookies).toEqual(before)
      expect((await browser.request("/me")).response.status).toBe(200)
    })

    it("a denied login's callback: the used transaction's removal reaches app.onError's response; the session is intact", async () => {
      started()
      const start = await browser.request("/auth/login")
      const authorize = new URL(start.response.headers.get("location") ?? "")
      const state = authorize.searchParams.get("state")
      expect(browser.cookies.has(`__a0_tx.${state}`)).toBe(true)
      const session = [...browser.cookies].filter(([name]) => name.startsWith(SESSION_COOKIE))
      const callback = new URL(await emulator.login(authorize.href, { user: "ada@example.com", consent: false }))
      const { response, setCookies } = await browser.request(`${callback.pathname}${callback.search}`)
      expect(response.status).toBe(400)
      const body = (await response.json()) as { error: string; route: string }
      expect(body.route).toBe("callback")
      expect(setCookies.some((c) => c.name === `__a0_tx.${state}` && isRemoval(c))).toBe(true)
      expect(sessionCookies(setCookies)).toEqual([])
      expect(browser.cookies.has(`__a0_tx.${state}`)).toBe(false)
      expect([...browser.cookies].filter(([name]) => name.startsWith(SESSION_COOKIE))).toEqual(session)
      expect((await browser.request("/me")).response.status).toBe(200)
    })

    it("logs out on a same-origin POST: the tenant's logout, the session cookie cleared, the guard answers 401 again", async () => {
      started()
      const crossSite = await browser.request("/auth/logout", {
        method: "POST",
        headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" }
      })
      expect(crossSite.response.status).toBe(403)
      const { response, setCookies } = await browser.request("/auth/logout", {
        method: "POST",
        headers: { origin, "sec-fetch-site": "same-origin" }
      })
      expect(response.status).toBe(302)
      expect(new URL(response.headers.get("location") ?? "").origin).toBe(emulator.origin)
      const cleared = sessionCookies(setCookies)
      expect(cleared.length).toBeGreaterThan(0)
      expect(cleared.every(isRemoval)).toBe(true)
      expect((await browser.request("/me")).response.status).toBe(401)
    })

    it("the guard's login redirect round-trips: login from it lands back on the page", async () => {
      started()
      const page = await browser.request("/profile?tab=1")
      const done = await login(page.response.headers.get("location") ?? "")
      expect(done.response.status).toBe(302)
      expect(done.response.headers.get("location")).toBe("/profile?tab=1")
      const profile = await browser.request("/profile?tab=1")
      expect(profile.response.status).toBe(200)
      expect(await profile.response.text()).toBe("profile of ada@example.com")
    })
  })
