import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as jose from "jose"
import { startEmulator, type Emulator } from "../src/index.js"
import { API, loginAs } from "./helpers.js"

describe("smoke", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [{ clientId: "app", clientSecret: "secret", redirectUris: ["http://127.0.0.1:3000/auth/callback"] }],
      apis: [{ audience: API, scopes: ["read:data", "write:data"] }]
    })
    await emulator.createUser({ email: "ada@example.com", name: "Ada" })
  })
  afterAll(() => emulator.stop())
  it("logs in", async () => {
    const r = await loginAs(emulator, "ada@example.com", { audience: API, scope: "openid profile email offline_access read:data" })
    console.log(r.status, r.tokens)
    console.log(jose.decodeJwt(r.tokens.id_token!), jose.decodeJwt(r.tokens.access_token))
    expect(r.status).toBe(200)
  })
})
