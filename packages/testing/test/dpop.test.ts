import { createHash, randomBytes } from "node:crypto"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator } from "../src/index.js"
import { totp } from "../src/internal/Totp.js"
import { loginAs, refresh, tokenRequest } from "./helpers.js"

const ALL = "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts"
const TOKEN_VAULT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"

interface Key {
  readonly privateKey: CryptoKey
  readonly jwk: jose.JWK
  readonly jkt: string
}

const makeKey = async (): Promise<Key> => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256")
  const jwk = await jose.exportJWK(publicKey)
  return { privateKey, jwk, jkt: await jose.calculateJwkThumbprint(jwk) }
}

/** A DPoP proof; every claim can be overridden to break it. */
const proof = (key: Key, claims: { htm?: string; htu: string; ath?: string; nonce?: string; iat?: number; jti?: string }) =>
  new jose.SignJWT({
    htm: claims.htm ?? "POST",
    htu: claims.htu,
    jti: claims.jti ?? randomBytes(12).toString("base64url"),
    iat: claims.iat ?? Math.floor(Date.now() / 1000),
    ...(claims.ath !== undefined ? { ath: claims.ath } : {}),
    ...(claims.nonce !== undefined ? { nonce: claims.nonce } : {})
  })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.jwk })
    .sign(key.privateKey)

const ath = (token: string) => createHash("sha256").update(token).digest("base64url")

const tokenError = async (response: Response) => ({
  status: response.status,
  nonce: response.headers.get("dpop-nonce"),
  ...((await response.json()) as { error: string; error_description: string })
})

describe("DPoP at the token endpoint (nonce and proof required)", () => {
  let emulator: Emulator
  let key: Key
  let refreshToken: string

  beforeAll(async () => {
    emulator = await startEmulator({ dpop: { required: true, requireNonce: true } })
    key = await makeKey()
    await emulator.createUser({ email: "ada@example.com" })
    // The code exchange goes to oidc-provider, which refuses it without a proof.
    const refused = await loginAs(emulator, "ada@example.com")
    expect(refused.status).toBe(400)
    expect(refused.tokens["error"]).toBe("invalid_dpop_proof")
    expect(refused.tokens["error_description"]).toBe("DPoP proof is required")
    refreshToken = await loginWithProof(emulator, key)
  })

  afterAll(() => emulator?.stop())

  it("a refresh without a proof: 400 invalid_dpop_proof; without a nonce: 400 use_dpop_nonce with a DPoP-Nonce", async () => {
    expect(await tokenError(await refresh(emulator, refreshToken))).toMatchObject({ status: 400, error: "invalid_dpop_proof" })
    emulator.resetCounts()
    const htu = `${emulator.origin}/oauth/token`
    const asked = await tokenError(await refresh(emulator, refreshToken, {}, { dpop: await proof(key, { htu }) }))
    expect(asked).toMatchObject({ status: 400, error: "use_dpop_nonce" })
    expect(asked.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(emulator.dpopNonceChallenges("/oauth/token")).toBe(1)

    const ok = await refresh(emulator, refreshToken, { audience: emulator.myAccountAudience, scope: ALL }, {
      dpop: await proof(key, { htu, nonce: asked.nonce! })
    })
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe("DPoP")
    expect(jose.decodeJwt(body.access_token)["cnf"]).toEqual({ jkt: key.jkt })
    expect(emulator.dpopNonceChallenges("/")).toBe(1)
  })

  it("a tampered proof, a proof for another URL or method, a replayed or stale proof: invalid_dpop_proof", async () => {
    const htu = `${emulator.origin}/oauth/token`
    const nonce = (await tokenError(await refresh(emulator, refreshToken, {}, { dpop: await proof(key, { htu }) }))).nonce!
    const good = await proof(key, { htu, nonce })
    const [h, , s] = good.split(".")
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...jose.decodeJwt(good), htm: "GET" })).toString("base64url")}.${s}`
    const cases: Array<[string, string]> = [
      [tampered, "invalid DPoP proof"],
      [await proof(key, { htu: `${emulator.origin}/oauth/par`, nonce }), "htu mismatch"],
      [await proof(key, { htu, htm: "GET", nonce }), "htm mismatch"],
      [await proof(key, { htu, iat: Math.floor(Date.now() / 1000) - 3600 }), "use a DPoP nonce"]
    ]
    for (const [dpop, why] of cases) {
      const answer = await tokenError(await refresh(emulator, refreshToken, {}, { dpop }))
      expect(answer.status).toBe(400)
      expect(answer.error_description).toContain(why)
    }
    expect((await refresh(emulator, refreshToken, {}, { dpop: good })).status).toBe(200)
    const replay = await tokenError(await refresh(emulator, refreshToken, {}, { dpop: good }))
    expect(replay).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: "DPoP proof JWT replay detected" })
  })
})

/** Logs in binding the code with dpop_jkt and exchanging it with a proof (and the nonce it asks for). */
const loginWithProof = async (emulator: Emulator, key: Key): Promise<string> => {
  const verifier = randomBytes(32).toString("base64url")
  const url = new URL("/authorize", emulator.origin)
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: emulator.clientId,
    redirect_uri: "http://127.0.0.1:3000/auth/callback",
    scope: "openid offline_access",
    state: "s",
    nonce: "n",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    dpop_jkt: key.jkt
  }).toString()
  const code = new URL(await emulator.login(url.href, { user: "ada@example.com" })).searchParams.get("code")!
  const exchange = (nonce?: string) =>
    Promise.resolve(proof(key, { htu: `${emulator.origin}/oauth/token`, ...(nonce ? { nonce } : {}) })).then((dpop) =>
      fetch(`${emulator.origin}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", dpop },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          code_verifier: verifier,
          redirect_uri: "http://127.0.0.1:3000/auth/callback",
          client_id: emulator.clientId,
          client_secret: emulator.clientSecret!
        }).toString()
      })
    )
  const first = await exchange()
  expect(first.status).toBe(400)
  const second = await exchange(first.headers.get("dpop-nonce")!)
  const body = (await second.json()) as { token_type: string; refresh_token: string }
  expect(second.status).toBe(200)
  expect(body.token_type).toBe("DPoP")
  return body.refresh_token
}

describe("DPoP at the My Account API and the third-party API (requiredByApis)", () => {
  let emulator: Emulator
  let key: Key
  let refreshToken: string

  beforeAll(async () => {
    emulator = await startEmulator({ dpop: { requiredByApis: true } })
    key = await makeKey()
    await emulator.createUser({ email: "ada@example.com" })
    await emulator.addConnectedAccount("ada@example.com", { connection: "google-oauth2", scopes: ["openid", "calendar"] })
    refreshToken = (await loginAs(emulator, "ada@example.com")).tokens.refresh_token!
  })

  afterAll(() => emulator?.stop())

  const accounts = () => `${emulator.origin}/me/v1/connected-accounts/accounts`
  const myAccountToken = async (dpop?: string) => {
    const response = await refresh(emulator, refreshToken, { audience: emulator.myAccountAudience, scope: ALL }, dpop ? { dpop } : {})
    return ((await response.json()) as { access_token: string }).access_token
  }

  it("an unbound token is refused with a DPoP challenge, as Bearer or as DPoP (RFC 9449 §7.1)", async () => {
    const token = await myAccountToken()
    for (const authorization of [`Bearer ${token}`, `DPoP ${token}`]) {
      const response = await fetch(accounts(), { headers: { authorization } })
      expect(response.status).toBe(401)
      expect(response.headers.get("www-authenticate")).toMatch(/^DPoP algs="[^"]*ES256[^"]*", error="invalid_token"/)
    }
  })

  it("a bound token with a proof for it is served; with a proof of another key or without ath it is refused", async () => {
    const token = await myAccountToken(await proof(key, { htu: `${emulator.origin}/oauth/token` }))
    const call = async (dpop: string, authorization = `DPoP ${token}`) => {
      const response = await fetch(accounts(), { headers: { authorization, dpop } })
      return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "" }
    }
    expect((await call(await proof(key, { htm: "GET", htu: accounts(), ath: ath(token) }))).status).toBe(200)
    const other = await makeKey()
    expect((await call(await proof(other, { htm: "GET", htu: accounts(), ath: ath(token) }))).challenge).toContain("cnf.jkt")
    expect((await call(await proof(key, { htm: "GET", htu: accounts() }))).challenge).toContain("ath mismatch")
    expect((await call(await proof(key, { htm: "GET", htu: accounts(), ath: ath(token) }), `Bearer ${token}`)).challenge)
      .toContain("DPoP scheme")
  })

  it("a Token Vault token exchanged with a proof is bound; the third-party API then wants its proof", async () => {
    const htu = `${emulator.origin}/oauth/token`
    const response = await refresh(emulator, refreshToken, {
      grant_type: TOKEN_VAULT,
      subject_token: refreshToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
      requested_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
      connection: "google-oauth2"
    }, { dpop: await proof(key, { htu }) })
    const vault = (await response.json()) as { access_token: string; token_type: string }
    expect(vault.token_type).toBe("DPoP")
    const api = emulator.thirdPartyApiUrl("google-oauth2")
    const bearer = await fetch(api, { headers: { authorization: `Bearer ${vault.access_token}` } })
    expect(bearer.status).toBe(401)
    expect(bearer.headers.get("www-authenticate")).toMatch(/^DPoP /)
    const served = await fetch(api, {
      headers: { authorization: `DPoP ${vault.access_token}`, dpop: await proof(key, { htm: "GET", htu: api, ath: ath(vault.access_token) }) }
    })
    expect(served.status).toBe(200)
  })
})

describe("DPoP on the grants the emulator answers itself (MFA verify, passwordless OTP, Custom Token Exchange)", () => {
  const SECURE = "https://vault.example.com/"
  let emulator: Emulator
  let key: Key
  let refreshToken: string
  let secret: string

  beforeAll(async () => {
    emulator = await startEmulator({
      apis: [{ audience: SECURE, scopes: ["read:vault"], requireMfa: true }],
      clients: [{
        clientId: "app",
        clientSecret: "app-secret",
        redirectUris: ["http://127.0.0.1:3000/auth/callback"],
        refreshTokenPolicies: [{ audience: SECURE, scopes: ["read:vault"] }]
      }],
      tokenExchange: { validate: (request) => ({ sub: request.subjectToken }) }
    })
    key = await makeKey()
    const { sub } = await emulator.createUser({ email: "ada@example.com" })
    secret = (await emulator.enrollMfa("ada@example.com", { type: "otp" })).secret!
    refreshToken = (await loginAs(emulator, "ada@example.com", { clientId: "app", clientSecret: "app-secret" })).tokens.refresh_token!
    expect(sub).toBeTruthy()
  })
  afterAll(() => emulator?.stop())

  const client = { client_id: "app", client_secret: "app-secret" }
  const htu = () => `${emulator.origin}/oauth/token`
  const expectBound = async (response: Response) => {
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe("DPoP")
    expect(jose.decodeJwt(body.access_token)["cnf"]).toEqual({ jkt: key.jkt })
  }
  const expectRefusedProof = async (response: Response) => {
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: string }).error).toBe("invalid_dpop_proof")
  }

  const mfaToken = async () => {
    const response = await tokenRequest(emulator, { grant_type: "refresh_token", refresh_token: refreshToken, ...client, audience: SECURE, scope: "openid read:vault" })
    expect(response.status).toBe(403)
    return ((await response.json()) as { mfa_token: string }).mfa_token
  }

  it("mfa-otp: a proof binds the token to its key; a proof for another URL is refused; none gives a Bearer token", async () => {
    const verify = async (headers: Record<string, string>) =>
      tokenRequest(emulator, { grant_type: "http://auth0.com/oauth/grant-type/mfa-otp", ...client, mfa_token: await mfaToken(), otp: await totp(secret) }, headers)
    await expectRefusedProof(await verify({ dpop: await proof(key, { htu: `${emulator.origin}/oauth/par` }) }))
    await expectBound(await verify({ dpop: await proof(key, { htu: htu() }) }))
    const bearer = await verify({})
    expect(bearer.status).toBe(200)
    const body = (await bearer.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe("Bearer")
    expect(jose.decodeJwt(body.access_token)["cnf"]).toBeUndefined()
  })

  it("passwordless OTP: a proof binds the token; a replayed proof is refused", async () => {
    const start = await fetch(`${emulator.origin}/passwordless/start`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...client, connection: "email", email: "grace@example.com", send: "code" }).toString()
    })
    expect(start.status).toBe(200)
    const grant = (headers: Record<string, string>) =>
      tokenRequest(emulator, {
        grant_type: "http://auth0.com/oauth/grant-type/passwordless/otp",
        ...client,
        realm: "email",
        username: "grace@example.com",
        otp: emulator.lastPasswordlessCode("grace@example.com")!,
        scope: "openid"
      }, headers)
    const used = await proof(key, { htu: htu() })
    await expectBound(await grant({ dpop: used }))
    const again = await fetch(`${emulator.origin}/passwordless/start`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...client, connection: "email", email: "grace@example.com", send: "code" }).toString()
    })
    expect(again.status).toBe(200)
    await expectRefusedProof(await grant({ dpop: used }))
  })

  it("Custom Token Exchange: a proof binds the token; a tampered proof is refused", async () => {
    const { sub } = await emulator.createUser({ email: "linus@example.com" })
    const exchange = (headers: Record<string, string>) =>
      tokenRequest(emulator, {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        ...client,
        subject_token: sub,
        subject_token_type: "urn:example:legacy-session",
        scope: "openid"
      }, headers)
    const good = await proof(key, { htu: htu() })
    const [header, payload, signature] = good.split(".")
    const tampered = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`
    await expectRefusedProof(await exchange({ dpop: tampered }))
    await expectBound(await exchange({ dpop: good }))
  })
})
