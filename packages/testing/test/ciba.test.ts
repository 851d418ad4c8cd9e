import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator } from "../src/index.js"
import { API } from "./helpers.js"

const CIBA_GRANT = "urn:openid:params:grant-type:ciba"

describe("CIBA at /bc-authorize (poll mode)", () => {
  let emulator: Emulator
  let sub: string
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>

  const hint = (s: string, iss = emulator.issuer) => JSON.stringify({ format: "iss_sub", iss, sub: s })
  const authorize = (params: Record<string, string>, secret = "app-secret") =>
    fetch(`${emulator.origin}/bc-authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "app", client_secret: secret, ...params }).toString()
    })
  const poll = (authReqId: string) =>
    fetch(`${emulator.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: authReqId, client_id: "app", client_secret: "app-secret" }).toString()
    })
  const start = async (params: Record<string, string> = {}) => {
    const response = await authorize({ scope: "openid profile", binding_message: "ABC-123", login_hint: hint(sub), ...params })
    expect(response.status).toBe(200)
    return (await response.json()) as { auth_req_id: string; expires_in: number; interval: number }
  }

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: ["http://127.0.0.1:3000/cb"] }],
      apis: [{ audience: API, scopes: ["read:data", "transfer:funds"] }],
      ciba: { intervalSeconds: 2 }
    })
    sub = (await emulator.createUser({ email: "ada@example.com", name: "Ada" })).sub
    jwks = jose.createRemoteJWKSet(new URL(`${emulator.origin}/.well-known/jwks.json`))
  })
  afterAll(() => emulator.stop())

  it("advertises the endpoint and poll mode in discovery", async () => {
    const discovery = (await (await fetch(`${emulator.origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(discovery["backchannel_authentication_endpoint"]).toBe(`${emulator.origin}/bc-authorize`)
    expect(discovery["backchannel_token_delivery_modes_supported"]).toEqual(["poll"])
    expect(discovery["grant_types_supported"]).toContain(CIBA_GRANT)
  })

  it("answers auth_req_id, expires_in and interval; polls are pending until the user approves, then tokens", async () => {
    const started = await start({ requested_expiry: "120" })
    expect(started.interval).toBe(2)
    expect(started.expires_in).toBe(120)
    const listed = emulator.pendingBackchannelRequests().find((r) => r.authReqId === started.auth_req_id)
    expect(listed).toMatchObject({ sub, clientId: "app", bindingMessage: "ABC-123", scope: "openid profile" })

    const pending = await poll(started.auth_req_id)
    expect(pending.status).toBe(400)
    expect(((await pending.json()) as { error: string }).error).toBe("authorization_pending")

    await emulator.approveBackchannel(started.auth_req_id)
    expect(emulator.pendingBackchannelRequests().some((r) => r.authReqId === started.auth_req_id)).toBe(false)
    const done = await poll(started.auth_req_id)
    expect(done.status).toBe(200)
    const tokens = (await done.json()) as { access_token: string; id_token: string; scope: string }
    const { payload } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: emulator.issuer, audience: "app" })
    expect(payload.sub).toBe(sub)
    expect(payload["name"]).toBe("Ada")

    // Single use: the request is consumed by the successful poll.
    const again = await poll(started.auth_req_id)
    expect(((await again.json()) as { error: string }).error).toBe("invalid_grant")
  })

  it("finds the pending request by user (email) and issues an API token with authorization_details", async () => {
    const details = [{ type: "money_transfer", amount: 100, currency: "EUR" }]
    const started = await start({ scope: "openid transfer:funds", audience: API, authorization_details: JSON.stringify(details) })
    expect(emulator.pendingBackchannelRequests().find((r) => r.authReqId === started.auth_req_id)?.authorizationDetails).toEqual(details)
    await emulator.approveBackchannel({ user: "ada@example.com" })
    const tokens = (await (await poll(started.auth_req_id)).json()) as { access_token: string; authorization_details: unknown }
    expect(tokens.authorization_details).toEqual(details)
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: emulator.issuer, audience: API })
    expect(payload.scope).toContain("transfer:funds")
  })

  it("a denied request polls as access_denied", async () => {
    const started = await start()
    await emulator.denyBackchannel({ user: sub })
    const denied = await poll(started.auth_req_id)
    expect(denied.status).toBe(400)
    expect(((await denied.json()) as { error: string }).error).toBe("access_denied")
  })

  it("slowDownBackchannelPolls makes the next polls answer slow_down", async () => {
    const started = await start()
    emulator.slowDownBackchannelPolls(2)
    for (let i = 0; i < 2; i++) {
      expect(((await (await poll(started.auth_req_id)).json()) as { error: string }).error).toBe("slow_down")
    }
    expect(((await (await poll(started.auth_req_id)).json()) as { error: string }).error).toBe("authorization_pending")
  })

  it("refuses bad client credentials, login hints, binding messages and authorization_details", async () => {
    const wrongSecret = await authorize({ scope: "openid", binding_message: "x", login_hint: hint(sub) }, "nope")
    expect(wrongSecret.status).toBe(401)
    const cases: Array<[Record<string, string>, string]> = [
      [{ scope: "openid", binding_message: "x", login_hint: sub }, "invalid_request"],
      [{ scope: "openid", binding_message: "x", login_hint: hint(sub, "https://other.example.com/") }, "invalid_request"],
      [{ scope: "openid", binding_message: "x", login_hint: hint("auth0|nobody") }, "unknown_user_id"],
      [{ scope: "openid", login_hint: hint(sub) }, "invalid_request"],
      [{ scope: "openid", binding_message: "<script>", login_hint: hint(sub) }, "invalid_binding_message"],
      [{ scope: "profile", binding_message: "x", login_hint: hint(sub) }, "invalid_request"],
      [{ scope: "openid", binding_message: "x", login_hint: hint(sub), authorization_details: "{}" }, "invalid_authorization_details"]
    ]
    for (const [params, error] of cases) {
      const response = await authorize(params)
      expect({ params, error: ((await response.json()) as { error: string }).error }).toEqual({ params, error })
    }
  })
})
