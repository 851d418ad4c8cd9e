/**
 * The auth routes for Web-standard runtimes, with plain `Request` objects in Node: which requests
 * they take, no open redirects, errors that say little, and cookies written next to the app's.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import {
  Auth0Error,
  AuthorizationError,
  ConfigurationError,
  InvalidArgumentError,
  MissingSessionError,
  MissingTransactionError,
  StoreError,
  TokenEndpointError,
  TransportError
} from "../src/Errors.js"
import type { StartInteractiveLoginOptions } from "../src/Login.js"
import { BaseServerClient } from "../src/ServerClient.js"
import { webCookieAdapter } from "../src/WebCookies.js"
import { type AuthRoutesClient, createAuthHandler, safeReturnTo, statusOf } from "../src/WebRoutes.js"

const APP = "https://app.example.com"

/** A client that records what the routes ask of it; `callbackResult` decides the callback's outcome. */
const stubClient = (
  callbackResult: () => Promise<{ readonly appState: unknown }> = async () => ({ appState: undefined }),
  /** `null`: no redirectUri configured. */
  redirectUri: string | null = `${APP}/auth/callback`
) => {
  const logins: Array<StartInteractiveLoginOptions | undefined> = []
  const logouts: Array<string | undefined> = []
  const client: AuthRoutesClient = {
    redirectUri: redirectUri ?? undefined,
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

/** Records console.error and console.warn lines (silenced) until `restore`. */
const captureConsole = () => {
  const error: Array<string> = []
  const warn: Array<string> = []
  const spies = [
    vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void error.push(args.map(String).join(" "))),
    vi.spyOn(console, "warn").mockImplementation((...args: Array<unknown>) => void warn.push(args.map(String).join(" ")))
  ]
  return { error, warn, all: () => [...error, ...warn], restore: () => spies.forEach((spy) => spy.mockRestore()) }
}

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
  it("answers undefined for any other path, so the app handles it", async () => {
    const { client, logins } = stubClient()
    const handle = createAuthHandler(client)
    for (const path of ["/", "/auth/login/extra", "/auth/login/", "/AUTH/LOGIN", "/auth/%6Cogin", "//evil.example/auth/login"]) {
      expect(await handle(new Request(`${APP}${path}`)), path).toBeUndefined()
    }
    expect(logins).toHaveLength(0)
  })

  it("answers 405 with Allow on its paths for a method it does not serve, and runs no flow", async () => {
    const { client, logins, logouts } = stubClient()
    const handle = createAuthHandler(client)
    const cases: Array<readonly [string, string, string]> = [
      ["/auth/login", "POST", "GET"],
      ["/auth/login", "HEAD", "GET"],
      ["/auth/login", "OPTIONS", "GET"],
      ["/auth/callback?code=c&state=s", "HEAD", "GET"],
      ["/auth/callback?code=c&state=s", "POST", "GET"],
      ["/auth/logout", "GET", "POST"],
      ["/auth/logout", "DELETE", "POST"]
    ]
    for (const [path, method, allow] of cases) {
      const response = await handle(get(path, { method }))
      expect(response?.status, `${method} ${path}`).toBe(405)
      expect(response?.headers.get("allow")).toBe(allow)
      expect(response?.headers.getSetCookie()).toEqual([])
    }
    expect(logins).toHaveLength(0)
    expect(logouts).toHaveLength(0)
    const lenient = createAuthHandler(client, { allowLogoutGet: true })
    expect((await lenient(get("/auth/logout", { method: "PUT" })))?.headers.get("allow")).toBe("GET, POST")
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
    const { client } = stubClient(async () => ({ appState }), `${APP}/cb`)
    const handle = createAuthHandler(client)
    expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/profile")
    for (const evil of ["//evil.com", "https://evil.com", "/\\evil.com", 42]) {
      appState = { returnTo: evil }
      expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/")
    }
    appState = "not an object"
    expect((await handle(get("/cb?code=c&state=s")))?.headers.get("location")).toBe("/")
  })

  it("logout sends an absolute return URL from configuration: baseUrl, else redirectUri's origin, plus a safe path", async () => {
    const { client, logouts } = stubClient()
    const post = (path: string, init: RequestInit = {}) => get(path, { method: "POST", ...init })
    await createAuthHandler(client)(post("/auth/logout"))
    await createAuthHandler(client, { baseUrl: "https://public.example.com/ignored" })(post("/auth/logout?returnTo=/bye"))
    await createAuthHandler(client, { logoutReturnTo: "/signed-out" })(post("/auth/logout?returnTo=//evil.com"))
    expect(logouts).toEqual([`${APP}/`, "https://public.example.com/bye", `${APP}/signed-out`])
  })

  it("the logout return URL ignores the request's own origin (a Host header or a //host target)", async () => {
    const { client, logouts } = stubClient()
    const handle = createAuthHandler(client)
    // Bun and Deno build request.url from the Host header: the attacker picks it.
    await handle(new Request("http://evil.example/auth/logout", { method: "POST" }))
    await handle(new Request("http://evil.example:8080/auth/logout?returnTo=/x", { method: "POST" }))
    expect(logouts).toEqual([`${APP}/`, `${APP}/x`])
  })

  describe("logout CSRF (OWASP CSRF Prevention: Fetch Metadata, Origin)", () => {
    const attempt = async (init: RequestInit, options: { readonly allowLogoutGet?: boolean } = {}) => {
      const { client, logouts } = stubClient()
      const log = vi.spyOn(console, "warn").mockImplementation(() => {})
      try {
        const response = await createAuthHandler(client, options)(get("/auth/logout", init))
        return { status: response?.status, logouts: logouts.length, cookies: response?.headers.getSetCookie() ?? [] }
      } finally {
        log.mockRestore()
      }
    }

    it.each([
      ["a cross-site form POST", { "sec-fetch-site": "cross-site", origin: "https://evil.example" }],
      ["a sibling subdomain's POST", { "sec-fetch-site": "same-site", origin: "https://evil.app.example.com" }],
      ["a POST from another origin without Fetch Metadata", { origin: "https://evil.example" }],
      ["a POST from an opaque origin (sandboxed frame)", { origin: "null" }],
      ["a POST with a same-origin claim but a foreign Origin", { "sec-fetch-site": "same-origin", origin: "https://evil.example" }],
      ["a POST with two Sec-Fetch-Site values", [["sec-fetch-site", "same-origin"], ["sec-fetch-site", "cross-site"]]],
      ["a POST typed in the address bar (none)", { "sec-fetch-site": "none" }],
      ["the app's origin over another scheme", { origin: "http://app.example.com" }]
    ] as const)("refuses %s with 403 and keeps the session", async (_, headers) => {
      const result = await attempt({ method: "POST", headers: headers as HeadersInit })
      expect(result).toEqual({ status: 403, logouts: 0, cookies: [] })
    })

    it.each([
      ["a same-origin form POST", { "sec-fetch-site": "same-origin", origin: APP }],
      ["a POST without Fetch Metadata or Origin (curl, old browsers)", {}],
      ["a POST with only a matching Origin", { origin: APP }]
    ] as const)("accepts %s", async (_, headers) => {
      expect(await attempt({ method: "POST", headers })).toMatchObject({ status: 302, logouts: 1 })
    })

    it("GET is refused by default (405), and with allowLogoutGet a cross-site GET still is (403)", async () => {
      expect(await attempt({ method: "GET" })).toMatchObject({ status: 405, logouts: 0 })
      expect(await attempt({ method: "GET", headers: { "sec-fetch-site": "cross-site" } }, { allowLogoutGet: true }))
        .toMatchObject({ status: 403, logouts: 0 })
      expect(await attempt({ method: "GET", headers: { "sec-fetch-site": "same-origin" } }, { allowLogoutGet: true }))
        .toMatchObject({ status: 302, logouts: 1 })
      expect(await attempt({ method: "GET", headers: { "sec-fetch-site": "none" } }, { allowLogoutGet: true }))
        .toMatchObject({ status: 302, logouts: 1 })
    })
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

  it("refuses to be built without knowing the app's origin (no baseUrl, no redirectUri)", () => {
    const { client } = stubClient(undefined, null)
    expect(() => createAuthHandler(client)).toThrow(InvalidArgumentError)
    expect(() => createAuthHandler(client)).toThrow(/baseUrl.*redirectUri/)
    expect(createAuthHandler(client, { baseUrl: APP })).toBeTypeOf("function")
  })

  it("refuses a callbackPath that is not the path of redirectUri, naming both; by default it is that path", async () => {
    const { client } = stubClient(undefined, `${APP}/callback`)
    let thrown: unknown
    try {
      createAuthHandler(client, { callbackPath: "/auth/callback" })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError)
    expect((thrown as InvalidArgumentError).argument).toBe("callbackPath")
    expect((thrown as Error).message).toContain("/auth/callback")
    expect((thrown as Error).message).toContain(`${APP}/callback`)
    // Unset, it follows redirectUri, so the tenant's callback reaches it.
    const response = await createAuthHandler(client)(get("/callback?code=c&state=s"))
    expect(response?.status).toBe(302)
    expect(await createAuthHandler(client)(get("/auth/callback?code=c&state=s"))).toBeUndefined()
    // A redirect_uri in the routes' own authorizationParams is the one the login sends.
    expect(() => createAuthHandler(client, { authorizationParams: { redirect_uri: `${APP}/other` }, callbackPath: "/callback" }))
      .toThrow(InvalidArgumentError)
  })

  it("never rejects, whatever the request, and answers only its own paths", async () => {
    const { client } = stubClient()
    const handle = createAuthHandler(client)
    const logs = captureConsole()
    const methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "M-SEARCH", "PURGE", "x"]
    const paths = FastCheck.oneof(
      FastCheck.constantFrom("/auth/login", "/auth/callback", "/auth/logout", "/"),
      FastCheck.webPath(),
      FastCheck.string().map((s) => `/${encodeURIComponent(s)}`)
    )
    const query = FastCheck.oneof(FastCheck.constant(""), FastCheck.webQueryParameters().map((q) => `?${q}`))
    const headers = FastCheck.dictionary(
      FastCheck.constantFrom("origin", "sec-fetch-site", "cookie", "host", "x-forwarded-host"),
      FastCheck.string({ unit: FastCheck.constantFrom("a", "/", ":", ";", "=", " ", "null", "%", "\\") })
    )
    await FastCheck.assert(
      FastCheck.asyncProperty(FastCheck.constantFrom(...methods), paths, query, headers, async (method, path, q, h) => {
        const request = new Request(`${APP}${path}${q}`, { method, headers: h })
        const response = await handle(request)
        const pathname = new URL(request.url).pathname
        const ours = ["/auth/login", "/auth/callback", "/auth/logout"].includes(pathname)
        expect(response === undefined).toBe(!ours)
        if (response !== undefined) expect([302, 400, 403, 405, 500]).toContain(response.status)
      }),
      { numRuns: 300 }
    ).finally(logs.restore)
  })

  describe("failures", () => {
    const failWith = (error: unknown) => stubClient(() => Promise.reject(error)).client

    it("an unknown state is a 400 that names only the error's kind, and logs a warning with a hint", async () => {
      const logs = captureConsole()
      try {
        const handle = createAuthHandler(failWith(new MissingTransactionError({ message: "No transaction for state \"<script>\"" })))
        const response = await handle(get("/auth/callback?code=c&state=%3Cscript%3E"))
        expect(response?.status).toBe(400)
        expect(response?.headers.get("content-type")).toBe("text/plain; charset=utf-8")
        const text = await response!.text()
        expect(text).toBe("Bad Request: callback failed (MissingTransactionError)")
        expect(logs.error).toEqual([])
        expect(logs.warn).toEqual([
          "auth0-effect: callback failed: MissingTransactionError (the login's transaction cookie did not come back; the error's message lists the likely causes)"
        ])
      } finally {
        logs.restore()
      }
    })

    it("a tenant failure is a 500 that says nothing of the cause, and logs the tag, the OAuth error and a hint, not the message", async () => {
      const error = new TokenEndpointError({
        message: "invalid_client: client secret s3cr3t-value was rejected",
        status: 401,
        error: "invalid_client",
        errorDescription: "client secret s3cr3t-value was rejected"
      })
      const logs = captureConsole()
      try {
        const response = await createAuthHandler(failWith(error))(get("/auth/callback?code=c&state=s"))
        expect(response?.status).toBe(500)
        expect(await response!.text()).toBe("Internal Server Error: callback failed")
        expect(logs.error).toEqual([
          "auth0-effect: callback failed: TokenEndpointError invalid_client (check clientId and clientSecret, or the client assertion key)"
        ])
      } finally {
        logs.restore()
      }
    })

    it.each([
      [
        "a transport failure whose message quotes a secret",
        new TransportError({ message: "POST https://t/oauth/token: client_secret=s3cr3t-value refused", method: "POST", url: "https://t/oauth/token", reason: "unreachable" }),
        "auth0-effect: login failed: TransportError unreachable (check domain and that the tenant is reachable)"
      ],
      [
        "a configuration error (its field, not its value)",
        new ConfigurationError({ field: "clientSecret", message: "clientSecret s3cr3t-value is not a string" }),
        "auth0-effect: login failed: ConfigurationError field=clientSecret (check the option named by the error's field)"
      ],
      [
        "a store error (its reason)",
        new StoreError({ reason: "too_large", message: "session for s3cr3t-value too large" }),
        "auth0-effect: login failed: StoreError too_large (check the session store)"
      ],
      ["a plain exception (its name only)", new TypeError("s3cr3t-value is not a function"), "auth0-effect: login failed: TypeError"],
      ["a thrown string", "s3cr3t-value", "auth0-effect: login failed: Error"]
    ])("logs %s without its message", async (_, error, line) => {
      const logs = captureConsole()
      try {
        const client = { ...stubClient().client, startInteractiveLogin: () => Promise.reject(error) }
        expect((await createAuthHandler(client)(get("/auth/login")))?.status).toBe(500)
        expect(logs.error).toEqual([line])
        expect(logs.all().join("\n")).not.toContain("s3cr3t")
      } finally {
        logs.restore()
      }
    })

    it("a forged callback error cannot write its own log lines (only RFC 6749 error characters are printed)", async () => {
      const logs = captureConsole()
      try {
        for (const code of ["access_denied\nauth0-effect: login ok for admin", "x".repeat(65), "a\"b"]) {
          const error = new AuthorizationError({ error: code, errorDescription: undefined, message: code })
          await createAuthHandler(failWith(error))(get("/auth/callback?error=x&state=s"))
        }
        const error = new AuthorizationError({ error: "access_denied", errorDescription: "no", message: "no" })
        await createAuthHandler(failWith(error))(get("/auth/callback?error=access_denied&state=s"))
        expect(logs.warn).toEqual([
          "auth0-effect: callback failed: AuthorizationError",
          "auth0-effect: callback failed: AuthorizationError",
          "auth0-effect: callback failed: AuthorizationError",
          "auth0-effect: callback failed: AuthorizationError access_denied (the user or a rule denied the login)"
        ])
      } finally {
        logs.restore()
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
