import { generateKeyPairSync, randomBytes } from "node:crypto"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator } from "../src/index.js"
import { API, authorizeUrl, BILLING, exchangeCode, loginAs, pkce, REDIRECT_URI, refresh, tokenRequest } from "./helpers.js"

const { publicKey: clientPublic, privateKey: clientPrivate } = generateKeyPairSync("ec", { namedCurve: "P-256" })
const clientJwk = { ...(clientPublic.export({ format: "jwk" }) as JsonWebKey), kid: "client-key-1", alg: "ES256" }

describe("OIDC at Auth0's paths", () => {
  let emulator: Emulator
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>
  let user: string

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [
        {
          clientId: "app",
          clientSecret: "app-secret",
          redirectUris: [REDIRECT_URI],
          postLogoutRedirectUris: ["http://127.0.0.1:3000/"],
          refreshTokenPolicies: [
            { audience: BILLING, scopes: ["read:billing"] },
            { audience: "{origin}/me/", scopes: ["read:me:connected_accounts"] }
          ]
        },
        { clientId: "rotating", clientSecret: "rot-secret", redirectUris: [REDIRECT_URI], refreshTokenRotation: true },
        {
          clientId: "rotating-leeway",
          clientSecret: "leeway-secret",
          redirectUris: [REDIRECT_URI],
          refreshTokenRotation: true,
          refreshTokenReuseIntervalSeconds: 60
        },
        { clientId: "jwt-client", jwks: { keys: [clientJwk] }, redirectUris: [REDIRECT_URI] }
      ],
      apis: [
        { audience: API, scopes: ["read:data", "write:data"] },
        { audience: BILLING, scopes: ["read:billing", "write:billing"] },
        { audience: "https://unlisted.example.com/", scopes: ["read:x"] }
      ]
    })
    jwks = jose.createRemoteJWKSet(new URL(`${emulator.origin}/.well-known/jwks.json`))
    user = (await emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" })).sub
  })
  afterAll(() => emulator.stop())

  it("publishes a discovery document with Auth0's endpoint paths and a slash-terminated issuer", async () => {
    const doc = (await (await fetch(`${emulator.origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(doc["issuer"]).toBe(`${emulator.origin}/`)
    expect(emulator.issuer).toBe(`${emulator.origin}/`)
    expect(doc["authorization_endpoint"]).toBe(`${emulator.origin}/authorize`)
    expect(doc["token_endpoint"]).toBe(`${emulator.origin}/oauth/token`)
    expect(doc["pushed_authorization_request_endpoint"]).toBe(`${emulator.origin}/oauth/par`)
    expect(doc["jwks_uri"]).toBe(`${emulator.origin}/.well-known/jwks.json`)
    expect(doc["userinfo_endpoint"]).toBe(`${emulator.origin}/userinfo`)
    expect(doc["end_session_endpoint"]).toBe(`${emulator.origin}/oidc/logout`)
    expect(doc["code_challenge_methods_supported"]).toEqual(["S256"])
  })

  it("login() returns a code that exchanges for an RS256 ID token with nonce, sid and user claims", async () => {
    const { tokens, nonce, status } = await loginAs(emulator, "ada@example.com", {
      clientId: "app",
      clientSecret: "app-secret"
    })
    expect(status).toBe(200)
    expect(tokens.token_type).toBe("Bearer")
    expect(tokens.expires_in).toBe(3600)
    expect(typeof tokens.refresh_token).toBe("string")
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, {
      issuer: emulator.issuer,
      audience: "app"
    })
    expect(protectedHeader.alg).toBe("RS256")
    expect(payload.sub).toBe(user)
    expect(payload["nonce"]).toBe(nonce)
    expect(typeof payload["sid"]).toBe("string")
    expect(payload["email"]).toBe("ada@example.com")
    expect(payload["name"]).toBe("Ada Lovelace")
    // Without an audience the access token is good for /userinfo.
    const info = await fetch(`${emulator.origin}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    expect(info.status).toBe(200)
    expect(((await info.json()) as { sub: string }).sub).toBe(user)
  })

  it("adds auth_time when max_age is sent, and requires PKCE", async () => {
    const { verifier, challenge } = pkce()
    const callback = new URL(
      await emulator.login(authorizeUrl(emulator, { clientId: "app", nonce: "n1", state: "s1", challenge, maxAge: 300 }), {
        user: "ada@example.com"
      })
    )
    const response = await exchangeCode(emulator, callback.searchParams.get("code")!, verifier, { clientId: "app", clientSecret: "app-secret" })
    const tokens = (await response.json()) as { id_token: string }
    expect(typeof jose.decodeJwt(tokens.id_token)["auth_time"]).toBe("number")

    const noPkce = new URL(`${emulator.origin}/authorize`)
    noPkce.search = new URLSearchParams({ response_type: "code", client_id: "app", redirect_uri: REDIRECT_URI, scope: "openid", state: "s" }).toString()
    const denied = new URL(await emulator.login(noPkce.href, { user: "ada@example.com" }))
    expect(denied.searchParams.get("error")).toBe("invalid_request")
  })

  it("a wrong code_verifier is invalid_grant", async () => {
    const { challenge } = pkce()
    const callback = new URL(await emulator.login(authorizeUrl(emulator, { clientId: "app", nonce: "n", state: "s", challenge }), { user: user }))
    const response = await exchangeCode(emulator, callback.searchParams.get("code")!, pkce().verifier, { clientId: "app", clientSecret: "app-secret" })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: string }).error).toBe("invalid_grant")
  })

  it("login() with consent: false comes back with error=access_denied", async () => {
    const { challenge } = pkce()
    const callback = new URL(
      await emulator.login(authorizeUrl(emulator, { clientId: "app", nonce: "n", state: "st", challenge }), { user: user, consent: false })
    )
    expect(callback.searchParams.get("error")).toBe("access_denied")
    expect(callback.searchParams.get("state")).toBe("st")
  })

  it("audience at login gives a JWT access token for that API", async () => {
    const { tokens } = await loginAs(emulator, user, {
      clientId: "app",
      clientSecret: "app-secret",
      audience: API,
      scope: "openid profile offline_access read:data"
    })
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: emulator.issuer, audience: API })
    expect(payload.sub).toBe(user)
    expect(payload["azp"]).toBe("app")
    expect(payload["client_id"]).toBe("app")
    expect(String(payload["scope"]).split(" ")).toContain("read:data")
    expect(String(payload["scope"]).split(" ")).not.toContain("write:data")
    expect(payload.exp! - payload.iat!).toBe(3600)
    // Like Auth0, the response scope lists the OIDC scopes as well as the API's.
    expect(tokens.scope!.split(" ").sort()).toEqual(["offline_access", "openid", "profile", "read:data"])
  })

  it("an unknown audience at /authorize comes back as access_denied", async () => {
    const { challenge } = pkce()
    const callback = new URL(
      await emulator.login(authorizeUrl(emulator, { clientId: "app", nonce: "n", state: "s", challenge, audience: "https://nowhere.example.com/" }), { user })
    )
    expect(callback.searchParams.get("error")).toBe("access_denied")
    expect(callback.searchParams.get("error_description")).toContain("Service not found")
  })

  it("PAR with audience works and login() completes the request_uri", async () => {
    const { verifier, challenge } = pkce()
    const par = await fetch(`${emulator.origin}/oauth/par`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("app:app-secret").toString("base64")}`
      },
      body: new URLSearchParams({
        response_type: "code",
        redirect_uri: REDIRECT_URI,
        scope: "openid offline_access read:data",
        audience: API,
        state: "par-state",
        nonce: "par-nonce",
        code_challenge: challenge,
        code_challenge_method: "S256"
      }).toString()
    })
    expect(par.status).toBe(201)
    const { request_uri } = (await par.json()) as { request_uri: string }
    const callback = new URL(
      await emulator.login(`${emulator.origin}/authorize?client_id=app&request_uri=${encodeURIComponent(request_uri)}`, { user })
    )
    expect(callback.searchParams.get("state")).toBe("par-state")
    const response = await exchangeCode(emulator, callback.searchParams.get("code")!, verifier, { clientId: "app", clientSecret: "app-secret" })
    const tokens = (await response.json()) as { access_token: string; refresh_token: string }
    expect(jose.decodeJwt(tokens.access_token).aud).toBe(API)
    expect(tokens.refresh_token).toBeTruthy()
  })

  describe("MRRT refresh", () => {
    let refreshToken: string
    beforeAll(async () => {
      const { tokens } = await loginAs(emulator, user, {
        clientId: "app",
        clientSecret: "app-secret",
        audience: API,
        scope: "openid profile email offline_access read:data"
      })
      refreshToken = tokens.refresh_token!
    })
    const appRefresh = (extra: Record<string, string>) =>
      tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "app", client_secret: "app-secret", ...extra })

    it("gets a token for another audience; scopes outside the policy are silently dropped", async () => {
      const response = await appRefresh({ audience: BILLING, scope: "openid read:billing write:billing" })
      expect(response.status).toBe(200)
      const body = (await response.json()) as { access_token: string; scope: string; expires_in: number; token_type: string; refresh_token?: string }
      expect(body.scope.split(" ")).toContain("read:billing")
      expect(body.scope.split(" ")).not.toContain("write:billing")
      expect(body.token_type).toBe("Bearer")
      expect(body.refresh_token).toBeUndefined()
      const { payload } = await jose.jwtVerify(body.access_token, jwks, { issuer: emulator.issuer, audience: BILLING })
      expect(payload["scope"]).toBe(body.scope)
    })

    it("without scope gets every scope of the policy", async () => {
      const body = (await (await appRefresh({ audience: BILLING })).json()) as { scope: string }
      expect(body.scope.split(" ")).toContain("read:billing")
    })

    it("the login audience keeps its scopes and returns an id_token", async () => {
      const body = (await (await appRefresh({})).json()) as { access_token: string; scope: string; id_token: string }
      expect(jose.decodeJwt(body.access_token).aud).toBe(API)
      expect(body.scope.split(" ")).toContain("read:data")
      const { payload } = await jose.jwtVerify(body.id_token, jwks, { issuer: emulator.issuer, audience: "app" })
      expect(payload.sub).toBe(user)
    })

    it("reaches the My Account API through an {origin} policy", async () => {
      const body = (await (await appRefresh({ audience: emulator.myAccountAudience, scope: "read:me:connected_accounts create:me:connected_accounts" })).json()) as {
        access_token: string
        scope: string
      }
      expect(jose.decodeJwt(body.access_token).aud).toBe(emulator.myAccountAudience)
      expect(body.scope).toBe("read:me:connected_accounts")
    })

    it("an unknown audience is 403 access_denied", async () => {
      const response = await appRefresh({ audience: "https://nowhere.example.com/" })
      expect(response.status).toBe(403)
      expect(((await response.json()) as { error: string }).error).toBe("access_denied")
    })

    it("a known API without a policy for this client is 403 access_denied", async () => {
      const response = await appRefresh({ audience: "https://unlisted.example.com/" })
      expect(response.status).toBe(403)
      const body = (await response.json()) as { error: string; error_description: string }
      expect(body.error).toBe("access_denied")
      expect(body.error_description).toContain("unlisted")
    })

    it("a non-rotating refresh token keeps working", async () => {
      expect((await appRefresh({})).status).toBe(200)
      expect((await appRefresh({})).status).toBe(200)
    })

    it("an unknown refresh token is 403 invalid_grant", async () => {
      const response = await refresh(emulator, "nope")
      expect(response.status).toBe(403)
      expect(((await response.json()) as { error: string }).error).toBe("invalid_grant")
    })
  })

  it("rotation on: each refresh returns a new refresh_token; reusing a rotated-away one revokes the whole family", async () => {
    const { tokens } = await loginAs(emulator, user, { clientId: "rotating", clientSecret: "rot-secret" })
    const first = tokens.refresh_token!
    const detectionsBefore = emulator.refreshTokenReuseDetections()
    const rotate = (refreshToken: string) =>
      tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "rotating", client_secret: "rot-secret" })
    const r1 = (await (await rotate(first)).json()) as { refresh_token: string }
    expect(r1.refresh_token).toBeTruthy()
    expect(r1.refresh_token).not.toBe(first)
    const r2 = (await (await rotate(r1.refresh_token)).json()) as { refresh_token: string }
    expect(r2.refresh_token).not.toBe(r1.refresh_token)
    expect(emulator.refreshTokenReuseDetections()).toBe(detectionsBefore)

    // The first token again: a breach. It is refused, and so is the family's current token.
    const reuse = await rotate(first)
    expect(reuse.status).toBe(403)
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant")
    expect(emulator.refreshTokenReuseDetections()).toBe(detectionsBefore + 1)
    expect((await rotate(r2.refresh_token)).status).toBe(403)
    expect((await rotate(r1.refresh_token)).status).toBe(403)
    expect(emulator.refreshTokenReuseDetections()).toBe(detectionsBefore + 1)

    // Another login's family is untouched.
    const other = (await loginAs(emulator, user, { clientId: "rotating", clientSecret: "rot-secret" })).tokens.refresh_token!
    expect((await rotate(other)).status).toBe(200)
  })

  it("rotation with a reuse interval: a rotated-away token still works inside it, and the family lives on", async () => {
    const { tokens } = await loginAs(emulator, user, { clientId: "rotating-leeway", clientSecret: "leeway-secret" })
    const rotate = (refreshToken: string) =>
      tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "rotating-leeway", client_secret: "leeway-secret" })
    const detectionsBefore = emulator.refreshTokenReuseDetections()
    const first = tokens.refresh_token!
    const r1 = (await (await rotate(first)).json()) as { refresh_token: string }
    const again = await rotate(first)
    expect(again.status).toBe(200)
    const r1b = (await again.json()) as { refresh_token: string }
    expect(r1b.refresh_token).not.toBe(r1.refresh_token)
    expect((await rotate(r1.refresh_token)).status).toBe(200)
    expect((await rotate(r1b.refresh_token)).status).toBe(200)
    expect(emulator.refreshTokenReuseDetections()).toBe(detectionsBefore)
  })

  it("a revoked refresh token is refused and counts as no reuse", async () => {
    const { tokens } = await loginAs(emulator, user, { clientId: "rotating", clientSecret: "rot-secret" })
    const detectionsBefore = emulator.refreshTokenReuseDetections()
    const revoke = await fetch(`${emulator.origin}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token!, client_id: "rotating", client_secret: "rot-secret" })
    })
    expect(revoke.status).toBe(200)
    const refused = await tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: "rotating", client_secret: "rot-secret" })
    expect(refused.status).toBe(403)
    expect(emulator.refreshTokenReuseDetections()).toBe(detectionsBefore)
  })

  describe("client authentication", () => {
    let refreshToken: string
    beforeAll(async () => {
      refreshToken = (await loginAs(emulator, user, { clientId: "app", clientSecret: "app-secret" })).tokens.refresh_token!
    })

    it("accepts client_secret_basic", async () => {
      const response = await tokenRequest(
        emulator,
        { grant_type: "refresh_token", refresh_token: refreshToken },
        { authorization: `Basic ${Buffer.from("app:app-secret").toString("base64")}` }
      )
      expect(response.status).toBe(200)
    })

    it("rejects a wrong secret with 401 invalid_client (post and basic)", async () => {
      const post = await tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "app", client_secret: "wrong" })
      expect(post.status).toBe(401)
      expect(((await post.json()) as { error: string }).error).toBe("invalid_client")
      const basic = await tokenRequest(
        emulator,
        { grant_type: "refresh_token", refresh_token: refreshToken },
        { authorization: `Basic ${Buffer.from("app:wrong").toString("base64")}` }
      )
      expect(basic.status).toBe(401)
    })

    it("rejects a wrong secret on the code exchange too", async () => {
      const { challenge, verifier } = pkce()
      const callback = new URL(await emulator.login(authorizeUrl(emulator, { clientId: "app", nonce: "n", state: "s", challenge }), { user }))
      const response = await exchangeCode(emulator, callback.searchParams.get("code")!, verifier, { clientId: "app", clientSecret: "bad" })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: string }).error).toBe("invalid_client")
    })

    const assertion = async (aud: string, key = clientPrivate) =>
      new jose.SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "client-key-1" })
        .setIssuer("jwt-client")
        .setSubject("jwt-client")
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime("1m")
        .setJti(randomBytes(8).toString("hex"))
        .sign(key)

    it("accepts private_key_jwt for the code exchange and the refresh grant", async () => {
      const { challenge, verifier } = pkce()
      const callback = new URL(
        await emulator.login(authorizeUrl(emulator, { clientId: "jwt-client", nonce: "n", state: "s", challenge }), { user })
      )
      const exchange = await tokenRequest(emulator, {
        grant_type: "authorization_code",
        code: callback.searchParams.get("code")!,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(`${emulator.origin}/oauth/token`)
      })
      expect(exchange.status).toBe(200)
      const tokens = (await exchange.json()) as { refresh_token: string }
      const refreshed = await tokenRequest(emulator, {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(emulator.issuer)
      })
      expect(refreshed.status).toBe(200)
    })

    it("rejects an assertion signed by another key, or a replayed one", async () => {
      const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey
      const bad = await tokenRequest(emulator, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await assertion(emulator.issuer, other)
      })
      expect(bad.status).toBe(401)
      const once = await assertion(emulator.issuer)
      const params = { grant_type: "refresh_token", refresh_token: "x", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: once }
      expect((await tokenRequest(emulator, params)).status).toBe(403) // authenticated, bad refresh token
      expect((await tokenRequest(emulator, params)).status).toBe(401) // replayed jti
    })
  })

  describe("logout", () => {
    it("/v2/logout redirects to an allowed returnTo", async () => {
      const response = await fetch(`${emulator.origin}/v2/logout?client_id=app&returnTo=${encodeURIComponent("http://127.0.0.1:3000/")}`, { redirect: "manual" })
      expect(response.status).toBe(302)
      expect(response.headers.get("location")).toBe("http://127.0.0.1:3000/")
    })

    it("/v2/logout refuses a returnTo that is not allowed, and an unknown client", async () => {
      const bad = await fetch(`${emulator.origin}/v2/logout?client_id=app&returnTo=${encodeURIComponent("https://evil.example/")}`, { redirect: "manual" })
      expect(bad.status).toBe(400)
      const unknown = await fetch(`${emulator.origin}/v2/logout?client_id=nope&returnTo=${encodeURIComponent("http://127.0.0.1:3000/")}`, { redirect: "manual" })
      expect(unknown.status).toBe(400)
    })

    it("/oidc/logout serves oidc-provider's end_session (a self-submitting form)", async () => {
      const response = await fetch(`${emulator.origin}/oidc/logout?client_id=app`)
      expect(response.status).toBe(200)
      const html = await response.text()
      expect(html).toContain(`action="${emulator.origin}/oidc/logout/confirm"`)
      expect(html).toContain("submit()")
    })
  })
})
