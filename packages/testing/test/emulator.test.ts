import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { it as effectIt } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EmulatorService, startEmulator, type Emulator } from "../src/index.js"
import { loginAs, refresh } from "./helpers.js"

/** A local app endpoint that records what it receives. */
const startReceiver = async (status = 200) => {
  const received: Array<{ contentType: string | undefined; body: string }> = []
  const server = createServer((req: IncomingMessage, res) => {
    let body = ""
    req.on("data", (c: Buffer) => (body += c.toString()))
    req.on("end", () => {
      received.push({ contentType: req.headers["content-type"], body })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

describe("back-channel logout", () => {
  let emulator: Emulator
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  beforeAll(async () => {
    receiver = await startReceiver(204)
    emulator = await startEmulator({
      clients: [{ clientId: "app", clientSecret: "s", redirectUris: ["http://127.0.0.1:3000/cb"], backchannelLogoutUri: receiver.url }]
    })
  })
  afterAll(async () => {
    await emulator.stop()
    await receiver.close()
  })

  it("POSTs a form-encoded logout_token that verifies against the JWKS (OpenID Back-Channel Logout 1.0 §2.4)", async () => {
    const status = await emulator.sendBackchannelLogout({ sub: "auth0|1", sid: "sid-1" })
    expect(status).toBe(204)
    const delivery = receiver.received.at(-1)!
    expect(delivery.contentType).toBe("application/x-www-form-urlencoded")
    const token = new URLSearchParams(delivery.body).get("logout_token")!
    const jwks = jose.createRemoteJWKSet(new URL(`${emulator.origin}/.well-known/jwks.json`))
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer: emulator.issuer, audience: "app", typ: "logout+jwt" })
    expect(protectedHeader.alg).toBe("RS256")
    expect(payload.sub).toBe("auth0|1")
    expect(payload["sid"]).toBe("sid-1")
    expect(payload["events"]).toEqual({ "http://schemas.openid.net/event/backchannel-logout": {} })
    expect(typeof payload.jti).toBe("string")
    expect(payload["nonce"]).toBeUndefined()
  })

  it("makeLogoutToken builds broken tokens on request", async () => {
    const jwks = jose.createRemoteJWKSet(new URL(`${emulator.origin}/.well-known/jwks.json`))
    const expired = await emulator.makeLogoutToken({ sid: "s", expiresIn: -60 })
    await expect(jose.jwtVerify(expired, jwks, { issuer: emulator.issuer, audience: "app" })).rejects.toThrow(/exp/)
    const wrongAud = await emulator.makeLogoutToken({ sid: "s", aud: "other" })
    await expect(jose.jwtVerify(wrongAud, jwks, { issuer: emulator.issuer, audience: "app" })).rejects.toThrow(/aud/)
    const foreign = await emulator.makeLogoutToken({ sid: "s", foreignKey: true })
    await expect(jose.jwtVerify(foreign, jwks)).rejects.toThrow()
    const withNonce = jose.decodeJwt(await emulator.makeLogoutToken({ sid: "s", nonce: "n", events: null, jti: null }))
    expect(withNonce["nonce"]).toBe("n")
    expect(withNonce["events"]).toBeUndefined()
    expect(withNonce.jti).toBeUndefined()
    expect(jose.decodeProtectedHeader(await emulator.makeLogoutToken({ sid: "s", typ: null })).typ).toBeUndefined()
    const extra = jose.decodeJwt(await emulator.makeLogoutToken({ sid: "s", aud: ["a", "b"], azp: "a", nbf: 5 }))
    expect(extra).toMatchObject({ aud: ["a", "b"], azp: "a", nbf: 5 })
    expect(jose.decodeJwt(await emulator.makeLogoutToken({ sid: "s", iss: "https://evil/" })).iss).toBe("https://evil/")
  })

  it("reports the app's status and refuses a token without sub or sid", async () => {
    const failing = await startReceiver(400)
    const other = await startEmulator({ clients: [{ clientId: "x", redirectUris: ["http://127.0.0.1/cb"], backchannelLogoutUri: failing.url }] })
    try {
      expect(await other.sendBackchannelLogout({ sid: "s" })).toBe(400)
      await expect(other.sendBackchannelLogout({})).rejects.toThrow(/sub, sid/)
    } finally {
      await other.stop()
      await failing.close()
    }
  })
})

describe("faults and counters", () => {
  let emulator: Emulator
  let refreshToken: string
  beforeAll(async () => {
    emulator = await startEmulator()
    await emulator.createUser({ email: "ada@example.com" })
    refreshToken = (await loginAs(emulator, "ada@example.com")).tokens.refresh_token!
  })
  afterAll(() => emulator.stop())

  it("counts requests per path and per grant_type, and resets", async () => {
    emulator.resetCounts()
    await refresh(emulator, refreshToken)
    await refresh(emulator, refreshToken)
    await fetch(`${emulator.origin}/.well-known/openid-configuration`)
    expect(emulator.requestCount("/oauth/token")).toBe(2)
    expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(2)
    expect(emulator.requestCount("/oauth/token", "authorization_code")).toBe(0)
    expect(emulator.requestCount("/.well-known/openid-configuration")).toBe(1)
    emulator.resetCounts()
    expect(emulator.requestCount("/oauth/token")).toBe(0)
  })

  it("fails the next `times` requests with the given status, then recovers", async () => {
    emulator.fault("/oauth/token", { times: 2, status: 503 })
    expect((await refresh(emulator, refreshToken)).status).toBe(503)
    expect((await refresh(emulator, refreshToken)).status).toBe(503)
    expect((await refresh(emulator, refreshToken)).status).toBe(200)
  })

  it("serves a malformed body with the given content type", async () => {
    emulator.fault("/oauth/token", { status: 200, body: "{not json", contentType: "application/json; charset=utf-8" })
    const response = await refresh(emulator, refreshToken)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8")
    await expect(response.json()).rejects.toThrow()
  })

  it("delays a request and then serves it normally", async () => {
    emulator.fault("/.well-known/jwks.json", { delayMs: 300 })
    const started = Date.now()
    const response = await fetch(`${emulator.origin}/.well-known/jwks.json`)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    expect(response.status).toBe(200)
    const fast = Date.now()
    await fetch(`${emulator.origin}/.well-known/jwks.json`)
    expect(Date.now() - fast).toBeLessThan(250)
  })

  it("matches endpoint prefixes on path segments", async () => {
    emulator.fault("/me/v1/connected-accounts/accounts", { status: 500, body: "boom", contentType: "text/plain" })
    expect((await fetch(`${emulator.origin}/me/v1/connected-accounts/connections`)).status).toBe(401)
    const hit = await fetch(`${emulator.origin}/me/v1/connected-accounts/accounts/cac_1`, { method: "DELETE" })
    expect(hit.status).toBe(500)
    expect(await hit.text()).toBe("boom")
  })
})

describe("isolation and loopback", () => {
  it("refuses a non-loopback host", async () => {
    await expect(startEmulator({ host: "0.0.0.0" })).rejects.toThrow(/loopback/)
    await expect(startEmulator({ host: "192.168.1.10" })).rejects.toThrow(/loopback/)
  })

  it("two emulators at once are independent tenants", async () => {
    const [a, b] = await Promise.all([startEmulator(), startEmulator()])
    try {
      expect(a.origin).not.toBe(b.origin)
      await a.createUser({ email: "same@example.com", sub: "auth0|same" })
      await b.createUser({ email: "same@example.com", sub: "auth0|same" })
      const { tokens } = await loginAs(a, "same@example.com")
      expect((await refresh(a, tokens.refresh_token!)).status).toBe(200)
      // b's client has another secret and never issued this token.
      expect((await refresh(b, tokens.refresh_token!)).status).toBe(403)
      a.fault("/oauth/token", { status: 500 })
      expect((await refresh(b, tokens.refresh_token!)).status).toBe(403)
      expect(a.requestCount("/oauth/token")).toBe(2)
      expect(b.requestCount("/oauth/token")).toBe(2)
      const aKeys = (await (await fetch(`${a.origin}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }
      const bKeys = (await (await fetch(`${b.origin}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }
      expect(aKeys.keys[0]!.kid).not.toBe(bKeys.keys[0]!.kid)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it("serves a login page that a browser can post", async () => {
    const emulator = await startEmulator()
    try {
      await emulator.createUser({ email: "ada@example.com" })
      const authorize = `${emulator.origin}/authorize?response_type=code&client_id=${emulator.clientId}&redirect_uri=${encodeURIComponent("http://127.0.0.1:3000/auth/callback")}&scope=openid%20offline_access&code_challenge=${"a".repeat(43)}&code_challenge_method=S256&state=s`
      const first = await fetch(authorize, { redirect: "manual" })
      expect(first.status).toBe(303)
      const cookie = first.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ")
      const page = await fetch(new URL(first.headers.get("location")!, emulator.origin), { headers: { cookie } })
      const html = await page.text()
      expect(page.status).toBe(200)
      expect(html).toContain('name="user"')
      expect(html).toContain("ada@example.com")
      // Submit the form like a browser would, following redirects with cookies, up to the app's callback.
      const jar = new Map(first.headers.getSetCookie().map((c) => c.split(";")[0]!.split("=") as [string, string]))
      const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ")
      let response = await fetch(page.url, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: cookies(), "content-type": "application/x-www-form-urlencoded" },
        body: "user=ada%40example.com&action=login"
      })
      let location = new URL(response.headers.get("location") ?? "", emulator.origin)
      for (let hop = 0; hop < 10 && location.origin === emulator.origin; hop++) {
        for (const c of response.headers.getSetCookie()) {
          const [k, v = ""] = c.split(";")[0]!.split("=")
          jar.set(k!, v)
        }
        response = await fetch(location, { redirect: "manual", headers: { cookie: cookies() } })
        expect(response.status).toBe(303)
        location = new URL(response.headers.get("location")!, emulator.origin)
      }
      const callback = location
      expect(callback.origin + callback.pathname).toBe("http://127.0.0.1:3000/auth/callback")
      expect(callback.searchParams.get("code")).toBeTruthy()
      expect(callback.searchParams.get("state")).toBe("s")
    } finally {
      await emulator.stop()
    }
  })
})

describe("EmulatorService.layer", () => {
  effectIt.live("provides a running emulator and stops it when the scope closes", () =>
    Effect.gen(function* () {
      let origin = ""
      yield* Effect.gen(function* () {
        const emulator = yield* EmulatorService
        origin = emulator.origin
        const response = yield* Effect.promise(() => fetch(`${emulator.origin}/.well-known/openid-configuration`))
        expect(response.status).toBe(200)
      }).pipe(Effect.provide(EmulatorService.layer()))
      const after = yield* Effect.promise(() => fetch(`${origin}/.well-known/openid-configuration`).then(() => "up", () => "down"))
      expect(after).toBe("down")
    })
  )

  effectIt.live("fails with EmulatorStartError for a non-loopback host", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.provide(EmulatorService, EmulatorService.layer({ host: "0.0.0.0" })))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain("EmulatorStartError")
    })
  )
})
