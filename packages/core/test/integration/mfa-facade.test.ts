/**
 * MFA through the Promise facade, against the emulator: getAccessToken rejects with an
 * `instanceof` MfaRequiredError (and Auth0Error), the MFA methods work with its mfaToken, and
 * after verify the same getAccessToken call resolves from the session without a refresh.
 */
import { type Emulator, startEmulator, totp } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Auth0Error, MfaApiError, MfaRequiredError } from "../../src/Errors.js"
import { makeRequestJar, type CookieJar } from "../../src/RequestCookies.js"
import { BaseServerClient } from "../../src/ServerClient.js"
import { applySetCookie } from "../helpers/cookieBrowser.js"
import { emulatorOptions, sdkOptions } from "./harness.js"

type StoreOptions = { readonly jar: CookieJar }
const BANK = "https://bank.example.com"

let emulator: Emulator
let secret: string
beforeAll(async () => {
  const options = emulatorOptions()
  emulator = await startEmulator({
    ...options,
    apis: [...options.apis!, { audience: BANK, scopes: ["transfer:funds"], requireMfa: true }],
    clients: options.clients!.map((c) => ({
      ...c,
      refreshTokenPolicies: [...(c.refreshTokenPolicies ?? []), { audience: BANK, scopes: ["transfer:funds"] }]
    }))
  })
  await emulator.createUser({ email: "ada@example.com" })
  secret = (await emulator.enrollMfa("ada@example.com", { type: "otp" })).secret!
})
afterAll(() => emulator?.stop())

const makeBrowser = () => {
  const cookies = new Map<string, string>()
  return async <A>(call: (storeOptions: StoreOptions) => Promise<A>): Promise<A> => {
    const jar = makeRequestJar(Array.from(cookies, ([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "))
    try {
      return await call({ jar })
    } finally {
      for (const header of jar.setCookieHeaders()) applySetCookie(cookies, header)
    }
  }
}

describe("MFA through the facade", () => {
  it("step-up: MfaRequiredError, challenge, verify, then getAccessToken resolves without a refresh", async () => {
    const auth0 = new BaseServerClient<StoreOptions>(sdkOptions(emulator), { jar: (o) => o.jar, commit: () => {} })
    try {
      const send = makeBrowser()
      const url = await send((o) => auth0.startInteractiveLogin({}, o))
      await send(async (o) => auth0.completeInteractiveLogin(await emulator.login(url.href, { user: "ada@example.com" }), o))
      emulator.resetCounts()

      const error = await send((o) => auth0.getAccessToken({ audience: BANK, scope: "transfer:funds" }, o)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MfaRequiredError)
      expect(error).toBeInstanceOf(Auth0Error)
      const required = error as MfaRequiredError
      expect(JSON.stringify(required)).not.toContain(required.mfaToken)

      const authenticators = await send((o) => auth0.listAuthenticators({ mfaToken: required.mfaToken }, o))
      expect(authenticators[0]?.authenticatorType).toBe("otp")
      expect((await send((o) => auth0.challengeAuthenticator({ mfaToken: required.mfaToken, challengeType: "otp" }, o))).challengeType).toBe("otp")
      const enrollment = await send((o) => auth0.enrollAuthenticator({ mfaToken: required.mfaToken, authenticatorTypes: ["otp"] }, o))
      expect(enrollment.secret).toMatch(/^[A-Z2-7]+$/)

      const wrong = await send((o) => auth0.verify({ mfaToken: required.mfaToken, factorType: "otp", otp: "x" }, o)).catch((e: unknown) => e)
      expect(wrong).toBeInstanceOf(MfaApiError)
      const verified = await send(async (o) =>
        auth0.verify({ mfaToken: required.mfaToken, factorType: "otp", otp: await totp(secret), audience: required.audience, scope: required.scope }, o)
      )
      const token = await send((o) => auth0.getAccessToken({ audience: BANK, scope: "transfer:funds" }, o))
      expect(token.accessToken).toBe(verified.accessToken)
      expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
    } finally {
      await auth0.dispose()
    }
  })
})
