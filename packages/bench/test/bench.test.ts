/**
 * Each benchmark body, run once: it must do what its label claims, for both SDKs. No timing here.
 */
import type { ServerResponse } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { behaviour, type Case, cases, type Context, setup } from "../src/Cases.js"
import * as ColdStart from "../src/ColdStart.js"
import { cookieHeaderFrom, nodeRequest, REFERENCE_DOMAIN, setCookies } from "../src/Fixtures.js"
import { AUDIENCES } from "../src/Realistic.js"

let ctx: Context
let all: ReadonlyArray<Case>

beforeAll(async () => {
  ctx = await setup()
  all = cases(ctx)
})
afterAll(() => ctx?.close())

const body = (sdk: Case["sdk"], label: string): Case["run"] => {
  const found = all.find((item) => item.sdk === sdk && item.label === label)
  if (!found) throw new Error(`no case ${sdk}: ${label}`)
  return found.run
}

describe("setup", () => {
  it("each SDK wrote the same session in its own format: the reference's ~3 KB, ours deflated to less", () => {
    expect(ctx.referenceCookie.length).toBeGreaterThan(2_500)
    expect(ctx.referenceCookie.length).toBeLessThan(4_000)
    expect(ctx.oursCookie.length).toBeGreaterThan(1_000)
    expect(ctx.oursCookie.length).toBeLessThan(ctx.referenceCookie.length)
    expect(ctx.oursCookie).toMatch(/^__a0_session=/)
    expect(ctx.referenceCookie).toMatch(/^__a0_session\.0=/)
    expect(ctx.oursTampered).not.toBe(ctx.oursCookie)
    expect(ctx.oursTampered.length).toBe(ctx.oursCookie.length)
    expect(ctx.referenceTampered).not.toBe(ctx.referenceCookie)
  })

  it("lists every group for both SDKs", () => {
    for (const group of ["read", "write", "login", "bad-cookie"] as const) {
      expect(all.filter((item) => item.group === group).map((item) => item.sdk)).toEqual(
        expect.arrayContaining(["reference", "ours"])
      )
    }
  })
})

describe("1. read", () => {
  it("both SDKs return the same user and tokens from their own cookie, through every read path", async () => {
    const { user, idToken, refreshToken, tokenSets } = ctx.data
    const sessions = [
      await body("reference", "getSession")(),
      await body("ours", "getSession (facade)")(),
      await body("ours", "getSession (facade, rolling: false)")(),
      await body("ours", "UserSession.getSession (raw Effect)")()
    ]
    for (const session of sessions) {
      expect(session).toMatchObject({ user, idToken, refreshToken, tokenSets })
      expect(session).not.toHaveProperty("internal")
    }
    expect(await body("reference", "getUser")()).toEqual(user)
    expect(await body("ours", "getUser (facade)")()).toEqual(user)
  })

  it("with rolling: false, a read answers no Set-Cookie (like the reference's reads)", async () => {
    const ours = nodeRequest(ctx.oursCookie)
    await ctx.oursFixed.getSession(ours)
    expect(setCookies(ours.res)).toEqual([])
    const reference = nodeRequest(ctx.referenceCookie)
    await ctx.reference.client.getSession(reference)
    expect(setCookies(reference.res)).toEqual([])
  })
})

describe("2. write", () => {
  it("every write seals a cookie that reads back as the same session", async () => {
    const { user, tokenSets } = ctx.data

    const ours = (await body("ours", "StateStore.set (facade run)")()) as ServerResponse
    const oursWritten = cookieHeaderFrom(setCookies(ours))
    expect(oursWritten).toMatch(/^__a0_session=/)
    expect(oursWritten).not.toBe(ctx.oursCookie) // a fresh IV: a new ciphertext
    expect(await ctx.ours.getSession(nodeRequest(oursWritten))).toMatchObject({ user, tokenSets })

    const raw = (await body("ours", "StateStore.set (raw Effect)")()) as Array<string>
    expect(raw).toHaveLength(1)
    expect(await ctx.raw.getSession(cookieHeaderFrom(raw))).toMatchObject({ user, tokenSets })

    const reference = (await body("reference", "StatelessStateStore.set")()) as ServerResponse
    const referenceWritten = cookieHeaderFrom(setCookies(reference))
    expect(referenceWritten).toMatch(/^__a0_session\.0=/)
    expect(await ctx.reference.client.getSession(nodeRequest(referenceWritten))).toMatchObject({ user, tokenSets })
  })
})

describe("3. startInteractiveLogin", () => {
  it("both build an authorization URL with PKCE from cached discovery; ours also binds state and nonce", async () => {
    const before = ctx.server.requests()
    const reference = (await body("reference", "startInteractiveLogin")()) as URL
    const ours = (await body("ours", "startInteractiveLogin (facade)")()) as URL
    expect(ctx.server.requests()).toBe(before)

    expect(reference.origin).toBe(`https://${REFERENCE_DOMAIN}`)
    expect(ours.origin).toBe(`http://127.0.0.1:${ctx.server.port}`)
    for (const url of [reference, ours]) {
      expect(url.pathname).toBe("/authorize")
      expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(url.searchParams.get("code_challenge_method")).toBe("S256")
      expect(url.searchParams.get("client_id")).toBe("bench-client")
      expect(url.searchParams.get("redirect_uri")).toBe("http://localhost:3000/callback")
    }
    expect(ours.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(ours.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/)
  })

  it("both write a transaction cookie", async () => {
    const ours = nodeRequest(undefined)
    const url = await ctx.ours.startInteractiveLogin(undefined, ours)
    expect(setCookies(ours.res).some((line) => line.startsWith(`__a0_tx.${url.searchParams.get("state")}=`))).toBe(true)
    const reference = nodeRequest(undefined)
    await ctx.reference.client.startInteractiveLogin(undefined, reference)
    expect(setCookies(reference.res).some((line) => line.startsWith("__a0_tx="))).toBe(true)
  })
})

describe("5. tampered cookie", () => {
  it("reads as no session for ours (facade and raw), and for the reference", async () => {
    expect(await body("ours", "getSession (facade), tampered cookie")()).toBeUndefined()
    expect(await body("ours", "UserSession.getSession (raw Effect), tampered")()).toBeUndefined()
    expect(await body("reference", "getSession, tampered cookie")()).toBeUndefined()
  })

  it("ours reads every bad cookie as no session and expires it; only the control reads as a session", async () => {
    const rows = await behaviour(ctx)
    expect(rows[0]).toMatchObject({ cookie: "valid (control)", ours: "session", reference: "session", oursClears: false })
    for (const row of rows.slice(1)) {
      expect(row.ours).toBe("no session")
      expect(row.oursClears).toBe(true)
    }
  })
})

describe("6. the realistic MRRT session", () => {
  it("has the shape of issue 15: 10 claims, ~1 KB ID token, 3 token sets of ~800 characters, 1 connection token", () => {
    const { data } = ctx.realistic
    expect(Object.keys(data.user)).toHaveLength(10)
    expect(data.idToken!.length).toBeGreaterThan(900)
    expect(data.idToken!.length).toBeLessThan(1_100)
    expect(data.tokenSets.map((set) => set.audience)).toEqual([...AUDIENCES])
    for (const set of data.tokenSets) {
      expect(set.accessToken.length).toBeGreaterThan(700)
      expect(set.accessToken.length).toBeLessThan(900)
    }
    expect(data.connectionTokenSets).toHaveLength(1)
    expect(data.refreshToken).toMatch(/^v1\./)
  })

  it("every read path returns the whole session, the floor included", async () => {
    const { data } = ctx.realistic
    const { internal: _internal, ...visible } = data
    expect(await body("reference", "getSession")()).toBeDefined()
    for (const label of ["getSession (facade)", "UserSession.getSession (raw Effect)"]) {
      const found = all.find((item) => item.group === "mrrt-read" && item.sdk === "ours" && item.label === label)!
      expect(await found.run()).toEqual(visible)
    }
    const reference = all.find((item) => item.group === "mrrt-read" && item.sdk === "reference")!
    expect(await reference.run()).toMatchObject(visible)
    const floor = all.find((item) => item.group === "mrrt-read" && item.sdk === "floor")!
    expect(await floor.run()).toEqual(data)
  })

  it("every write seals a cookie that reads back as the session", async () => {
    const { data } = ctx.realistic
    const writes = all.filter((item) => item.group === "mrrt-write")
    expect(writes.map((item) => item.sdk)).toEqual(["reference", "ours", "ours", "floor"])
    const ours = cookieHeaderFrom(setCookies((await writes[1]!.run()) as ServerResponse))
    expect(await ctx.ours.getSession(nodeRequest(ours))).toMatchObject({ user: data.user, tokenSets: data.tokenSets })
    const raw = cookieHeaderFrom((await writes[2]!.run()) as Array<string>)
    expect(await ctx.raw.getSession(raw)).toMatchObject({ user: data.user, connectionTokenSets: data.connectionTokenSets })
    const reference = cookieHeaderFrom(setCookies((await writes[0]!.run()) as ServerResponse))
    expect(await ctx.reference.client.getSession(nodeRequest(reference))).toMatchObject({ user: data.user, tokenSets: data.tokenSets })
    expect(await writes[3]!.run()).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  })

  it("both SDKs serve the second audience's stored token without a request", async () => {
    const before = ctx.server.requests()
    const expected = ctx.realistic.data.tokenSets[1]!
    for (const item of all.filter((item) => item.group === "mrrt-token")) {
      expect(await item.run()).toMatchObject({ accessToken: expected.accessToken, audience: expected.audience })
    }
    expect(ctx.server.requests()).toBe(before)
  })
})

describe("4. cold start", () => {
  it("every variant starts, constructs a client, and the first read finds the user", async () => {
    const bundles = await ColdStart.buildBundles()
    const all = ColdStart.variants({ ours: ctx.oursCookie, reference: ctx.referenceCookie }, bundles)
    for (const variant of all) {
      const { stdout } = ColdStart.runOnce(variant)
      if (variant.label.includes("first getUser")) expect(stdout).toBe(`ok ${ctx.data.user.sub}`)
      else if (variant.label.includes("ServerClient")) expect(stdout).toBe("ok function")
      else expect(stdout).toBe("ok")
    }
  }, 60_000)

  it("quantile interpolates between ranks", () => {
    expect(ColdStart.quantile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(ColdStart.quantile([10, 20], 0.9)).toBe(19)
    expect(ColdStart.quantile([7], 0.9)).toBe(7)
  })
})
