/**
 * The connect and back-channel logout routes, and the invitation parameters of the login route,
 * at the WebRoutes level with a recording client (the framework tests run them on the emulator).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import type { StartConnectAccountOptions } from "../src/ConnectedAccounts.js"
import { BackchannelLogoutError, InvalidArgumentError, MissingSessionError, StoreError } from "../src/Errors.js"
import type { StartInteractiveLoginOptions } from "../src/Login.js"
import { type AuthRoutesClient, createAuthHandler } from "../src/WebRoutes.js"
import { invitationParams, logoutTokenOf, MAX_LOGOUT_BODY } from "../src/WebRoutesRules.js"

const APP = "https://app.example.com"

const stubClient = (options: { loggedIn?: boolean; backchannel?: () => Promise<number> } = {}) => {
  const logins: Array<StartInteractiveLoginOptions | undefined> = []
  const connects: Array<StartConnectAccountOptions> = []
  const tokens: Array<string> = []
  const client: AuthRoutesClient = {
    redirectUri: `${APP}/auth/callback`,
    startInteractiveLogin: async (login) => {
      logins.push(login)
      return new URL("https://tenant.example.com/authorize?state=s")
    },
    handleCallback: async () => ({ _tag: "Login", appState: undefined }),
    logout: async () => new URL("https://tenant.example.com/v2/logout"),
    startConnectAccount: async (connect, { headers }) => {
      if (options.loggedIn === false) throw new MissingSessionError({ message: "no session" })
      connects.push(connect)
      headers.append("set-cookie", "__a0_tx.c=1; Path=/; HttpOnly")
      return new URL("https://tenant.example.com/connect?ticket=t")
    },
    handleBackchannelLogout: async (token) => {
      tokens.push(token)
      return options.backchannel === undefined ? 1 : options.backchannel()
    }
  }
  return { client, logins, connects, tokens }
}

const get = (path: string, init?: RequestInit) => new Request(new URL(path, APP), init)
const form = (body: string, contentType = "application/x-www-form-urlencoded") =>
  get("/auth/backchannel-logout", { method: "POST", headers: { "content-type": contentType }, body })

let quiet: Array<ReturnType<typeof vi.spyOn>> = []
beforeEach(() => {
  quiet = [vi.spyOn(console, "warn").mockImplementation(() => undefined), vi.spyOn(console, "error").mockImplementation(() => undefined)]
})
afterEach(() => quiet.forEach((spy) => spy.mockRestore()))

describe("connect route", () => {
  it("redirects to the connect URL with the connection's scopes and params from the options, and a safe returnTo", async () => {
    const { client, connects } = stubClient()
    const handle = createAuthHandler(client, {
      connections: { "google-oauth2": { scopes: ["calendar"], authorizationParams: { access_type: "offline" } }, github: {} }
    })
    const response = await handle(get("/auth/connect?connection=google-oauth2&returnTo=%2Fsettings"))
    expect(response?.status).toBe(302)
    expect(response?.headers.get("location")).toBe("https://tenant.example.com/connect?ticket=t")
    expect(response?.headers.getSetCookie()).toEqual(["__a0_tx.c=1; Path=/; HttpOnly"])
    await handle(get("/auth/connect?connection=github&returnTo=//evil.com"))
    expect(connects).toEqual([
      { connection: "google-oauth2", appState: { returnTo: "/settings" }, scopes: ["calendar"], authorizationParams: { access_type: "offline" } },
      { connection: "github", appState: { returnTo: "/" } }
    ])
  })

  it("refuses a connection outside the configured ones (even __proto__), and a missing one, with 400 and no flow", async () => {
    const { client, connects } = stubClient()
    const handle = createAuthHandler(client, { connections: { github: {} } })
    for (const path of ["/auth/connect?connection=google-oauth2", "/auth/connect?connection=__proto__", "/auth/connect?connection=constructor", "/auth/connect", "/auth/connect?connection="]) {
      const response = await handle(get(path))
      expect(response?.status, path).toBe(400)
    }
    expect(connects).toHaveLength(0)
    // Without `connections`, any connection goes to the flow, which validates the name.
    await createAuthHandler(client)(get("/auth/connect?connection=anything"))
    expect(connects.map((c) => c.connection)).toEqual(["anything"])
  })

  it("without a session, redirects to the login, which comes back to this connect", async () => {
    const { client } = stubClient({ loggedIn: false })
    const response = await createAuthHandler(client)(get("/auth/connect?connection=github&returnTo=/x"))
    expect(response?.status).toBe(302)
    const location = new URL(response!.headers.get("location")!, APP)
    expect(location.pathname).toBe("/auth/login")
    expect(location.searchParams.get("returnTo")).toBe("/auth/connect?connection=github&returnTo=/x")
  })

  it("is GET only, has a path option, can be turned off, and is not mounted for a client without startConnectAccount", async () => {
    const { client, connects } = stubClient()
    expect((await createAuthHandler(client)(get("/auth/connect?connection=github", { method: "POST" })))?.status).toBe(405)
    expect((await createAuthHandler(client, { connectPath: "/link" })(get("/link?connection=github")))?.status).toBe(302)
    expect(await createAuthHandler(client, { connectPath: "/link" })(get("/auth/connect?connection=github"))).toBeUndefined()
    expect(await createAuthHandler(client, { connectPath: false })(get("/auth/connect?connection=github"))).toBeUndefined()
    const { startConnectAccount: _, handleBackchannelLogout: __, ...bare } = client
    expect(await createAuthHandler(bare)(get("/auth/connect?connection=github"))).toBeUndefined()
    expect(() => createAuthHandler(bare, { connectPath: "/link" })).toThrow(InvalidArgumentError)
    expect(connects).toHaveLength(1)
  })

  it("refuses two routes on one path when built", () => {
    const { client } = stubClient()
    expect(() => createAuthHandler(client, { connectPath: "/auth/login" })).toThrow(InvalidArgumentError)
    expect(() => createAuthHandler(client, { backchannelLogoutPath: "/auth/logout" })).toThrow(InvalidArgumentError)
  })

  it("hands a failure to onError with the route's name", async () => {
    const { client } = stubClient()
    const seen: Array<string> = []
    const handle = createAuthHandler(client, {
      connections: {},
      onError: (error, { route, status }) => {
        seen.push(`${route} ${status} ${(error as InvalidArgumentError)._tag}`)
        return new Response("custom", { status: 418 })
      }
    })
    expect((await handle(get("/auth/connect?connection=github")))?.status).toBe(418)
    expect(seen).toEqual(["connect 400 InvalidArgumentError"])
  })
})

describe("back-channel logout route", () => {
  it("answers 200 with no body and no cookie once the token's sessions are gone; no Origin or cookie is needed", async () => {
    const { client, tokens } = stubClient()
    const response = await createAuthHandler(client)(form("logout_token=eyJ.a.b"))
    expect(response?.status).toBe(200)
    expect(await response?.text()).toBe("")
    expect(response?.headers.get("cache-control")).toBe("no-store")
    expect(response?.headers.getSetCookie()).toEqual([])
    expect(tokens).toEqual(["eyJ.a.b"])
  })

  it("answers 400 with an OAuth error JSON for a refused token, and 500 server_error when the store is down", async () => {
    const refused = stubClient({ backchannel: () => Promise.reject(new BackchannelLogoutError({ message: "Invalid logout token: jti is missing" })) })
    const response = await createAuthHandler(refused.client)(form("logout_token=t"))
    expect(response?.status).toBe(400)
    expect(response?.headers.get("content-type")).toBe("application/json; charset=utf-8")
    expect(await response?.json()).toEqual({ error: "invalid_request", error_description: "the logout token was refused" })
    const down = stubClient({ backchannel: () => Promise.reject(new StoreError({ message: "down", reason: "unavailable" })) })
    const failed = await createAuthHandler(down.client)(form("logout_token=t"))
    expect(failed?.status).toBe(500)
    expect(((await failed?.json()) as { error: string }).error).toBe("server_error")
  })

  it.each([
    ["a JSON body", JSON.stringify({ logout_token: "t" }), "application/json"],
    ["no logout_token", "token=t", undefined],
    ["an empty logout_token", "logout_token=", undefined],
    ["two logout_tokens", "logout_token=a&logout_token=b", undefined],
    ["a body over the limit", `logout_token=${"a".repeat(MAX_LOGOUT_BODY)}`, undefined]
  ])("answers 400 invalid_request for %s, and runs no flow", async (_, body, type) => {
    const { client, tokens } = stubClient()
    const response = await createAuthHandler(client)(form(body, type))
    expect(response?.status).toBe(400)
    expect(((await response?.json()) as { error: string }).error).toBe("invalid_request")
    expect(tokens).toHaveLength(0)
  })

  it("is POST only, has a path option and can be turned off", async () => {
    const { client } = stubClient()
    expect((await createAuthHandler(client)(get("/auth/backchannel-logout")))?.status).toBe(405)
    const moved = createAuthHandler(client, { backchannelLogoutPath: "/bcl" })
    expect((await moved(get("/bcl", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "logout_token=t" })))?.status).toBe(200)
    expect(await createAuthHandler(client, { backchannelLogoutPath: false })(form("logout_token=t"))).toBeUndefined()
  })

  it("passes a refused token to onError with the route's name", async () => {
    const refused = stubClient({ backchannel: () => Promise.reject(new BackchannelLogoutError({ message: "replay" })) })
    const routes: Array<string> = []
    const handle = createAuthHandler(refused.client, {
      onError: (_, { route, status }) => {
        routes.push(`${route} ${status}`)
        return new Response(null, { status: 400 })
      }
    })
    expect((await handle(form("logout_token=t")))?.status).toBe(400)
    expect(routes).toEqual(["backchannelLogout 400"])
  })
})

describe("error hook", () => {
  it("an onError that returns undefined gives the default answer for that failure", async () => {
    const { client } = stubClient()
    const handle = createAuthHandler(client, { connections: {}, onError: () => undefined })
    const response = await handle(get("/auth/connect?connection=github"))
    expect(response?.status).toBe(400)
    expect(await response?.text()).toBe("Bad Request: connect failed (InvalidArgumentError)")
  })
})

describe("login route: invitation links", () => {
  it("forwards organization and invitation from the query; configured parameters win", async () => {
    const { client, logins } = stubClient()
    await createAuthHandler(client)(get("/auth/login?invitation=inv_1&organization=org_abc&organization_name=acme"))
    await createAuthHandler(client, { authorizationParams: { organization: "org_fixed" } })(get("/auth/login?organization=org_other"))
    await createAuthHandler(client)(get(`/auth/login?organization=${encodeURIComponent("org x")}&invitation=${"a".repeat(300)}`))
    expect(logins.map((login) => login?.authorizationParams)).toEqual([
      { organization: "org_abc", invitation: "inv_1" },
      { organization: "org_fixed" },
      undefined
    ])
  })
})

describe("rules", () => {
  it.prop("invitationParams keeps only printable values without spaces, up to 256 characters", [FastCheck.string({ maxLength: 300 })], ([value]) => {
    const kept = invitationParams(new URLSearchParams({ organization: value })).organization
    if (kept !== undefined) {
      expect(kept).toBe(value)
      expect(/^[\x21-\x7e]{1,256}$/.test(kept)).toBe(true)
    } else {
      expect(/^[\x21-\x7e]{1,256}$/.test(value)).toBe(false)
    }
  })

  it("logoutTokenOf reads the form regardless of content-type parameters and case", () => {
    expect(logoutTokenOf("Application/X-WWW-Form-Urlencoded; charset=UTF-8", "logout_token=a%2Bb")).toEqual({ _tag: "Token", token: "a+b" })
    expect(logoutTokenOf(null, "logout_token=a")._tag).toBe("Invalid")
    expect(logoutTokenOf("text/plain", "logout_token=a")._tag).toBe("Invalid")
  })
})
