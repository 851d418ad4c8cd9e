/**
 * The Promise facade on Web-standard runtimes (what @auth0-effect/bun and /deno construct:
 * `BaseServerClient` over `webServerClientAdapter`), against the emulator: misuse rejects with a
 * typed error that says what to pass, protected routes reject with MissingSessionError, appState
 * and claims are typed, and `await using` disposes.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "@effect/vitest"
import { BaseServerClient, type ServerClientOptions } from "../src/ServerClient.js"
import { Auth0Error, InvalidArgumentError, MissingSessionError, MissingTransactionError } from "../src/Errors.js"
import type { UserClaims } from "../src/Session.js"
import { webServerClientAdapter, type WebStoreOptions } from "../src/WebCookies.js"

const APP = "http://127.0.0.1:3999"

class WebClient extends BaseServerClient<WebStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, webServerClientAdapter)
  }
}

/** A browser's cookie jar over Request/Headers: each call gets a fresh request carrying the cookies. */
const makeBrowser = () => {
  const cookies = new Map<string, string>()
  const store = (path = "/") => {
    const request = new Request(new URL(path, APP), {
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") }
    })
    return { request, headers: new Headers() }
  }
  const keep = ({ headers }: WebStoreOptions) => {
    for (const line of headers.getSetCookie()) {
      const [pair = ""] = line.split(";")
      const eq = pair.indexOf("=")
      if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
      else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }
  const call = async <A>(f: (options: WebStoreOptions) => Promise<A>, path?: string): Promise<A> => {
    const options = store(path)
    try {
      return await f(options)
    } finally {
      keep(options)
    }
  }
  return { cookies, call }
}

let emulator: Emulator
let auth0: WebClient

beforeAll(async () => {
  emulator = await startEmulator({
    clients: [{ clientId: "web-app", clientSecret: "web-app-secret", redirectUris: [`${APP}/callback`] }]
  })
  await emulator.createUser({ email: "wen@example.com", name: "Wen" })
  auth0 = new WebClient(emulator.sdkOptions({ clientId: "web-app" }))
})

afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
})

/** Calls `f` and checks it returned a promise instead of throwing. */
const rejection = async (f: () => Promise<unknown>) => {
  let promise: Promise<unknown> | undefined
  expect(() => {
    promise = f()
  }).not.toThrow()
  return promise!.then(() => expect.fail("resolved"), (error: unknown) => error)
}

describe("misuse rejects with InvalidArgumentError that says what to pass", () => {
  const calls: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
    ["getUser()", () => (auth0.getUser as (o?: unknown) => Promise<unknown>)()],
    ["getUser({ request }) without headers", () => auth0.getUser({ request: new Request(APP) } as WebStoreOptions)],
    ["getUser({ req, res }) (the Node shape)", () => auth0.getUser({ req: {}, res: {} } as unknown as WebStoreOptions)],
    ["getAccessToken({ audience }) without storeOptions", () => auth0.getAccessToken({ audience: "https://api.example.com" } as unknown as WebStoreOptions)],
    ["requireUser(null)", () => auth0.requireUser(null as unknown as WebStoreOptions)]
  ]
  for (const [name, call] of calls) {
    it(name, async () => {
      const error = await rejection(call)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toBeInstanceOf(Auth0Error)
      expect((error as InvalidArgumentError).argument).toBe("storeOptions")
      expect((error as InvalidArgumentError).message).toMatch(/\{ request, headers \}/)
    })
  }

  it("names what it got, by keys, never values", async () => {
    const error = await rejection(() => auth0.getAccessToken({ audience: "https://api.example.com" } as unknown as WebStoreOptions))
    expect((error as Error).message).toMatch(/got an object with keys audience/)
    expect((error as Error).message).not.toContain("api.example.com")
  })

  it("a BigInt in appState rejects with InvalidArgumentError(appState) and stores nothing", async () => {
    const browser = makeBrowser()
    const error = await rejection(() => browser.call((o) => auth0.startInteractiveLogin({ appState: { n: 1n } }, o)))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as InvalidArgumentError).argument).toBe("appState")
    expect(browser.cookies.size).toBe(0)
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(await rejection(() => browser.call((o) => auth0.startInteractiveLogin({ appState: cyclic }, o)))).toBeInstanceOf(
      InvalidArgumentError
    )
  })
})

describe("protecting routes", () => {
  it("requireSession and requireUser reject with MissingSessionError without a session, resolve after login", async () => {
    const browser = makeBrowser()
    expect(await rejection(() => browser.call((o) => auth0.requireSession(o)))).toBeInstanceOf(MissingSessionError)
    expect(await rejection(() => browser.call((o) => auth0.requireUser(o)))).toBeInstanceOf(MissingSessionError)

    const url = await browser.call((o) => auth0.startInteractiveLogin({ appState: { returnTo: "/calendar" } }, o))
    const callback = await emulator.login(url.toString(), { user: "wen@example.com" })
    const { appState } = await browser.call((o) => auth0.completeInteractiveLogin<{ returnTo: string }>(callback, o), callback)
    expectTypeOf(appState).toEqualTypeOf<{ returnTo: string } | undefined>()
    expect(appState?.returnTo).toBe("/calendar")

    const user = await browser.call((o) => auth0.requireUser(o))
    expectTypeOf(user).toEqualTypeOf<UserClaims>()
    expectTypeOf(user.email).toEqualTypeOf<string | undefined>()
    expectTypeOf(user.email_verified).toEqualTypeOf<boolean | undefined>()
    expect(user.email).toBe("wen@example.com")
    const session = await browser.call((o) => auth0.requireSession(o))
    expect(session.user.sub).toBe(user.sub)
    expect(session).not.toHaveProperty("internal")
  })

  it("a callback whose transaction cookie was not sent back names the likely causes, not the state", async () => {
    const browser = makeBrowser()
    const url = await browser.call((o) => auth0.startInteractiveLogin({}, o))
    const callback = await emulator.login(url.toString(), { user: "wen@example.com" })
    const state = new URL(callback).searchParams.get("state")!
    browser.cookies.clear()
    const error = await rejection(() => browser.call((o) => auth0.completeInteractiveLogin(callback, o), callback))
    expect(error).toBeInstanceOf(MissingTransactionError)
    const message = (error as Error).message
    expect(message).toMatch(/cookie was not sent back/)
    expect(message).toMatch(/Secure cookie over plain http/)
    expect(message).toMatch(/localhost .* 127\.0\.0\.1/)
    expect(message).toMatch(/used twice/)
    expect(message).not.toContain(state)
  })
})

describe("lifecycle", () => {
  it("await using disposes the client at the end of the block; later calls reject with a typed error", async () => {
    let escaped: WebClient | undefined
    {
      await using client = new WebClient(emulator.sdkOptions({ clientId: "web-app" }))
      escaped = client
      expect(await makeBrowser().call((o) => client.getUser(o))).toBeUndefined()
    }
    const error = await rejection(() => makeBrowser().call((o) => escaped!.getUser(o)))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect((error as Error).message).toMatch(/disposed/)
  })

  it("is AsyncDisposable under the well-known symbol", () => {
    expectTypeOf(auth0).toMatchTypeOf<AsyncDisposable>()
    expect(typeof auth0[Symbol.asyncDispose]).toBe("function")
  })
})
