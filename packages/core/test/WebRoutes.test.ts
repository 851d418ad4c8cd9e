/**
 * The auth routes for Web-standard runtimes, with plain `Request` objects in Node: which requests
 * they take, no open redirects, errors that say little, and cookies written next to the app's.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import {
  Auth0Error,
  InvalidArgumentError,
  MissingSessionError,
  MissingTransactionError,
  TokenEndpointError
} from "../src/Errors.js"
import type { StartInteractiveLoginOptions } from "../src/Login.js"
import { BaseServerClient } from "../src/ServerClient.js"
import { webCookieAdapter } from "../src/WebCookies.js"
import { type AuthRoutesClient, createAuthHandler, safeReturnTo, statusOf } from "../src/WebRoutes.js"

const APP = "https://app.example.com"

/** A client that records what the routes ask of it; `callbackResult` decides the callback's outcome. */
const stubClient = (callbackResult: () => Promise<{ readonly appState: unknown }> = async () => ({ appState: undefined })) => {
  const logins: Array<StartInteractiveLoginOptions | undefined> = []
  const logouts: Array<string | undefined> = []
  const client: AuthRoutesClient = {
    startInteractiveLogin: async (options, { headers }) => {
      logins.push(options)
      headers.append("set-cookie", "__a0_tx.s=1; Path=/; HttpOnly; SameSite=Lax")
      return new URL("https://tenant.example.com/authorize?state=s")
    },
    handleCallback: async () => ({ _tag: "Login", ...(await callbackResult()) }),
    logout: async (options) => {
      logouts.push(options?.returnTo)
      return new URL("https://tenant.example.com/v2/logout")
    }
  }
  return { client, logins, logouts }
}

const get = (path: string, init?: RequestInit) => new Request(new URL(path, APP), init)

const OPEN_REDIRECTS = [
  "//evil.com",
  "//evil.com/path",
  "/\\evil.com",
  "\\\\evil.com",
  "/\\/evil.com",
  "https://evil.com",
  "http:evil.com",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/\t/evil.com",
  "/\n/evil.com",
  "/\r\n/evil.com",
  " /evil",
  "/./\\evil.com",
  "/.//evil.com",
  "/..//evil.com",
  "/a/../..//evil.com",
  "evil.com",
  "",
  "."
]

describe("safeReturnTo", () => {
  it.each(OPEN_REDIRECTS)("refuses %j", (value) => {
    expect(safeReturnTo(value)).toBeUndefined()
  })

  it.each([
    ["/", "/"],
    ["/profile", "/profile"],
    ["/profile?tab=keys#top", "/profile?tab=keys#top"],
    ["/a/./b/../c", "/a/c"],
    ["/%2F%2Fevil.com", "/%2F%2Fevil.com"]
  ])("keeps the same-origin path %j as %j", (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected)
  })

  it("refuses what is not a string", () => {
    expect(safeReturnTo(null)).toBeUndefined()
    expect(safeReturnTo(undefined)).toBeUndefined()
  })

  const risky = FastCheck.array(
    FastCheck.constantFrom("/", "\\", ".", "..", "//", "%2F", "%5C", "\t", "\n", " ", ":", "@", "evil.com", "https:", "?", "#", "a"),
    { maxLength: 8 }
  ).map((parts) => parts.join(""))

  it.prop("whatever it accepts stays on the app's origin, for any base", [FastCheck.oneof(risky, FastCheck.string())], ([value]) => {
    const path = safeReturnTo(value)
    if (path === undefined) return
    expect(path.startsWith("/")).toBe(true)
    expect(path.startsWith("//")).toBe(false)
    expect(/[\\\s]/.test(path)).toBe(false)
    for (const base of ["https://app.example.com", "http://127.0.0.1:3000/deep/path"]) {
      expect(new URL(path, base).origin).toBe(new URL(base).origin)
    }
  })
})

describe("createAuthHandler", () => {
  it("answers undefined for any other path or method, so the app handles it", async () => {
    const { client, logins } = stubClient()
    const handle = createAuthHandler(client)
    expect(await handle(get("/"))).toBeUndefined()
    expect(await handle(get("/auth/login/extra"))).toBeUndefined()
    expect(await handle(get("/auth/login", { method: "POST" }))).toBeUndefined()
    expect(await handle(get("/auth/login", { method: "HEAD" }))).toBeUndefined()
    expect(await handle(get("/auth/callback?code=c&state=s", { method: "HEAD" }))).toBeUndefined()
    expect(logins).toHaveLength(0)
  })

  it("redirects login to the authorize URL with the transaction cookie, keeping a safe returnTo in appState", async () => {
    const { client, logins } = stubClient()
    const handle = createAuthHandler(client, { authorizationParams: { screen_hint: "signup" } })
    const response = await handle(get("/auth/login?returnTo=%2Fprofile%3Ftab%3D1"))
    expect(response?.status).toBe(302)
    expect(response?.headers.get("location")).toBe("https://tenant.example.com/authorize?state=s")
    expect(response?.headers.get("cache-control")).toBe("no-store")
    expect(response?.headers.getSetCookie()).toEqual(["__a0_tx.s=1; Path=/; HttpOnly; SameSite=Lax"])
    expect(logins).toEqual([{ appState: { returnTo: "/profile?tab=1" }, authorizationParams: { screen_hint: "signup" } }])
  })

  it.each(OPEN_REDIRECTS)("login ignores returnTo=%j and uses the configured default", async (value) => {
    const { client, logins } = stubClient()
    const handle = createAuthHandler(client, { returnTo: "/home" })
    await handle(get(`/auth/login?returnTo=${encodeURIComponent(value)}`))
    expect(logins).toEqual([{ appState: { returnTo: "/home" } }])
  })

  it("callback redirects to the appState's returnTo, re-checked, so a tampered one lands on the default", async () => {
    let appState: unknown = { returnTo: "/profile" }
    const { client } = stubClient(async () => ({ appState }))
    const handle = createAuthHandler(client, { callbackPath: "/cb" })
    expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/profile")
    for (const evil of ["//evil.com", "https://evil.com", "/\\evil.com", 42]) {
      appState = { returnTo: evil }
      expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/")
    }
    appState = "not an object"
    expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/")
  })

  it("logout sends an absolute return URL: baseUrl (or the request's origin) plus a safe path", async () => {
    const { client, logouts } = stubClient()
    await createAuthHandler(client)(get("/auth/logout"))
    await createAuthHandler(client, { baseUrl: "https://public.example.com/ignored" })(get("/auth/logout?returnTo=/bye"))
    await createAuthHandler(client, { logoutReturnTo: "/signed-out" })(get("/auth/logout?returnTo=//evil.com", { method: "POST" }))
    expect(logouts).toEqual([`${APP}/`, "https://public.example.com/bye", `${APP}/signed-out`])
  })

  it("refuses unsafe options when it is built", () => {
    const { client } = stubClient()
    for (const options of [
      { returnTo: "https://evil.com" },
      { returnTo: "//evil.com" },
      { logoutReturnTo: "/\\evil.com" },
      { loginPath: "auth/login" },
      { callbackPath: "/cb?x=1" },
      { baseUrl: "javascript:alert(1)" },
      { baseUrl: "not a url" }
    ]) {
      expect(() => createAuthHandler(client, options), JSON.stringify(options)).toThrow(InvalidArgumentError)
    }
  })

  describe("failures", () => {
    const failWith = (error: unknown) => stubClient(() => Promise.reject(error)).client

    it("an unknown state is a 400 that names only the error's kind", async () => {
      const handle = createAuthHandler(failWith(new MissingTransactionError({ message: "No transaction for state \"<script>\"" })))
      const response = await handle(get("/auth/callback?code=c&state=%3Cscript%3E"))
      expect(response?.status).toBe(400)
      expect(response?.headers.get("content-type")).toBe("text/plain; charset=utf-8")
      const text = await response!.text()
      expect(text).toBe("Bad Request: callback failed (MissingTransactionError)")
    })

    it("a tenant failure is a 500 that says nothing of the cause, and is logged", async () => {
      const error = new TokenEndpointError({
        message: "invalid_client: client secret s3cr3t-value was rejected",
        status: 401,
        error: "invalid_client",
        errorDescription: "client secret s3cr3t-value was rejected"
      })
      const log = vi.spyOn(console, "error").mockImplementation(() => {})
      try {
        const response = await createAuthHandler(failWith(error))(get("/auth/callback?code=c&state=s"))
        expect(response?.status).toBe(500)
        expect(await response!.text()).toBe("Internal Server Error: callback failed")
        expect(log).toHaveBeenCalledOnce()
      } finally {
        log.mockRestore()
      }
    })

    it("a failed callback still sends the cookies the flow set (the consumed transaction's removal)", async () => {
      const client: AuthRoutesClient = {
        ...stubClient().client,
        handleCallback: async (_url, { headers }) => {
          headers.append("set-cookie", "__a0_tx.s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
          throw new TokenEndpointError({ message: "invalid_grant", status: 400, error: "invalid_grant", errorDescription: undefined })
        }
      }
      const response = await createAuthHandler(client)(get("/auth/callback?code=c&state=s"))
      expect(response?.status).toBe(400)
      expect(response?.headers.getSetCookie()).toEqual(["__a0_tx.s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"])
    })

    it("maps each kind to a status", () => {
      const tokenError = (error: string) => new TokenEndpointError({ message: error, status: 400, error, errorDescription: undefined })
      expect(statusOf(tokenError("invalid_grant"))).toBe(400)
      expect(statusOf(tokenError("invalid_client"))).toBe(500)
      expect(statusOf(new MissingSessionError({ message: "" }))).toBe(401)
      expect(statusOf(new TypeError("boom"))).toBe(500)
    })

    it("onError renders the response; if it throws, the default 500 is used", async () => {
      const error = new MissingTransactionError({ message: "gone" })
      const seen: Array<unknown> = []
      const handle = createAuthHandler(failWith(error), {
        onError: (e, { route, status }) => {
          seen.push([e, route, status])
          return new Response("custom", { status: 418 })
        }
      })
      expect((await handle(get("/auth/callback?code=c&state=s")))?.status).toBe(418)
      expect(seen).toEqual([[error, "callback", 400]])

      const log = vi.spyOn(console, "error").mockImplementation(() => {})
      try {
        const broken = createAuthHandler(failWith(error), { onError: () => { throw new Error("render failed") } })
        expect((await broken(get("/auth/callback?code=c&state=s")))?.status).toBe(500)
      } finally {
        log.mockRestore()
      }
    })
  })
})

describe("with the real facade and webCookieAdapter", () => {
  let emulator: Emulator
  let client: BaseServerClient<{ readonly request: Request; readonly headers: Headers }>

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [{ clientId: "web", clientSecret: "web-secret-0123456789", redirectUris: [`${APP}/auth/callback`] }]
    })
    client = new BaseServerClient({
      domain: emulator.origin,
      allowInsecureHttp: true,
      clientId: "web",
      clientSecret: "web-secret-0123456789",
      secret: "web-routes-secret-0123456789-abcdefghijkl",
      redirectUri: `${APP}/auth/callback`
    }, webCookieAdapter)
  })

  afterAll(async () => {
    await client?.dispose()
    await emulator?.stop()
  })

  it("keeps the app's own Set-Cookie next to ours, and replaces (not repeats) ours on a second call", async () => {
    const request = get("/anything")
    const headers = new Headers({ "set-cookie": "theme=dark; Path=/" })
    headers.append("set-cookie", "lang=en; Path=/")
    await client.startInteractiveLogin(undefined, { request, headers })
    const first = headers.getSetCookie()
    expect(first.slice(0, 2)).toEqual(["theme=dark; Path=/", "lang=en; Path=/"])
    expect(first.filter((c) => c.startsWith("__Host-a0_tx."))).toHaveLength(1)

    headers.append("set-cookie", "later=1; Path=/")
    await client.startInteractiveLogin(undefined, { request, headers })
    const second = headers.getSetCookie()
    expect(second.filter((c) => !c.startsWith("__Host-a0_tx."))).toEqual(["theme=dark; Path=/", "lang=en; Path=/", "later=1; Path=/"])
    // One request, one jar: both transactions are in it, each written once.
    expect(second.filter((c) => c.startsWith("__Host-a0_tx."))).toHaveLength(2)
  })

  it("a login through the handler carries the transaction cookie on the redirect (Secure by default)", async () => {
    const response = await createAuthHandler(client)(get("/auth/login"))
    expect(response?.status).toBe(302)
    expect(new URL(response!.headers.get("location")!).origin).toBe(emulator.origin)
    const [cookie, ...rest] = response!.headers.getSetCookie()
    expect(rest).toEqual([])
    expect(cookie).toMatch(/^__Host-a0_tx\.[^=]+=.+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax$/)
  })

  it("an unknown state through the handler is a 400, and the error is an Auth0Error", async () => {
    let seen: unknown
    const response = await createAuthHandler(client, {
      onError: (error, { status }) => {
        seen = error
        return new Response(null, { status })
      }
    })(get("/auth/callback?code=c&state=never-issued"))
    expect(response?.status).toBe(400)
    expect(seen).toBeInstanceOf(Auth0Error)
    expect(seen).toBeInstanceOf(MissingTransactionError)
  })
})
