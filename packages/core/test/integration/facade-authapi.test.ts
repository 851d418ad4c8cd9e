/**
 * The Promise facade's Authentication API methods against the emulator: each rejects with the
 * original tagged error (`instanceof Auth0Error`) and writes its cookies through the adapter.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { AuthenticationApiError, Auth0Error, InvalidArgumentError, TokenEndpointError } from "../../src/Errors.js"
import { makeRequestJar, type CookieJar } from "../../src/RequestCookies.js"
import { BaseServerClient } from "../../src/ServerClient.js"
import { applySetCookie } from "../helpers/cookieBrowser.js"
import { emulatorOptions, sdkOptions } from "./harness.js"

type StoreOptions = { readonly jar: CookieJar }

let emulator: Emulator
let auth0: BaseServerClient<StoreOptions>
beforeAll(async () => {
  emulator = await startEmulator(emulatorOptions())
  auth0 = new BaseServerClient<StoreOptions>(sdkOptions(emulator), { jar: (o) => o.jar, commit: () => {} })
})
afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
})

const makeBrowser = () => {
  const cookies = new Map<string, string>()
  const send = async <A>(call: (storeOptions: StoreOptions) => Promise<A>): Promise<A> => {
    const jar = makeRequestJar(Array.from(cookies, ([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "))
    try {
      return await call({ jar })
    } finally {
      for (const header of jar.setCookieHeaders()) applySetCookie(cookies, header)
    }
  }
  return { cookies, send }
}

describe("facade: passwordless, database connections, revocation, session transfer", () => {
  it("signUp, a passwordless login, a session transfer token, then revocation, all through the facade", async () => {
    const weak = await auth0.signUp({ email: "lin@example.com", password: "weak" }).catch((e: unknown) => e)
    expect(weak).toBeInstanceOf(AuthenticationApiError)
    expect(weak).toBeInstanceOf(Auth0Error)
    const created = await auth0.signUp({ email: "lin@example.com", password: "Strong-Enough-42" })
    expect(created.email).toBe("lin@example.com")
    await auth0.changePassword({ email: "lin@example.com" })
    expect(emulator.lastPasswordResetTicket("lin@example.com")).toBeDefined()

    const browser = makeBrowser()
    await browser.send((o) => auth0.startPasswordless({ connection: "email", email: "lin@example.com" }, o))
    const wrong = await browser.send((o) =>
      auth0.completePasswordless({ connection: "email", email: "lin@example.com", verificationCode: "000000" }, o)
    ).catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(TokenEndpointError)
    const code = emulator.lastPasswordlessCode("lin@example.com")!
    await browser.send((o) => auth0.completePasswordless({ connection: "email", email: "lin@example.com", verificationCode: code }, o))
    expect((await browser.send((o) => auth0.getUser(o)))?.email).toBe("lin@example.com")

    const result = await browser.send((o) =>
      auth0.requestSessionTransferToken({ subjectToken: "lin@example.com", subjectTokenType: "urn:auth0-emulator:user" }, o)
    )
    const redirect = auth0.buildSessionTransferRedirect("http://127.0.0.1:3000/auth/login", result)
    expect(redirect.searchParams.get("session_transfer_token")).toBe(result.sessionTransferToken)
    expect(() => auth0.buildSessionTransferRedirect("http://evil.example/login", result)).toThrow(InvalidArgumentError)

    emulator.resetCounts()
    await browser.send((o) => auth0.revokeRefreshToken({}, o))
    expect(emulator.requestCount("/oauth/revoke")).toBe(1)
    expect((await browser.send((o) => auth0.getSession(o)))?.refreshToken).toBeUndefined()
    const url = await browser.send((o) => auth0.logout({ revokeRefreshToken: true }, o))
    expect(url.searchParams.get("client_id")).toBe("app")
    // Nothing left to revoke: the logout sent no second revocation.
    expect(emulator.requestCount("/oauth/revoke")).toBe(1)
  })

  it("a magic link through the facade returns its appState", async () => {
    const browser = makeBrowser()
    await browser.send((o) =>
      auth0.startPasswordless({ connection: "email", email: "mo@example.com", send: "link", appState: { returnTo: "/x" } }, o)
    )
    const callback = await emulator.login(emulator.lastMagicLink("mo@example.com")!, {})
    const { appState } = await browser.send((o) => auth0.completePasswordlessMagicLink<{ returnTo: string }>(callback, o))
    expect(appState).toEqual({ returnTo: "/x" })
  })
})
