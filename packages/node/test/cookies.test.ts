/**
 * The Node cookie adapter on a real node:http server: the Cookie header budget (a session that
 * would lock the user out with 431 is refused), `Cache-Control: private, no-store` on every
 * response that carries the SDK's cookies, and cookies that can no longer be written (headers
 * already sent) fail loudly instead of vanishing.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { StateStore } from "@auth0-effect/core/StateStore"
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { Auth0Error, ServerClient } from "../src/index.js"

/** A clock `offsetMillis` away from real time (to save a session as if it were an hour ago). */
const shiftedClock = (offsetMillis: number): Clock.Clock => {
  const real = Clock.make()
  const millis = () => real.unsafeCurrentTimeMillis() + offsetMillis
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
}

/** `length` base64url characters DEFLATE cannot shrink (seeded), so a session stays as large as asked. */
const incompressible = (length: number): string => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  let x = 0x2545f491
  let out = ""
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out += alphabet[x & 63]
  }
  return out
}

/** A session for `sub` whose ID token makes it about `bytes` long. */
const session = (sub: string, bytes: number, createdAt: number) => ({
  user: { sub },
  idToken: incompressible(bytes),
  tokenSets: [],
  connectionTokenSets: [],
  internal: { createdAt }
})

describe("Node cookie adapter on node:http", () => {
  let emulator: Emulator
  let server: Server
  let app: string
  let auth0: ServerClient
  /** The Cookie header of every request the server received. */
  const seen: Array<string> = []

  const send = (res: import("node:http").ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
  const describeError = (error: unknown) =>
    error instanceof Auth0Error ? { ...error, tag: error._tag, message: error.message } : { tag: "?" }

  /** Cookies by name, fed from Set-Cookie and sent back as a Cookie header, like a browser. */
  const makeBrowser = () => {
    const cookies = new Map<string, string>()
    const fetchApp = async (path: string) => {
      const response = await fetch(new URL(path, app), {
        redirect: "manual",
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") }
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
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    emulator = await startEmulator({
      clients: [{ clientId: "cookie-app", clientSecret: "cookie-app-secret", redirectUris: [`${app}/callback`] }]
    })
    auth0 = new ServerClient({
      domain: emulator.origin,
      allowInsecureHttp: true,
      clientId: "cookie-app",
      clientSecret: "cookie-app-secret",
      secret: "cookie-adapter-test-secret-0123456789abcdef",
      redirectUri: `${app}/callback`,
      cookie: { secure: false }
    })
    server.on("request", async (req, res) => {
      seen.push(req.headers.cookie ?? "")
      const url = new URL(req.url ?? "/", app)
      const storeOptions = { req, res }
      try {
        if (url.pathname === "/seed") {
          // Saves a session as the flows would, `ago` milliseconds in the past.
          const sub = url.searchParams.get("sub")!
          const ago = Number(url.searchParams.get("ago") ?? 0)
          const createdAt = Math.floor((Date.now() - ago) / 1000)
          const save = Effect.flatMap(StateStore, (store) => store.set(session(sub, Number(url.searchParams.get("bytes")), createdAt)))
          await auth0.run(Effect.withClock(save, shiftedClock(-ago)), storeOptions)
          return send(res, 200, { saved: sub })
        }
        if (url.pathname === "/me") {
          res.setHeader("cache-control", "public, max-age=600")
          const user = await auth0.getUser(storeOptions)
          return send(res, 200, user ?? null)
        }
        if (url.pathname === "/login") {
          return send(res, 200, { url: String(await auth0.startInteractiveLogin({}, storeOptions)) })
        }
        if (url.pathname === "/late-login") {
          res.writeHead(200, { "content-type": "application/json" })
          try {
            await auth0.startInteractiveLogin({}, storeOptions)
            res.end(JSON.stringify({ resolved: true }))
          } catch (error) {
            res.end(JSON.stringify(describeError(error)))
          }
          return
        }
        send(res, 404, null)
      } catch (error) {
        if (!res.headersSent) send(res, 500, describeError(error))
      }
    })
  })

  afterAll(async () => {
    await auth0?.dispose()
    await emulator?.stop()
    await new Promise((resolve) => server?.close(resolve))
  })

  it("a session never makes the next Cookie header exceed cookie.maxHeaderBytes; a larger one is a StoreError that keeps the previous session", async () => {
    const browser = makeBrowser()
    const outcomes: Array<string> = []
    let current: string | null = null
    for (const bytes of [500, 3_000, 5_000, 8_000, 14_000, 30_000, 1_000]) {
      const sub = `user-${bytes}`
      const saved = await browser.fetchApp(`/seed?sub=${sub}&bytes=${bytes}`)
      const body = await saved.json() as Record<string, unknown>
      if (saved.status === 200) {
        current = sub
        outcomes.push("saved")
      } else {
        outcomes.push("refused")
        expect(body["tag"]).toBe("StoreError")
        expect(body["reason"]).toBe("too_large")
        expect(body["message"]).toContain("cookie.maxHeaderBytes (8192)")
        expect(body["message"]).toContain("stateful store")
        expect(saved.headers.getSetCookie()).toEqual([])
      }
      const before = seen.length
      const me = await (await browser.fetchApp("/me")).json() as { sub: string } | null
      expect(me?.sub ?? null).toBe(current)
      expect(new TextEncoder().encode(seen[before]!).byteLength).toBeLessThanOrEqual(8192)
    }
    expect(outcomes).toEqual(["saved", "saved", "saved", "refused", "refused", "refused", "saved"])
  })

  it("transactions count towards the budget too: logins started next to a large session keep the header within it", async () => {
    const browser = makeBrowser()
    expect((await browser.fetchApp("/seed?sub=big&bytes=4500")).status).toBe(200)
    const statuses: Array<number> = []
    for (let i = 0; i < 10; i++) {
      const started = await browser.fetchApp("/login")
      statuses.push(started.status)
      const before = seen.length
      expect(((await (await browser.fetchApp("/me")).json()) as { sub: string }).sub).toBe("big")
      expect(new TextEncoder().encode(seen[before]!).byteLength).toBeLessThanOrEqual(8192)
    }
    expect(statuses.every((status) => status === 200)).toBe(true)
    // The oldest transactions made room: fewer than the 8 that would fit without a session.
    const transactions = [...browser.cookies.keys()].filter((name) => name.startsWith("__a0_tx."))
    expect(transactions.length).toBeGreaterThan(0)
    expect(transactions.length).toBeLessThan(8)
  })

  it("a rolling renewal answers with Cache-Control: private, no-store; a response without SDK cookies keeps the app's", async () => {
    const browser = makeBrowser()
    expect((await browser.fetchApp("/seed?sub=roller&bytes=10&ago=3600000")).status).toBe(200)
    const renewed = await browser.fetchApp("/me")
    expect(((await renewed.json()) as { sub: string }).sub).toBe("roller")
    expect(renewed.headers.getSetCookie().map((line) => line.slice(0, line.indexOf("=")))).toEqual(["__a0_session"])
    expect(renewed.headers.get("cache-control")).toBe("private, no-store")

    const plain = await browser.fetchApp("/me")
    expect(((await plain.json()) as { sub: string }).sub).toBe("roller")
    expect(plain.headers.getSetCookie()).toEqual([])
    expect(plain.headers.get("cache-control")).toBe("public, max-age=600")
  })

  it("startInteractiveLogin after res.writeHead rejects with InvalidArgumentError naming the cause, instead of losing the cookie", async () => {
    const response = await makeBrowser().fetchApp("/late-login")
    expect(response.headers.getSetCookie()).toEqual([])
    const body = await response.json() as Record<string, unknown>
    expect(body["tag"]).toBe("InvalidArgumentError")
    expect(body["argument"]).toBe("storeOptions")
    expect(body["message"]).toContain("headers were already sent")
    expect(body["message"]).toContain("res.writeHead")
  })
})
