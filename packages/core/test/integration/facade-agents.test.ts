/**
 * The Promise facade's CIBA and Custom Token Exchange methods against the emulator: results come
 * back as the flows give them, refusals reject with the original tagged error (`instanceof
 * Auth0Error`), and only loginWithCustomTokenExchange writes a session cookie.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Auth0Error, BackchannelAuthenticationError, InvalidArgumentError } from "../../src/Errors.js"
import { makeRequestJar, type CookieJar } from "../../src/RequestCookies.js"
import { BaseServerClient } from "../../src/ServerClient.js"
import { applySetCookie } from "../helpers/cookieBrowser.js"
import { API, emulatorOptions, sdkOptions } from "./harness.js"

type StoreOptions = { readonly jar: CookieJar }
const TYPE = "urn:acme:legacy-token"

let emulator: Emulator
let auth0: BaseServerClient<StoreOptions>
let sub = ""
beforeAll(async () => {
  emulator = await startEmulator(emulatorOptions({
    ciba: { intervalSeconds: 1 },
    tokenExchange: { validate: (r) => (r.subjectToken === "legacy-ada" ? { sub } : { error: "invalid_request", errorDescription: "unknown token" }) }
  }))
  sub = (await emulator.createUser({ email: "ada@example.com", name: "Ada" })).sub
  auth0 = new BaseServerClient<StoreOptions>(sdkOptions(emulator), { jar: (o) => o.jar, commit: () => {} })
})
afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
})

/** Resolves once the emulator shows a pending backchannel request for the user. */
const pending = async () => {
  for (let i = 0; i < 300; i++) {
    const found = emulator.pendingBackchannelRequests().find((r) => r.sub === sub)
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error("no pending backchannel request")
}

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

describe("facade: CIBA and Custom Token Exchange", () => {
  it("loginBackchannel resolves with the approving user's tokens; a denial rejects with BackchannelAuthenticationError", async () => {
    const login = auth0.loginBackchannel({ loginHint: { sub }, bindingMessage: "Pay invoice 42", audience: API, scope: "read:items" })
    await emulator.approveBackchannel((await pending()).authReqId)
    const tokens = await login
    expect(tokens.claims.sub).toBe(sub)
    expect(tokens.scope?.split(" ")).toContain("read:items")

    const denied = auth0.loginBackchannel({ loginHint: { sub }, bindingMessage: "Pay invoice 43" }).catch((e: unknown) => e)
    await emulator.denyBackchannel((await pending()).authReqId)
    const error = await denied
    expect(error).toBeInstanceOf(BackchannelAuthenticationError)
    expect(error).toBeInstanceOf(Auth0Error)
    expect(error).toMatchObject({ reason: "denied" })
  })

  it("the two-step form: initiate, a pending poll, then await after approval", async () => {
    const started = await auth0.initiateBackchannelAuthentication({ loginHint: { sub }, bindingMessage: "Sign in to the agent" })
    expect(started.authReqId).toBeTypeOf("string")
    const first = await auth0.backchannelAuthenticationGrant({ authReqId: started.authReqId, interval: started.interval })
    expect(first.status).toBe("pending")
    await emulator.approveBackchannel(started.authReqId)
    const tokens = await auth0.awaitBackchannelAuthentication(started)
    expect(tokens.claims.sub).toBe(sub)
  })

  it("customTokenExchange writes no cookie; loginWithCustomTokenExchange makes the session; a reserved type sends nothing", async () => {
    const browser = makeBrowser()
    const result = await browser.send(() => auth0.customTokenExchange({ subjectToken: "legacy-ada", subjectTokenType: TYPE, audience: API }))
    expect(result.accessToken).toBeTypeOf("string")
    expect(browser.cookies.size).toBe(0)

    const { user } = await browser.send((o) => auth0.loginWithCustomTokenExchange({ subjectToken: "legacy-ada", subjectTokenType: TYPE }, o))
    expect(user.sub).toBe(sub)
    expect((await browser.send((o) => auth0.getUser(o)))?.sub).toBe(sub)

    emulator.resetCounts()
    const reserved = await auth0.customTokenExchange({ subjectToken: "legacy-ada", subjectTokenType: "urn:ietf:params:oauth:token-type:jwt" }).catch((e: unknown) => e)
    expect(reserved).toBeInstanceOf(InvalidArgumentError)
    expect(emulator.requestCount("/oauth/token")).toBe(0)
  })
})
