import * as Effect from "effect/Effect"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Emulator } from "../src/index.js"
import * as Examples from "../examples/emulator.js"

describe("docs/testing.md examples run", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await Examples.startForTests()
  })
  afterAll(() => emulator.stop())

  it("login, MRRT, connect + Token Vault", async () => {
    const { sub, tokens } = await Examples.logIn(emulator)
    expect(jose.decodeJwt(tokens.id_token).sub).toBe(sub)
    expect((await Examples.billingToken(emulator, tokens.refresh_token)).scope).toBe("read:billing")
    expect(await Examples.connectGoogleAndCallCalendar(emulator, tokens.refresh_token)).toBe(200)
  })

  it("Layer", async () => {
    expect(await Effect.runPromise(Examples.discoveryIssuer)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  })

  it("back-channel logout", async () => {
    const result = await Examples.backchannelLogout()
    expect(result.status).toBe(200)
    expect(result.received).toBe(1)
  })

  it("faults and counters", async () => {
    expect(await Examples.faultsAndCounters(emulator)).toEqual({ tokenCalls: 0, refreshCalls: 0 })
    // The faults are queued for the next requests: two 503s, then served normally.
    const refresh = () => fetch(`${emulator.origin}/oauth/token`, { method: "POST" })
    expect([(await refresh()).status, (await refresh()).status]).toEqual([503, 503])
  })

  it("crafted tokens", async () => {
    const idToken = await Examples.expiredIdToken(emulator, "n-1")
    const served = await fetch(`${emulator.origin}/oauth/token`, { method: "POST" }).then((r) => r.json() as Promise<{ id_token: string }>)
    expect(served.id_token).toBe(idToken)
    const claims = jose.decodeJwt(idToken)
    expect(claims.exp).toBeLessThan(claims.iat!)
    expect(claims["nonce"]).toBe("n-1")
  })
})
