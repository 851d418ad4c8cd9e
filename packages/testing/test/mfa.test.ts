/**
 * The emulator's MFA, on the wire: RFC 6238 TOTP (the appendix B vectors), the `mfa_required`
 * answer of the refresh grant for an API that requires MFA, the MFA API's authentication
 * (Bearer mfa_token; client authentication on /mfa/challenge), and the verify grants.
 */
import * as FastCheck from "effect/FastCheck"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { base32Decode, base32Encode, hotp } from "../src/internal/Totp.js"
import { startEmulator, totp, type Emulator } from "../src/index.js"
import { loginAs, tokenRequest } from "./helpers.js"

const SECURE = "https://secure.example.com/"

describe("totp (RFC 6238 appendix B, SHA-1)", () => {
  const secret = base32Encode(new TextEncoder().encode("12345678901234567890"))
  it("matches the published vectors", async () => {
    expect(secret).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    expect(await totp(secret, 59, 8)).toBe("94287082")
    expect(await totp(secret, 1111111109, 8)).toBe("07081804")
    expect(await totp(secret, 1234567890, 8)).toBe("89005924")
    expect(await totp(secret, 20000000000, 8)).toBe("65353130")
    expect(await totp(secret, 59)).toBe("287082")
  })
  it("HOTP matches RFC 4226 appendix D", async () => {
    const key = base32Decode(secret)
    expect(await hotp(key, 0)).toBe("755224")
    expect(await hotp(key, 9)).toBe("520489")
  })
  it("base32 round-trips any bytes", () => {
    FastCheck.assert(FastCheck.property(FastCheck.uint8Array({ maxLength: 64 }), (bytes) => {
      expect([...base32Decode(base32Encode(bytes))]).toEqual([...bytes])
    }))
  })
})

describe("emulator MFA on the wire", () => {
  let emulator: Emulator
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
      }]
    })
    await emulator.createUser({ email: "ada@example.com" })
    secret = (await emulator.enrollMfa("ada@example.com", { type: "otp" })).secret!
    const { tokens } = await loginAs(emulator, "ada@example.com", { clientId: "app", clientSecret: "app-secret" })
    refreshToken = tokens.refresh_token!
  })
  afterAll(() => emulator.stop())

  const mfaToken = async () => {
    const response = await tokenRequest(emulator, {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: "app",
      client_secret: "app-secret",
      audience: SECURE,
      scope: "openid read:vault"
    })
    expect(response.status).toBe(403)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ error: "mfa_required", mfa_requirements: { challenge: [{ type: "otp" }, { type: "recovery-code" }] } })
    return body["mfa_token"] as string
  }

  it("the refresh grant for an API that requires MFA answers 403 mfa_required with an mfa_token", async () => {
    expect(await mfaToken()).toMatch(/^mfa_/)
  })

  it("the MFA API wants the mfa_token as Bearer, and /mfa/challenge client authentication", async () => {
    const token = await mfaToken()
    expect((await fetch(`${emulator.origin}/mfa/authenticators`)).status).toBe(401)
    const listed = await fetch(`${emulator.origin}/mfa/authenticators`, { headers: { authorization: `Bearer ${token}` } })
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as Array<{ authenticator_type: string }>).map((a) => a.authenticator_type)).toEqual(["otp", "recovery-code"])
    const challenge = (secretValue: string) =>
      fetch(`${emulator.origin}/mfa/challenge`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: "app", client_secret: secretValue, mfa_token: token, challenge_type: "otp" }).toString()
      })
    expect((await challenge("wrong")).status).toBe(401)
    const ok = await challenge("app-secret")
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ challenge_type: "otp" })
  })

  it("mfa-otp: a wrong code is invalid_grant; the right one answers tokens marked amr mfa, once", async () => {
    const token = await mfaToken()
    const verify = (otp: string) =>
      tokenRequest(emulator, {
        grant_type: "http://auth0.com/oauth/grant-type/mfa-otp",
        client_id: "app",
        client_secret: "app-secret",
        mfa_token: token,
        otp
      })
    const right = await totp(secret)
    const wrongResponse = await verify(right === "000000" ? "111111" : "000000")
    expect(wrongResponse.status).toBe(403)
    expect(((await wrongResponse.json()) as { error: string }).error).toBe("invalid_grant")
    const response = await verify(right)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; id_token: string; refresh_token?: string }
    expect(jose.decodeJwt(body.access_token)).toMatchObject({ aud: SECURE, amr: ["mfa"], scope: "openid read:vault" })
    expect(jose.decodeJwt(body.id_token)).toMatchObject({ aud: "app", amr: ["mfa"] })
    expect(body.refresh_token).toBeUndefined()
    expect((await verify(right)).status).toBe(403)
  })

  it("an unknown mfa_token is refused as malformed", async () => {
    const token = await mfaToken()
    const response = await tokenRequest(emulator, {
      grant_type: "http://auth0.com/oauth/grant-type/mfa-otp",
      client_id: "app",
      client_secret: "app-secret",
      mfa_token: `${token}x`,
      otp: await totp(secret)
    })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error_description: string }).error_description).toBe("Malformed mfa_token")
  })
})

describe("docs/testing.md MFA examples run", () => {
  it("starts a tenant with an API that requires MFA and enrolls users", async () => {
    const { startWithMfa, enrolledUsers } = await import("../examples/mfa.js")
    const emulator = await startWithMfa()
    try {
      const result = await enrolledUsers(emulator)
      expect(result.otp).toMatch(/^\d{6}$/)
      expect(result.recoveryCode).toMatch(/^[A-Z2-7]{24}$/)
      // Nothing was challenged yet: no code sent, no push pending.
      expect(result.smsCode).toBeUndefined()
      expect(result.approved).toBe(0)
    } finally {
      await emulator.stop()
    }
  })
})
