/**
 * What the framework suites share: the Express ones here and packages/fastify/test, by relative
 * path (both frameworks sit on @auth0-effect/node, whose ServerClient this module builds). The
 * emulator with one app client (back-channel logout URI included, a refresh policy for the My
 * Account API), a client with a stateful session store (back-channel logout must find sessions),
 * and a cookie-carrying browser over fetch.
 */
import { createServer, type RequestListener, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { StateStore } from "@auth0-effect/core/StateStore"
import { ServerClient } from "@auth0-effect/node"
import { startEmulator, type Emulator } from "@auth0-effect/testing"

export const USER = { email: "nia@example.com", name: "Nia" }
export const GOOGLE_SCOPES = ["openid", "email", "https://www.googleapis.com/auth/calendar.readonly"]

export interface Peers {
  readonly emulator: Emulator
  readonly server: Server
  readonly app: string
  readonly auth0: ServerClient
  readonly sub: string
  /** Sets what answers the server's requests (the framework's handler). */
  readonly serve: (listener: RequestListener) => void
  readonly stop: () => Promise<void>
}

/** A node:http server on 127.0.0.1 (its handler set later), the emulator, and the SDK client. */
export const startPeers = async (): Promise<Peers> => {
  let listener: RequestListener = (_, res) => void res.writeHead(503).end()
  const server = createServer((req, res) => listener(req, res))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const emulator = await startEmulator({
    clients: [{
      clientId: "fw-app",
      clientSecret: "fw-app-secret",
      redirectUris: [`${app}/auth/callback`],
      postLogoutRedirectUris: [`${app}/`],
      backchannelLogoutUri: `${app}/auth/backchannel-logout`,
      refreshTokenPolicies: [{
        audience: "{origin}/me/",
        scopes: ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
      }]
    }]
  })
  const { sub } = await emulator.createUser(USER)
  const auth0 = new ServerClient({
    domain: emulator.origin,
    allowInsecureHttp: true,
    clientId: "fw-app",
    clientSecret: "fw-app-secret",
    secret: "framework-test-secret-0123456789abcdef",
    redirectUri: `${app}/auth/callback`,
    cookie: { secure: false },
    sessionStore: StateStore.memory
  })
  return {
    emulator,
    server,
    app,
    auth0,
    sub,
    serve: (next) => {
      listener = next
    },
    stop: async () => {
      await auth0.dispose()
      await emulator.stop()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

/** Cookies by name, fed from Set-Cookie and sent back as a Cookie header, like a browser. */
export const makeBrowser = (app: string) => {
  const cookies = new Map<string, string>()
  const request = async (path: string, init: RequestInit = {}) => {
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
  return { cookies, request }
}

export type Browser = ReturnType<typeof makeBrowser>

/** Logs in through the app's login route and the emulator; resolves with where the callback redirected. */
export const logIn = async (peers: Peers, browser: Browser, query = "") => {
  const start = await browser.request(`/auth/login${query}`)
  if (start.status !== 302) throw new Error(`login answered ${start.status}`)
  const callback = await peers.emulator.login(start.headers.get("location")!, { user: USER.email })
  const done = await browser.request(new URL(callback).pathname + new URL(callback).search)
  return { status: done.status, location: done.headers.get("location") }
}
