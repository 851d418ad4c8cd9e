/**
 * The middleware's contract with Hono, in process (`app.request`) against the emulator: the
 * typing of `c.var.auth0`, a failed route's cookies on whatever `app.onError` returns, Hono's
 * default error handler, a client resolved from the context, `routes: false`, and options
 * checked when the middleware is built.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Hono } from "hono"
import {
  type Auth0Env,
  Auth0RouteError,
  auth0,
  InvalidArgumentError,
  MissingTransactionError,
  type RequestAuth0,
  requireAuth,
  ServerClient
} from "../src/index.js"

const ORIGIN = "http://127.0.0.1:3999"
let emulator: Emulator
let client: ServerClient

beforeAll(async () => {
  emulator = await startEmulator({ clients: [{ clientId: "mw", clientSecret: "mw-client-secret-0123456789", redirectUris: [`${ORIGIN}/auth/callback`] }] })
  await emulator.createUser({ email: "ada@example.com" })
  client = new ServerClient(emulator.sdkOptions({ clientId: "mw", redirectUri: `${ORIGIN}/auth/callback` }))
})
afterAll(async () => {
  await client?.dispose()
  await emulator?.stop()
})

const cookieHeader = (setCookies: ReadonlyArray<string>) =>
  setCookies.map((line) => line.split(";")[0]).join("; ")

/** Starts a login through `app`, has the user deny consent, and returns the callback request's answer and state. */
const deniedCallback = async (app: Hono<Auth0Env>) => {
  const start = await app.request(`${ORIGIN}/auth/login`)
  expect(start.status).toBe(302)
  const state = new URL(start.headers.get("location") ?? "").searchParams.get("state")
  const callback = await emulator.login(start.headers.get("location") ?? "", { user: "ada@example.com", consent: false })
  const response = await app.request(callback, { headers: { cookie: cookieHeader(start.headers.getSetCookie()) } })
  return { response, state }
}

describe("auth0() middleware", () => {
  it("types c.var.auth0 and c.get('auth0') through the app's Env", () => {
    const app = new Hono<Auth0Env>()
    app.use(auth0({ client }))
    app.get("/", (c) => {
      expectTypeOf(c.var.auth0).toEqualTypeOf<RequestAuth0>()
      expectTypeOf(c.get("auth0").getUser).returns.resolves.toEqualTypeOf<Awaited<ReturnType<ServerClient["getUser"]>>>()
      return c.text("ok")
    })
    // Also without declaring the Env: the middleware's type flows into the route.
    new Hono().use(auth0({ client })).get("/", (c) => {
      expectTypeOf(c.var.auth0).toEqualTypeOf<RequestAuth0>()
      return c.text("ok")
    })
  })

  const removesTransaction = (response: Response, state: string | null) =>
    response.headers.getSetCookie().some((c) => c.startsWith(`__a0_tx.${state}=`) && /max-age=0/i.test(c))

  it("passes app.onError the typed error; a response built with c, or err.getResponse(), keeps the failed flow's cookies", async () => {
    const seen: Array<unknown> = []
    const withContext = new Hono<Auth0Env>()
    withContext.use(auth0({ client }))
    withContext.onError((error, c) => {
      seen.push(error)
      return c.text("custom", 418)
    })
    const first = await deniedCallback(withContext)
    expect(first.response.status).toBe(418)
    expect(await first.response.text()).toBe("custom")
    expect(removesTransaction(first.response, first.state)).toBe(true)
    expect(seen).toHaveLength(1)
    const error = seen[0] as Auth0RouteError
    expect(error).toBeInstanceOf(Auth0RouteError)
    expect(error.route).toBe("callback")
    expect(error.status).toBe(400)
    expect(error.cookies.some((c) => c.startsWith(`__a0_tx.${first.state}=`))).toBe(true)

    const viaException = new Hono<Auth0Env>()
    viaException.use(auth0({ client }))
    viaException.onError((error) => (error as Auth0RouteError).getResponse())
    const second = await deniedCallback(viaException)
    expect(second.response.status).toBe(400)
    expect(removesTransaction(second.response, second.state)).toBe(true)
  })

  it("behind other middleware, even a bare Response from app.onError gets the cookies (Hono merges the context's headers)", async () => {
    const app = new Hono<Auth0Env>()
    app.use(async (_c, next) => next())
    app.use(auth0({ client }))
    app.onError(() => new Response("bare", { status: 400 }))
    const { response, state } = await deniedCallback(app)
    expect(response.status).toBe(400)
    expect(removesTransaction(response, state)).toBe(true)
  })

  it("without app.onError, Hono's default handler answers with the error's status and kind only", async () => {
    const app = new Hono<Auth0Env>()
    app.use(auth0({ client }))
    const response = await app.request(`${ORIGIN}/auth/callback?code=forged&state=nope`)
    expect(response.status).toBe(400)
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await response.text()).toBe("Bad Request: callback failed (MissingTransactionError)")

    let cause: unknown
    const withHandler = new Hono<Auth0Env>()
    withHandler.use(auth0({ client }))
    withHandler.onError((error, c) => {
      cause = error.cause
      return c.text("x", 400)
    })
    await withHandler.request(`${ORIGIN}/auth/callback?code=forged&state=nope`)
    expect(cause).toBeInstanceOf(MissingTransactionError)
  })

  it("a refused back-channel logout is the routes' OAuth error JSON: app.onError never sees it", async () => {
    const seen: Array<unknown> = []
    const app = new Hono<Auth0Env>()
    app.use(auth0({ client }))
    app.onError((error, c) => {
      seen.push(error)
      return c.text("page", 400)
    })
    const response = await app.request(`${ORIGIN}/auth/backchannel-logout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "logout_token=not-a-jwt"
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "the logout token was refused" })
    expect(seen).toEqual([])
  })

  it("a failed route with 500: the text names no error kind", () => {
    const error = new Auth0RouteError("callback", new MissingTransactionError({ message: "secret detail" } as never), 500)
    expect(error.message).toBe("Internal Server Error: callback failed")
    expect(error.message).not.toContain("secret")
  })

  it("resolves the client from the context per request (Workers' c.env), building the routes once per client", async () => {
    let calls = 0
    const app = new Hono<Auth0Env & { Bindings: { client: ServerClient } }>()
    app.use(auth0({ client: (c) => (calls++, (c.env as { client: ServerClient }).client) }))
    app.get("/who", async (c) => c.json({ user: (await c.var.auth0.getUser()) ?? null }))
    const login = await app.request(`${ORIGIN}/auth/login`, {}, { client })
    expect(login.status).toBe(302)
    const who = await app.request(`${ORIGIN}/who`, {}, { client })
    expect(await who.json()).toEqual({ user: null })
    expect(calls).toBe(2)
  })

  it("routes: false mounts no route; loginUrl still names the login path for the guard", async () => {
    const app = new Hono<Auth0Env>()
    app.use(auth0({ client, routes: false }))
    app.get("/page", requireAuth({ mode: "page" }), (c) => c.text("page"))
    expect((await app.request(`${ORIGIN}/auth/login`)).status).toBe(404)
    const page = await app.request(`${ORIGIN}/page`)
    expect(page.status).toBe(302)
    expect(page.headers.get("location")).toBe("/auth/login?returnTo=%2Fpage")

    const custom = new Hono<Auth0Env>()
    custom.use(auth0({ client, routes: { loginPath: "/signin" } }))
    custom.get("/page", requireAuth({ mode: "page" }), (c) => c.text("page"))
    expect((await custom.request(`${ORIGIN}/page`)).headers.get("location")).toBe("/signin?returnTo=%2Fpage")
    expect((await custom.request(`${ORIGIN}/signin`)).status).toBe(302)
  })

  it("refuses bad route options when it is built", () => {
    expect(() => auth0({ client, routes: { loginPath: "https://evil.example/login" } })).toThrow(InvalidArgumentError)
    expect(() => auth0({ client, routes: { callbackPath: "/elsewhere" } })).toThrow(InvalidArgumentError)
  })

  it("requireAuth() without auth0() before it is a programming error for app.onError", async () => {
    const app = new Hono()
    app.get("/x", requireAuth(), (c) => c.text("x"))
    app.onError((error, c) => c.text(error.message, 500))
    const response = await app.request(`${ORIGIN}/x`)
    expect(response.status).toBe(500)
    expect(await response.text()).toContain("needs the auth0() middleware")
  })
})
