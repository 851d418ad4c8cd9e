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
  })
})
