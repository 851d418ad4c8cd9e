/**
 * The scenario every runtime runs against the fixture Hono app (test/fixtures/app.ts) and the
 * local Auth0 emulator, driven over HTTP the way a browser would: the guard's 401 and redirect,
 * an open-redirect attempt, login, the protected routes, a refresh whose cookie the middleware
 * copies, connecting an account through the connect route, listing and deleting it, typed errors
 * rendered by `app.onError`, bad callbacks that keep the session, back-channel logout through the
 * mounted route (the tenant's token, and forged or replayed ones), logout.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { freePort, makeBrowser, parseSetCookie } from "../../../bun/test/helpers/runtimeApp.js"
import { type AppConfig, GOOGLE_SCOPES } from "../fixtures/app.js"

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
    let sub = ""
    let connectedAccountId = ""
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
            backchannelLogoutUri: `${origin}/auth/backchannel-logout`,
            refreshTokenPolicies: [
              { audience: API, scopes: ["read:items"] },
              {
                audience: "{origin}/me/",
                scopes: ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
              }
            ]
          }]
        })
        ;({ sub } = await emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" }))
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

    it("connect through the route: the provider's consent, then the one callback completes it and lands on returnTo", async () => {
      started()
      const connect = await browser.request(`/auth/connect?connection=google-oauth2&returnTo=${encodeURIComponent("/accounts")}`)
      expect(connect.response.status, await connect.response.clone().text()).toBe(302)
      const connectUri = new URL(connect.response.headers.get("location") ?? "")
      expect(connectUri.origin).toBe(emulator.origin)
      expect(connectUri.searchParams.get("ticket")).toMatch(/.+/)
      const transactions = connect.setCookies.filter((c) => c.name.startsWith("__a0_tx.") && !isRemoval(c))
      expect(transactions).toHaveLength(1)
      const back = new URL(await emulator.connect(connectUri.href))
      expect(`${back.origin}${back.pathname}`).toBe(`${origin}/auth/callback`)
      expect(back.searchParams.get("connect_code")).toMatch(/.+/)
      const completions = emulator.requestCount("/me/v1/connected-accounts/complete")
      const done = await browser.request(`${back.pathname}${back.search}`)
      expect(done.response.status, await done.response.clone().text()).toBe(302)
      expect(done.response.headers.get("location")).toBe("/accounts")
      expect(emulator.requestCount("/me/v1/connected-accounts/complete")).toBe(completions + 1)
      expect(done.setCookies.some((c) => c.name === transactions[0]!.name && isRemoval(c))).toBe(true)
      // A connection the route's options do not list is refused, through app.onError.
      const other = await browser.request("/auth/connect?connection=github")
      expect(other.response.status).toBe(400)
      expect(await other.response.json()).toMatchObject({ error: "InvalidArgumentError", route: "connect" })
    })

    it("lists the connected account, with the scopes the connect route asked for", async () => {
      started()
      const { response } = await browser.request("/accounts")
      expect(response.status).toBe(200)
      const { accounts } = (await response.json()) as { accounts: Array<{ id: string; connection: string; scopes: Array<string> }> }
      expect(accounts.map((a) => a.connection)).toEqual(["google-oauth2"])
      expect(accounts[0]!.scopes).toEqual(expect.arrayContaining(GOOGLE_SCOPES.filter((s) => s.startsWith("https://"))))
      connectedAccountId = accounts[0]!.id
    })

    it("disconnects it: 204, the list no longer has it, and deleting it again is a typed MyAccountApiError", async () => {
      started()
      expect(connectedAccountId).not.toBe("")
      const deletes = emulator.requestCount("/me/v1/connected-accounts/accounts")
      const removed = await browser.request(`/accounts/${encodeURIComponent(connectedAccountId)}`, { method: "DELETE" })
      expect(removed.response.status).toBe(204)
      expect(emulator.requestCount("/me/v1/connected-accounts/accounts")).toBe(deletes + 1)
      const { response } = await browser.request("/accounts")
      expect(((await response.json()) as { accounts: Array<unknown> }).accounts).toEqual([])
      const again = await browser.request(`/accounts/${encodeURIComponent(connectedAccountId)}`, { method: "DELETE" })
      expect(again.response.status).toBe(500)
      expect(await again.response.json()).toEqual({ error: "MyAccountApiError" })
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

    it("back-channel logout through the route: forged tokens get the OAuth error JSON past app.onError; the tenant's ends the session; a replay is refused", async () => {
      started()
      expect((await browser.request("/me")).response.status).toBe(200)
      // As the tenant calls it: no cookie, no Origin.
      const post = (body: string, contentType = "application/x-www-form-urlencoded") =>
        fetch(`${origin}/auth/backchannel-logout`, { method: "POST", headers: { "content-type": contentType }, body })
      const expectRefused = async (response: Response, error_description: string) => {
        expect(response.status).toBe(400)
        expect(response.headers.get("content-type")).toMatch(/^application\/json/)
        expect(response.headers.get("cache-control")).toBe("no-store")
        expect(await response.json()).toEqual({ error: "invalid_request", error_description })
      }
      await expectRefused(await post("logout_token=not-a-jwt"), "the logout token was refused")
      const foreign = await emulator.makeLogoutToken({ clientId: CLIENT_ID, sub, foreignKey: true })
      await expectRefused(await post(new URLSearchParams({ logout_token: foreign }).toString()), "the logout token was refused")
      const wrongType = await post(JSON.stringify({ logout_token: foreign }), "application/json")
      expect(wrongType.status).toBe(400)
      expect(((await wrongType.json()) as { error: string }).error).toBe("invalid_request")
      // None of them touched the session.
      expect((await browser.request("/me")).response.status).toBe(200)

      expect(await emulator.sendBackchannelLogout({ clientId: CLIENT_ID, sub })).toBe(200)
      const me = await browser.request("/me")
      expect(me.response.status).toBe(401)
      const page = await browser.request("/profile")
      expect(page.response.status).toBe(302)
      expect(page.response.headers.get("location")).toBe(`/auth/login?returnTo=${encodeURIComponent("/profile")}`)

      // A token is accepted once: the same jti again is a replay.
      const token = new URLSearchParams({ logout_token: await emulator.makeLogoutToken({ clientId: CLIENT_ID, sub }) }).toString()
      const first = await post(token)
      expect(first.status).toBe(200)
      await expectRefused(await post(token), "the logout token was refused")

      // A new login works after it.
      const again = await login("/auth/login")
      expect(again.response.status).toBe(302)
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
