import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator, type TokenExchangeRequest } from "../src/index.js"
import { API } from "./helpers.js"

const GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
const TYPE = "urn:acme:legacy-token"

describe("Custom Token Exchange at /oauth/token", () => {
  let emulator: Emulator
  let sub: string
  const seen: Array<TokenExchangeRequest> = []
  let jwks: ReturnType<typeof jose.createRemoteJWKSet>

  const exchange = (params: Record<string, string>, secret = "app-secret") =>
    fetch(`${emulator.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: GRANT, client_id: "app", client_secret: secret, ...params }).toString()
    })

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: ["http://127.0.0.1:3000/cb"] }],
      apis: [{ audience: API, scopes: ["read:data"] }],
      tokenExchange: {
        validate: (request) => {
          seen.push(request)
          if (request.subjectToken === "legacy-ada") return { sub }
          if (request.subjectToken === "throws") throw new Error("signature does not verify")
          return { error: "invalid_request", errorDescription: "unknown legacy token" }
        }
      }
    })
    sub = (await emulator.createUser({ email: "ada@example.com", name: "Ada" })).sub
    jwks = jose.createRemoteJWKSet(new URL(`${emulator.origin}/.well-known/jwks.json`))
  })
  afterAll(() => emulator.stop())

  it("asks the test's validator and issues tokens for the user it names", async () => {
    const response = await exchange({
      subject_token: "legacy-ada",
      subject_token_type: TYPE,
      audience: API,
      scope: "openid profile offline_access read:data",
      actor_token: "agent-1",
      actor_token_type: "urn:acme:agent",
      organization: "org_123"
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, string>
    expect(seen.at(-1)).toEqual({
      subjectToken: "legacy-ada",
      subjectTokenType: TYPE,
      actorToken: "agent-1",
      actorTokenType: "urn:acme:agent",
      audience: API,
      scope: "openid profile offline_access read:data",
      organization: "org_123",
      clientId: "app"
    })
    const id = await jose.jwtVerify(body["id_token"]!, jwks, { issuer: emulator.issuer, audience: "app" })
    expect(id.payload).toMatchObject({ sub, name: "Ada" })
    const at = await jose.jwtVerify(body["access_token"]!, jwks, { issuer: emulator.issuer, audience: API })
    expect(at.payload).toMatchObject({ sub, scope: "openid profile offline_access read:data", org_id: "org_123" })
    expect(body["refresh_token"]).toBeTypeOf("string")

    // The refresh token works with the refresh grant like any other.
    const refreshed = await fetch(`${emulator.origin}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: body["refresh_token"]!, client_id: "app", client_secret: "app-secret" }).toString()
    })
    expect(refreshed.status).toBe(200)
  })

  it("answers the validator's refusal, a throw, reserved types and bad clients as OAuth errors", async () => {
    const before = seen.length
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ subject_token: "who", subject_token_type: TYPE }, 400, "invalid_request"],
      [{ subject_token: "throws", subject_token_type: TYPE }, 400, "invalid_request"],
      [{ subject_token: "legacy-ada", subject_token_type: "urn:ietf:params:oauth:token-type:jwt" }, 400, "invalid_request"],
      [{ subject_token: "legacy-ada", subject_token_type: "https://auth0.com/x" }, 400, "invalid_request"],
      [{ subject_token_type: TYPE }, 400, "invalid_request"],
      [{ subject_token: "legacy-ada", subject_token_type: TYPE, audience: "https://unknown.example.com/" }, 403, "access_denied"]
    ]
    for (const [params, status, error] of cases) {
      const response = await exchange(params)
      expect({ params, status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({ params, status, error })
    }
    // Reserved types and a missing token never reach the validator.
    expect(seen.length - before).toBe(3)
    expect((await exchange({ subject_token: "legacy-ada", subject_token_type: TYPE }, "wrong")).status).toBe(401)
  })
})
