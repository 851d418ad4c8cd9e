/**
 * `offline_access` is granted whatever the login's `prompt`, as on Auth0: the emulator used to drop
 * it (oidc-provider's OIDC Core §11 rule) as soon as the app sent any prompt but `consent`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Emulator } from "@auth0-effect/testing"
import { startEmulator } from "@auth0-effect/testing"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as jose from "jose"
import * as AccessToken from "../../src/AccessToken.js"
import * as UserSession from "../../src/UserSession.js"
import { API, appLayer, emulatorOptions, login, OTHER_API } from "./harness.js"

describe("offline_access with a prompt", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator(emulatorOptions())
    await emulator.createUser({ email: "ada@example.com" })
  })
  afterAll(() => emulator.stop())

  const cases = [
    { name: "prompt=login", prompt: "login", par: false },
    { name: "prompt=consent", prompt: "consent", par: false },
    { name: "prompt=login through PAR", prompt: "login", par: true },
    { name: "no prompt through PAR", prompt: undefined, par: true }
  ] as const

  for (const c of cases) {
    it.live(`${c.name}: a refresh token, and getAccessToken for another audience works`, () =>
      Effect.gen(function*() {
        emulator.resetCounts()
        const { browser } = yield* login(emulator, "ada@example.com", {
          authorizationParams: { audience: API, ...(c.prompt ? { prompt: c.prompt } : {}) },
          pushedAuthorizationRequests: c.par
        })
        expect(emulator.requestCount("/oauth/par")).toBe(c.par ? 1 : 0)
        const session = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(session.refreshToken).toBeTypeOf("string")
        emulator.resetCounts()
        const other = yield* browser.request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" }))
        expect(jose.decodeJwt(other.accessToken).aud).toContain(OTHER_API)
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
      }).pipe(Effect.provide(appLayer(emulator))))
  }
})
