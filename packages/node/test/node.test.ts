/**
 * The Node adapter end to end: a real node:http server with `ServerClient` and the mountable
 * routes, against the local Auth0 emulator, driven by fetch as a browser would.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type * as Adapter from "../src/index.js"

/**
 * The same scenario runs on the package as compiled (`src`: `@auth0-effect/node/effect`, what
 * Effect users import) and on `dist/bundle.js`, the default `@auth0-effect/node`, prebuilt for
 * Promise users (`pnpm build` makes it).
 */
const BUNDLE = fileURLToPath(new URL("../dist/bundle.js", import.meta.url))
const variants: ReadonlyArray<readonly [string, () => Promise<typeof Adapter>]> = [
  ["@auth0-effect/node/effect", () => import("../src/index.js")],
  ["@auth0-effect/node (dist/bundle.js)", async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`pnpm build\` (tsc -b, then the esbuild bundle)`)
    const path: string = BUNDLE
    return (await import(path)) as typeof Adapter
  }]
]

for (const [variant, load] of variants) {
  describe(variant, () => {
    let emulator: Emulator
    let server: Server
    let app: string
    let auth0: Adapter.ServerClient
    let Auth0Error: typeof Adapter.Auth0Error
    let ConfigurationError: typeof Adapter.ConfigurationError
    let MissingSessionError: typeof Adapter.MissingSessionError
    let ServerClient: typeof Adapter.ServerClient
    let createAuthRoutes: typeof Adapter.createAuthRoutes

    /** Cookies by name, fed from Set-Cookie and sent back as a Cookie header, like a browser. */
    const makeBrowser = () => {
      const cookies = new Map<string, string>()
      const fetchApp = async (path: string, init: RequestInit = {}) => {
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
      return { cookies, fetchApp }
    }

    beforeAll(async () => {
      ;({ Auth0Error, ConfigurationError, MissingSessionError, ServerClient, createAuthRoutes } = await load())
      server = createServer()
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      emulator = await startEmulator({
        clients: [{
          clientId: "node-app",
          clientSecret: "node-app-secret",
          redirectUris: [`${app}/auth/callback`],
          postLogoutRedirectUris: [`${app}/`]
        }]
      })
      await emulator.createUser({ email: "nia@example.com", name: "Nia" })
      auth0 = new ServerClient({
        domain: emulator.origin,
        allowInsecureHttp: true,
        clientId: "node-app",
        clientSecret: "node-app-secret",
        secret: "node-adapter-test-secret-0123456789abcdef",
        redirectUri: `${app}/auth/callback`,
        cookie: { secure: false }
      })
      const routes = createAuthRoutes(auth0, { baseUrl: app, returnTo: "/me" })
      server.on("request", async (req, res) => {
        if (await routes(req, res)) return
        const storeOptions = { req, res }
        if (req.url === "/me") {
          // The app's own cookie must survive next to the SDK's.
          res.setHeader("set-cookie", ["theme=dark; Path=/"])
          const user = await auth0.getUser(storeOptions)
          res.writeHead(user ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify(user ?? null))
          return
        }
        if (req.url === "/token") {
          try {
            await auth0.getAccessToken(storeOptions)
            res.writeHead(200).end("ok")
          } catch (error) {
            res.writeHead(error instanceof MissingSessionError ? 401 : 500).end(error instanceof Auth0Error ? error._tag : "?")
          }
          return
        }
        res.writeHead(404).end()
      })
    })

    afterAll(async () => {
      await auth0?.dispose()
      await emulator?.stop()
      await new Promise((resolve) => server?.close(resolve))
    })

    describe("flows", () => {
      it("a bad configuration throws a ConfigurationError naming the field, at construction", () => {
        expect(() => new ServerClient({ domain: "tenant.auth0.com", clientId: "c", clientSecret: "s", secret: "short" })).toThrow(
          ConfigurationError
        )
        try {
          new ServerClient({ domain: "http://tenant.auth0.com", clientId: "c", clientSecret: "s", secret: "s".repeat(32) })
        } catch (error) {
          expect(error).toBeInstanceOf(Auth0Error)
          expect((error as Adapter.ConfigurationError).field).toBe("domain")
        }
      })

      it("logs in through the mounted routes, keeps the session in cookies, and logs out", async () => {
        const browser = makeBrowser()
        expect((await browser.fetchApp("/me")).status).toBe(401)
        expect(await (await browser.fetchApp("/token")).text()).toBe("MissingSessionError")

        const login = await browser.fetchApp("/auth/login?returnTo=/me")
        expect(login.status).toBe(302)
        const authorize = login.headers.get("location")!
        expect(authorize.startsWith(`${emulator.origin}/authorize?`)).toBe(true)
        expect(new URL(authorize).searchParams.get("code_challenge_method")).toBe("S256")
        const txCookie = login.headers.getSetCookie().find((c) => c.startsWith("__a0_tx."))!
        expect(txCookie).toMatch(/HttpOnly/)
        expect(txCookie).toMatch(/SameSite=Lax/)

        const callback = new URL(await emulator.login(authorize, { user: "nia@example.com" }))
        const done = await browser.fetchApp(callback.pathname + callback.search)
        expect(done.status).toBe(302)
        expect(done.headers.get("location")).toBe("/me")
        const sessionCookie = done.headers.getSetCookie().find((c) => c.startsWith("__a0_session="))!
        expect(sessionCookie).toMatch(/HttpOnly/)
        expect(sessionCookie).not.toMatch(/Secure/)
        expect([...browser.cookies.keys()].some((name) => name.startsWith("__a0_tx."))).toBe(false)

        const me = await browser.fetchApp("/me")
        expect(me.status).toBe(200)
        expect((await me.json()) as { email: string }).toMatchObject({ email: "nia@example.com", name: "Nia" })
        expect(me.headers.getSetCookie()).toContain("theme=dark; Path=/")

        // Replaying the callback is refused, and the session survives it.
        const replay = await browser.fetchApp(callback.pathname + callback.search)
        expect(replay.status).toBe(400)
        expect((await browser.fetchApp("/me")).status).toBe(200)

        // A GET (a cross-site link, an image) no longer logs out: 405, and the session is kept.
        const get = await browser.fetchApp("/auth/logout")
        expect(get.status).toBe(405)
        expect(get.headers.get("allow")).toBe("POST")
        expect((await browser.fetchApp("/me")).status).toBe(200)

        const logout = await browser.fetchApp("/auth/logout", { method: "POST", headers: { origin: app } })
        expect(logout.status).toBe(302)
        const logoutUrl = new URL(logout.headers.get("location")!)
        expect(logoutUrl.origin).toBe(emulator.origin)
        expect(logoutUrl.searchParams.get("post_logout_redirect_uri")).toBe(`${app}/`)
        expect(browser.cookies.has("__a0_session")).toBe(false)
        expect((await browser.fetchApp("/me")).status).toBe(401)
      })

      it("never redirects off-site after login", async () => {
        const browser = makeBrowser()
        const login = await browser.fetchApp("/auth/login?returnTo=//evil.example.com/steal")
        const callback = new URL(await emulator.login(login.headers.get("location")!, { user: "nia@example.com" }))
        const done = await browser.fetchApp(callback.pathname + callback.search)
        expect(done.headers.get("location")).toBe("/me")
      })

      it("passes other requests through to the app", async () => {
        expect((await fetch(`${app}/elsewhere`)).status).toBe(404)
        // HEAD must not start a login: the route answers 405 and sets no cookie.
        const head = await fetch(`${app}/auth/login`, { method: "HEAD", redirect: "manual" })
        expect(head.status).toBe(405)
        expect(head.headers.get("allow")).toBe("GET")
        expect(head.headers.getSetCookie()).toEqual([])
      })
    })
  })
}
