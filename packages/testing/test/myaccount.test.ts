import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator } from "../src/index.js"
import { loginAs, pkce, REDIRECT_URI, tokenRequest } from "./helpers.js"

const ALL = "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
const TOKEN_VAULT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
const CONNECT_CALLBACK = "http://127.0.0.1:3000/connect/callback"

interface Session {
  readonly sub: string
  readonly refreshToken: string
  readonly token: string
}

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/)
  return (await response.json()) as { type: string; status: number; title: string; detail: string; validation_errors?: Array<{ detail: string; field: string; pointer?: string }> }
}

describe("My Account API and Token Vault", () => {
  let emulator: Emulator
  let ada: Session

  /** Logs `email` in, then gets a My Account token with `scope` through MRRT. */
  const session = async (email: string, scope = ALL): Promise<Session> => {
    const { sub } = await emulator.createUser({ email })
    const { tokens } = await loginAs(emulator, email)
    const response = await tokenRequest(emulator, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token!,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret!,
      audience: emulator.myAccountAudience,
      scope
    })
    const body = (await response.json()) as { access_token: string }
    return { sub, refreshToken: tokens.refresh_token!, token: body.access_token }
  }

  const api = (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${emulator.origin}/me/v1/connected-accounts${path}`, {
      method: init.method ?? "GET",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { "content-type": "application/json; charset=utf-8" } : {})
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {})
    })

  /** connect -> fake provider consent -> complete; returns the created account. */
  const connectAccount = async (who: Session, connection: string, scopes?: Array<string>) => {
    const { verifier, challenge } = pkce()
    const started = await api("/connect", who.token, {
      method: "POST",
      body: { connection, redirect_uri: CONNECT_CALLBACK, state: "cs", code_challenge: challenge, code_challenge_method: "S256", ...(scopes ? { scopes } : {}) }
    })
    expect(started.status).toBe(201)
    const connect = (await started.json()) as { auth_session: string; connect_uri: string; connect_params: { ticket: string }; expires_in: number }
    const uri = new URL(connect.connect_uri)
    uri.searchParams.set("ticket", connect.connect_params.ticket)
    const callback = new URL(await emulator.connect(uri.href))
    expect(callback.searchParams.get("state")).toBe("cs")
    const completeBody = {
      auth_session: connect.auth_session,
      connect_code: callback.searchParams.get("connect_code")!,
      redirect_uri: CONNECT_CALLBACK,
      code_verifier: verifier
    }
    const completed = await api("/complete", who.token, { method: "POST", body: completeBody })
    return { completed, completeBody, connect }
  }

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ clientId: "app", clientSecret: "s3cret", redirectUris: [REDIRECT_URI], refreshTokenPolicies: [{ audience: "{origin}/me/", scopes: ALL.split(" ") }] }] })
    ada = await session("ada@example.com")
  })
  afterAll(() => emulator.stop())

  it("connect + consent + complete creates a connected account (201)", async () => {
    const { completed, connect } = await connectAccount(ada, "google-oauth2", ["openid", "https://www.googleapis.com/auth/calendar.readonly"])
    expect(connect.connect_uri).toBe(`${emulator.origin}/connect`)
    expect(connect.expires_in).toBeGreaterThan(0)
    expect(completed.status).toBe(201)
    const account = (await completed.json()) as Record<string, unknown>
    expect(account["id"]).toMatch(/^cac_/)
    expect(account["connection"]).toBe("google-oauth2")
    expect(account["access_type"]).toBe("offline")
    expect(account["scopes"]).toEqual(["openid", "https://www.googleapis.com/auth/calendar.readonly"])
    expect(typeof account["created_at"]).toBe("string")
  })

  it("a reused connect_code is 409", async () => {
    const { completeBody } = await connectAccount(ada, "github")
    const again = await api("/complete", ada.token, { method: "POST", body: completeBody })
    expect(again.status).toBe(409)
    expect((await problem(again)).status).toBe(409)
  })

  it("a wrong code_verifier is 400", async () => {
    const { challenge } = pkce()
    const started = (await (await api("/connect", ada.token, {
      method: "POST",
      body: { connection: "github", redirect_uri: CONNECT_CALLBACK, state: "x", code_challenge: challenge, code_challenge_method: "S256" }
    })).json()) as { auth_session: string; connect_uri: string; connect_params: { ticket: string } }
    const callback = new URL(await emulator.connect(`${started.connect_uri}?ticket=${started.connect_params.ticket}`))
    const response = await api("/complete", ada.token, {
      method: "POST",
      body: { auth_session: started.auth_session, connect_code: callback.searchParams.get("connect_code"), redirect_uri: CONNECT_CALLBACK, code_verifier: pkce().verifier }
    })
    expect(response.status).toBe(400)
  })

  it("deny at the upstream provider comes back with error and error_description", async () => {
    const started = (await (await api("/connect", ada.token, {
      method: "POST",
      body: { connection: "github", redirect_uri: CONNECT_CALLBACK, state: "deny-state" }
    })).json()) as { connect_uri: string; connect_params: { ticket: string } }
    const callback = new URL(
      await emulator.connect(`${started.connect_uri}?ticket=${started.connect_params.ticket}`, { deny: true, errorDescription: "nope" })
    )
    expect(callback.searchParams.get("error")).toBe("access_denied")
    expect(callback.searchParams.get("error_description")).toBe("nope")
    expect(callback.searchParams.get("state")).toBe("deny-state")
    expect(callback.searchParams.has("connect_code")).toBe(false)
  })

  it("the consent page is a browser-usable form", async () => {
    const started = (await (await api("/connect", ada.token, { method: "POST", body: { connection: "github", redirect_uri: CONNECT_CALLBACK } })).json()) as {
      connect_uri: string
      connect_params: { ticket: string }
    }
    const page = await fetch(`${started.connect_uri}?ticket=${started.connect_params.ticket}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('id="approve"')
    expect(html).toContain('id="deny"')
  })

  it("400 with validation_errors for bodies outside Auth0's published limits", async () => {
    const response = await api("/connect", ada.token, {
      method: "POST",
      body: {
        connection: "x".repeat(129),
        redirect_uri: "not a uri",
        code_challenge: "short",
        code_challenge_method: "plain",
        scopes: [],
        authorization_params: { prompt: "consent", evil: "1" }
      }
    })
    expect(response.status).toBe(400)
    const body = await problem(response)
    const fields = body.validation_errors!.map((e) => e.field)
    expect(fields).toEqual(expect.arrayContaining(["connection", "redirect_uri", "code_challenge", "code_challenge_method", "scopes", "authorization_params"]))
    expect(body.validation_errors!.find((e) => e.field === "authorization_params")!.pointer).toBe("/authorization_params/evil")
  })

  it("accepts every authorization_params key of Auth0's API definition, access_type and scope included", async () => {
    const response = await api("/connect", ada.token, {
      method: "POST",
      body: {
        connection: "google-oauth2",
        redirect_uri: CONNECT_CALLBACK,
        state: "state-params",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
        authorization_params: { access_type: "offline", scope: "https://www.googleapis.com/auth/calendar", prompt: "consent", login_hint: "ada@example.com" }
      }
    })
    expect(response.status).toBe(201)
  })

  it("401 without a token, with a foreign token or a token for another audience", async () => {
    expect((await api("/accounts", undefined)).status).toBe(401)
    const foreign = await new jose.SignJWT({ scope: ALL })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(emulator.issuer)
      .setAudience(emulator.myAccountAudience)
      .setSubject(ada.sub)
      .setExpirationTime("1h")
      .sign(new Uint8Array(32))
    const bad = await api("/accounts", foreign)
    expect(bad.status).toBe(401)
    expect((await problem(bad)).title).toBe("Unauthorized")
    const { tokens } = await loginAs(emulator, "ada@example.com")
    expect((await api("/accounts", tokens.access_token)).status).toBe(401)
  })

  it("403 when the token lacks the endpoint's scope", async () => {
    const readOnly = await session("reader@example.com", "read:me:connected_accounts")
    expect((await api("/accounts", readOnly.token)).status).toBe(200)
    const create = await api("/connect", readOnly.token, { method: "POST", body: { connection: "github", redirect_uri: CONNECT_CALLBACK } })
    expect(create.status).toBe(403)
    expect((await problem(create)).detail).toContain("create:me:connected_accounts")
    expect((await api("/accounts/cac_x", readOnly.token, { method: "DELETE" })).status).toBe(403)
  })

  it("lists connections", async () => {
    const response = await api("/connections", ada.token)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { connections: Array<{ name: string; strategy: string }>; next?: string }
    expect(body.connections.map((c) => c.name)).toEqual(["google-oauth2", "github"])
    expect(body.next).toBeUndefined()
    const paged = (await (await api("/connections?take=1", ada.token)).json()) as { connections: Array<{ name: string }>; next?: string }
    expect(paged.connections.map((c) => c.name)).toEqual(["google-oauth2"])
    const second = (await (await api(`/connections?take=1&from=${paged.next!}`, ada.token)).json()) as { connections: Array<{ name: string }>; next?: string }
    expect(second.connections.map((c) => c.name)).toEqual(["github"])
    expect(second.next).toBeUndefined()
  })

  it("pages over 45 accounts with take=7, each exactly once, in creation order", async () => {
    const pager = await session("pager@example.com")
    const created: Array<string> = []
    for (let i = 0; i < 45; i++) created.push((await emulator.addConnectedAccount(pager.sub, { connection: i % 2 ? "github" : "google-oauth2" })).id)
    const seen: Array<string> = []
    let from: string | undefined
    let pages = 0
    do {
      const response = await api(`/accounts?take=7${from ? `&from=${encodeURIComponent(from)}` : ""}`, pager.token)
      expect(response.status).toBe(200)
      const page = (await response.json()) as { accounts: Array<{ id: string }>; next?: string }
      expect(page.accounts.length).toBeLessThanOrEqual(7)
      seen.push(...page.accounts.map((a) => a.id))
      from = page.next
      pages++
    } while (from !== undefined)
    expect(pages).toBe(7)
    expect(seen).toEqual(created)
    const github = (await (await api("/accounts?connection=github&take=20", pager.token)).json()) as { accounts: Array<{ connection: string }>; next?: string }
    expect(github.accounts).toHaveLength(20)
    expect(github.accounts.every((a) => a.connection === "github")).toBe(true)
    expect(github.next).toBeDefined()
  })

  it("take outside 1..20 or a bad cursor is 400 with validation_errors", async () => {
    for (const query of ["take=0", "take=21", "take=abc", "from=%25%25"]) {
      const response = await api(`/accounts?${query}`, ada.token)
      expect(response.status).toBe(400)
      const body = await problem(response)
      expect(body.validation_errors?.[0]?.field).toBe(query.split("=")[0])
    }
  })

  it("delete: 204, then 404 problem", async () => {
    const { completed } = await connectAccount(ada, "github")
    const { id } = (await completed.json()) as { id: string }
    expect((await api(`/accounts/${id}`, ada.token, { method: "DELETE" })).status).toBe(204)
    const again = await api(`/accounts/${id}`, ada.token, { method: "DELETE" })
    expect(again.status).toBe(404)
    expect((await problem(again)).status).toBe(404)
  })

  describe("Token Vault", () => {
    const exchange = (subjectToken: string, connection: string, extra: Record<string, string> = {}) =>
      tokenRequest(emulator, {
        grant_type: TOKEN_VAULT,
        subject_token: subjectToken,
        subject_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
        requested_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
        connection,
        client_id: "app",
        client_secret: "s3cret",
        ...extra
      })

    it("exchanges the refresh token for the connected account's token, which the third-party API accepts", async () => {
      const grace = await session("grace@example.com")
      await connectAccount(grace, "google-oauth2", ["openid", "https://www.googleapis.com/auth/calendar.readonly"])
      const response = await exchange(grace.refreshToken, "google-oauth2")
      expect(response.status).toBe(200)
      const body = (await response.json()) as Record<string, unknown>
      expect(body["token_type"]).toBe("Bearer")
      expect(body["issued_token_type"]).toBe("http://auth0.com/oauth/token-type/federated-connection-access-token")
      expect(body["expires_in"]).toBe(3600)
      expect(body["scope"]).toContain("calendar.readonly")
      const events = await fetch(emulator.thirdPartyApiUrl("google-oauth2"), { headers: { authorization: `Bearer ${String(body["access_token"])}` } })
      expect(events.status).toBe(200)
      expect(((await events.json()) as { items: Array<unknown>; sub: string }).sub).toBe(grace.sub)
      // Wrong connection's API, no token, or a token without the scope.
      expect((await fetch(emulator.thirdPartyApiUrl("github", "user"), { headers: { authorization: `Bearer ${String(body["access_token"])}` } })).status).toBe(401)
      expect((await fetch(emulator.thirdPartyApiUrl("google-oauth2"))).status).toBe(401)
      expect((await fetch(emulator.thirdPartyApiUrl("google-oauth2", "drive/files"), { headers: { authorization: `Bearer ${String(body["access_token"])}` } })).status).toBe(403)
    })

    it("no connected account for the connection is 401 federated_connection_refresh_token_not_found", async () => {
      const linus = await session("linus@example.com")
      const response = await exchange(linus.refreshToken, "github")
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: string }).error).toBe("federated_connection_refresh_token_not_found")
    })

    it("a bad refresh token is invalid_grant, a wrong secret invalid_client", async () => {
      const bad = await exchange("not-a-refresh-token", "github")
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: string }).error).toBe("invalid_grant")
      expect((await exchange(ada.refreshToken, "github", { client_secret: "wrong" })).status).toBe(401)
    })
  })

  it("rate limit: 429 with retry-after and a problem body", async () => {
    const limited = await startEmulator({ myAccountRateLimit: { limit: 2, windowSeconds: 30 } })
    try {
      const headers = { authorization: "Bearer x" }
      expect((await fetch(`${limited.origin}/me/v1/connected-accounts/accounts`, { headers })).status).toBe(401)
      expect((await fetch(`${limited.origin}/me/v1/connected-accounts/accounts`, { headers })).status).toBe(401)
      const third = await fetch(`${limited.origin}/me/v1/connected-accounts/accounts`, { headers })
      expect(third.status).toBe(429)
      const retryAfter = Number(third.headers.get("retry-after"))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      expect(retryAfter).toBeLessThanOrEqual(30)
      expect((await problem(third)).status).toBe(429)
    } finally {
      await limited.stop()
    }
  })
})
