/**
 * Runs a fixture app on a real runtime (Bun or Deno) as a child process and drives it over HTTP
 * against the local Auth0 emulator, the way a browser would. Shared by the Bun and the Deno
 * runtime tests (packages/deno/test imports it), so both check the same scenario.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"

export const CLIENT_ID = "runtime-app"
export const CLIENT_SECRET = "runtime-app-client-secret-0123456789"
export const SECRET = "runtime-app-cookie-secret-0123456789-abcdefgh"
export const API = "https://api.example.com/"
export const SESSION_COOKIE = "__a0_session"

/** A free TCP port on 127.0.0.1 (released before returning; the app binds it right after). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export interface RuntimeApp {
  readonly origin: string
  /** Everything the child wrote to stderr so far. */
  readonly stderr: () => string
  readonly stop: () => Promise<void>
}

export interface SpawnOptions {
  /** Shown in failures: "bun", "deno". */
  readonly name: string
  readonly binary: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  readonly env: Record<string, string>
  readonly port: number
  readonly startupTimeoutMs: number
}

/** Spawns the app and resolves once it prints `listening <port>`; rejects with its stderr if it exits or stalls. */
export const startRuntimeApp = (options: SpawnOptions): Promise<RuntimeApp> => {
  if (!existsSync(options.binary)) {
    return Promise.reject(
      new Error(`${options.name} binary not found at ${options.binary}: run \`pnpm install\` (it comes from npm)`)
    )
  }
  const child: ChildProcess = spawn(options.binary, [...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      const killed = await Promise.race([exited.then(() => true), sleep(3_000).then(() => false)])
      if (!killed) child.kill("SIGKILL")
    }
    await exited
  }
  return new Promise<RuntimeApp>((resolve, reject) => {
    const describeFailure = (what: string) =>
      new Error(`${options.name} app ${what}.\n$ ${options.binary} ${options.args.join(" ")}\nstdout:\n${stdout}\nstderr:\n${stderr}`)
    const timer = setTimeout(() => {
      void stop()
      reject(describeFailure(`did not start within ${options.startupTimeoutMs} ms`))
    }, options.startupTimeoutMs)
    child.once("error", (error) => {
      clearTimeout(timer)
      reject(describeFailure(`could not be spawned (${error.message})`))
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(describeFailure(`exited before listening (code ${code}, signal ${signal})`))
    })
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      if (stdout.includes(`listening ${options.port}`)) {
        clearTimeout(timer)
        resolve({ origin: `http://127.0.0.1:${options.port}`, stderr: () => stderr, stop })
      }
    })
  })
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** One `Set-Cookie` value, split into its name, value and attributes (lower-cased names). */
export const parseSetCookie = (header: string) => {
  const [pair = "", ...rest] = header.split(";")
  const eq = pair.indexOf("=")
  const attributes = new Map(
    rest.map((part) => {
      const [key = "", ...value] = part.trim().split("=")
      return [key.toLowerCase(), value.join("=")] as const
    })
  )
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes }
}

const isRemoval = (cookie: ReturnType<typeof parseSetCookie>) => cookie.attributes.get("max-age") === "0"

/** Carries cookies between requests as a browser does; never follows redirects. */
export const makeBrowser = (origin: string) => {
  const cookies = new Map<string, string>()
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (cookies.size > 0) headers.set("cookie", Array.from(cookies, ([name, value]) => `${name}=${value}`).join("; "))
    const response = await fetch(new URL(path, origin), { ...init, headers, redirect: "manual" })
    const setCookies = response.headers.getSetCookie().map(parseSetCookie)
    for (const cookie of setCookies) {
      if (isRemoval(cookie)) cookies.delete(cookie.name)
      else cookies.set(cookie.name, cookie.value)
    }
    return { response, setCookies }
  }
  return { cookies, request }
}

export interface RuntimeScenario {
  readonly name: string
  readonly binary: string
  /** Arguments before the app script, e.g. `["run", "--allow-net"]`. */
  readonly args: ReadonlyArray<string>
  /** The package directory (cwd of the child, so the adapter resolves through its node_modules). */
  readonly packageDir: string
  /** Files that must exist before the app can start (the built adapter). */
  readonly requiredFiles: ReadonlyArray<string>
  readonly startupTimeoutMs: number
}

/**
 * The end-to-end scenario: login, callback, session, MRRT token, a forged callback, logout;
 * run against the app served by the real runtime.
 */
export const describeRuntime = (scenario: RuntimeScenario) =>
  describe(`${scenario.name}: the fixture app on the real runtime against the emulator`, () => {
    let emulator: Emulator
    let app: RuntimeApp
    let browser: ReturnType<typeof makeBrowser>
    let startupMs = 0
    // A failed start fails every test (with the runtime's stderr) instead of skipping them.
    let startError: unknown
    const started = () => {
      if (startError !== undefined) throw startError
    }

    beforeAll(async () => {
      try {
        await start()
      } catch (error) {
        startError = error
      }
    }, scenario.startupTimeoutMs + 10_000)

    const start = async () => {
      for (const file of scenario.requiredFiles) {
        if (!existsSync(file)) throw new Error(`${file} is missing: build first (\`pnpm build\`, i.e. tsc -b)`)
      }
      const port = await freePort()
      const origin = `http://127.0.0.1:${port}`
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
      const t0 = performance.now()
      app = await startRuntimeApp({
        name: scenario.name,
        binary: scenario.binary,
        args: [...scenario.args, "test/fixtures/app.ts"],
        cwd: scenario.packageDir,
        port,
        startupTimeoutMs: scenario.startupTimeoutMs,
        env: {
          PORT: String(port),
          AUTH0_DOMAIN: emulator.origin,
          AUTH0_CLIENT_ID: CLIENT_ID,
          AUTH0_CLIENT_SECRET: CLIENT_SECRET,
          AUTH0_SECRET: SECRET,
          API_AUDIENCE: API
        }
      })
      startupMs = performance.now() - t0
      browser = makeBrowser(app.origin)
    }

    afterAll(async () => {
      await app?.stop()
      await emulator?.stop()
      if (startupMs > 0) console.info(`${scenario.name} app started in ${Math.round(startupMs)} ms`)
    })

    it("answers 401 on /me before login", async () => {
      started()
      const { response } = await browser.request("/me")
      expect(response.status).toBe(401)
    })

    it("logs in: /auth/login redirects to /authorize, the callback sets the session cookie", async () => {
      started()
      // An open-redirect attempt: the app lands on its default page instead.
      const login = await browser.request("/auth/login?returnTo=//evil.example/steal")
      expect(login.response.status).toBe(302)
      const authorize = new URL(login.response.headers.get("location") ?? "")
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.origin}/authorize`)
      expect(authorize.searchParams.get("client_id")).toBe(CLIENT_ID)
      expect(authorize.searchParams.get("redirect_uri")).toBe(`${app.origin}/auth/callback`)
      expect(login.setCookies.map((c) => c.name)).toEqual([`__a0_tx.${authorize.searchParams.get("state")}`])

      const callback = new URL(await emulator.login(authorize.href, { user: "ada@example.com" }))
      expect(callback.origin).toBe(app.origin)
      const done = await browser.request(`${callback.pathname}${callback.search}`)
      expect(done.response.status, await done.response.clone().text()).toBe(302)
      expect(done.response.headers.get("location")).toBe("/me")
      const session = done.setCookies.find((c) => c.name === SESSION_COOKIE || c.name.startsWith(`${SESSION_COOKIE}.`))
      expect(session, done.setCookies.map((c) => c.name).join(", ")).toBeDefined()
      expect(session!.attributes.has("httponly")).toBe(true)
      expect(session!.attributes.get("samesite")).toBe("Lax")
      expect(session!.attributes.has("secure")).toBe(false)
      // The used transaction cookie is removed.
      expect(done.setCookies.some((c) => c.name.startsWith("__a0_tx.") && isRemoval(c))).toBe(true)
    })

    it("serves the user from the session", async () => {
      started()
      const { response } = await browser.request("/me")
      expect(response.status).toBe(200)
      const body = (await response.json()) as { runtime: string; email: string }
      expect(body.email).toBe("ada@example.com")
      expect(body.runtime.startsWith(scenario.name)).toBe(true)
    })

    it("gets an access token for the configured API", async () => {
      started()
      const { response } = await browser.request("/token")
      expect(response.status).toBe(200)
      const body = (await response.json()) as { accessToken: string; audience: string }
      expect(body.audience).toBe(API)
      const [, payload = ""] = body.accessToken.split(".")
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { aud: string; scope: string }
      expect(claims.aud).toBe(API)
      expect(claims.scope).toContain("read:items")
    })

    it("answers 400 to a callback with an unknown state, without leaking details, and keeps the session", async () => {
      started()
      const before = new Map(browser.cookies)
      const { response } = await browser.request("/auth/callback?code=forged&state=unknown-state")
      expect(response.status).toBe(400)
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
      const text = await response.text()
      expect(text).toContain("MissingTransactionError")
      expect(text).not.toContain(CLIENT_SECRET)
      expect(text).not.toContain(SECRET)
      expect(browser.cookies).toEqual(before)
      const me = await browser.request("/me")
      expect(me.response.status).toBe(200)
    })

    it("refuses a GET or a cross-site POST to logout, and keeps the session", async () => {
      started()
      const get = await browser.request("/auth/logout")
      expect(get.response.status).toBe(405)
      expect(get.response.headers.get("allow")).toBe("POST")
      const crossSite = await browser.request("/auth/logout", {
        method: "POST",
        headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" }
      })
      expect(crossSite.response.status).toBe(403)
      expect(crossSite.setCookies).toEqual([])
      expect((await browser.request("/me")).response.status).toBe(200)
    })

    it("logs out: redirects to the tenant's logout and clears the session cookie", async () => {
      started()
      // As a same-origin form POST sends it; the Host header plays no part in the return URL.
      const { response, setCookies } = await browser.request("/auth/logout", {
        method: "POST",
        headers: { origin: app.origin, "sec-fetch-site": "same-origin" }
      })
      expect(response.status).toBe(302)
      const location = new URL(response.headers.get("location") ?? "")
      expect(location.origin).toBe(emulator.origin)
      expect(location.searchParams.get("post_logout_redirect_uri") ?? location.searchParams.get("returnTo")).toBe(`${app.origin}/`)
      const cleared = setCookies.filter((c) => c.name.startsWith(SESSION_COOKIE))
      expect(cleared.length).toBeGreaterThan(0)
      expect(cleared.every(isRemoval)).toBe(true)
      expect([...browser.cookies.keys()].some((name) => name.startsWith(SESSION_COOKIE))).toBe(false)
      expect((await browser.request("/me")).response.status).toBe(401)
    })
  })
