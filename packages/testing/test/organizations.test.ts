import { randomBytes } from "node:crypto"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEmulator, type Emulator } from "../src/index.js"
import * as Examples from "../examples/organizations.js"
import { API, authorizeUrl, exchangeCode, pkce, REDIRECT_URI, refresh } from "./helpers.js"

/** One login with extra authorize parameters; the callback URL and, when it has a code, the tokens. */
const loginWith = async (emulator: Emulator, user: string, extra: Record<string, string>, base: { scope?: string; audience?: string } = {}) => {
  const { verifier, challenge } = pkce()
  const url = new URL(authorizeUrl(emulator, {
    nonce: randomBytes(8).toString("base64url"),
    state: randomBytes(8).toString("base64url"),
    challenge,
    ...base
  }))
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v)
  const callback = new URL(await emulator.login(url.href, { user }))
  const code = callback.searchParams.get("code")
  if (!code) return { callback, tokens: undefined }
  const response = await exchangeCode(emulator, code, verifier)
  expect(response.status).toBe(200)
  return { callback, tokens: (await response.json()) as { id_token: string; access_token: string; refresh_token?: string } }
}

describe("emulated organizations", () => {
  let emulator: Emulator
  let org: { id: string; name: string }

  beforeAll(async () => {
    emulator = await startEmulator({
      clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: [REDIRECT_URI] }],
      apis: [{ audience: API, scopes: ["read:data"] }]
    })
    await emulator.createUser({ email: "member@example.com" })
    await emulator.createUser({ email: "outsider@example.com" })
    await emulator.createUser({ email: "invitee@example.com" })
    org = await emulator.createOrganization({ name: "acme", displayName: "Acme Inc." })
    await emulator.addMember(org.id, "member@example.com")
  })
  afterAll(() => emulator.stop())

  it("createOrganization gives an org_ id, and refuses a name Auth0 would not take", async () => {
    expect(org.id).toMatch(/^org_/)
    await expect(emulator.createOrganization({ name: "Upper Case" })).rejects.toThrow(/lowercase/)
    await expect(emulator.createOrganization({ name: "acme" })).rejects.toThrow(/already exists/)
  })

  it("a member's login by id carries org_id and org_name in the ID token and the API access token", async () => {
    const { tokens } = await loginWith(emulator, "member@example.com", { organization: org.id }, { audience: API })
    const idToken = jose.decodeJwt(tokens!.id_token)
    expect(idToken["org_id"]).toBe(org.id)
    expect(idToken["org_name"]).toBe("acme")
    const accessToken = jose.decodeJwt(tokens!.access_token)
    expect(accessToken["org_id"]).toBe(org.id)
  })

  it("the organization is resolved by name case-insensitively, and survives a refresh", async () => {
    const { tokens } = await loginWith(emulator, "member@example.com", { organization: "ACME" })
    expect(jose.decodeJwt(tokens!.id_token)["org_name"]).toBe("acme")
    const refreshed = (await (await refresh(emulator, tokens!.refresh_token!)).json()) as { id_token: string }
    expect(jose.decodeJwt(refreshed.id_token)["org_id"]).toBe(org.id)
  })

  it("a login without organization carries no org claims", async () => {
    const { tokens } = await loginWith(emulator, "member@example.com", {})
    expect(jose.decodeJwt(tokens!.id_token)["org_id"]).toBeUndefined()
  })

  it("refuses a non-member with access_denied at the callback", async () => {
    const { callback, tokens } = await loginWith(emulator, "outsider@example.com", { organization: org.id })
    expect(tokens).toBeUndefined()
    expect(callback.searchParams.get("error")).toBe("access_denied")
    expect(callback.searchParams.get("error_description")).toMatch(/not a member/)
  })

  it("refuses an unknown organization with invalid_request", async () => {
    const { callback } = await loginWith(emulator, "member@example.com", { organization: "org_doesnotexist" })
    expect(callback.searchParams.get("error")).toBe("invalid_request")
  })

  it("an invitation link logs the invitee in once and makes them a member", async () => {
    const invitation = await emulator.createInvitation(org.id, { email: "invitee@example.com" })
    const link = new URL(invitation.url)
    expect(link.origin + link.pathname).toBe("http://127.0.0.1:3000/login")
    expect(link.searchParams.get("organization")).toBe(org.id)
    expect(link.searchParams.get("organization_name")).toBe("acme")
    const params = { invitation: link.searchParams.get("invitation")!, organization: link.searchParams.get("organization")! }

    const stranger = await loginWith(emulator, "outsider@example.com", params)
    expect(stranger.callback.searchParams.get("error")).toBe("access_denied")

    const { tokens } = await loginWith(emulator, "invitee@example.com", params)
    expect(jose.decodeJwt(tokens!.id_token)["org_id"]).toBe(org.id)
    // Used once; membership stays.
    expect((await loginWith(emulator, "invitee@example.com", params)).callback.searchParams.get("error")).toBe("access_denied")
    expect((await loginWith(emulator, "invitee@example.com", { organization: org.id })).tokens).toBeDefined()
  })
})

describe("emulated account linking", () => {
  let emulator: Emulator
  let primary: string

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: [REDIRECT_URI] }] })
    primary = (await emulator.createUser({ email: "ada@example.com" })).sub
    await emulator.createUser({ email: "ada.g@example.com", sub: "google-oauth2|1234" })
    await emulator.createUser({ email: "other@example.com" })
  })
  afterAll(() => emulator.stop())

  const linking = (scope: string, idToken: string, connection: string) => ({
    id_token_hint: idToken,
    requested_connection: connection,
    audience: "my-account",
    scope
  })

  it("links the requested connection's account into the hinted user, then unlinks it", async () => {
    const first = await loginWith(emulator, "ada@example.com", {})
    expect(jose.decodeJwt(first.tokens!.id_token)["identities"]).toEqual([
      { provider: "auth0", user_id: primary.slice("auth0|".length), connection: "Username-Password-Authentication", isSocial: false }
    ])

    const wrong = await loginWith(emulator, "other@example.com", linking("openid link_account", first.tokens!.id_token, "google-oauth2"))
    expect(wrong.callback.searchParams.get("error")).toBe("access_denied")

    const linked = await loginWith(emulator, "ada.g@example.com", linking("openid link_account", first.tokens!.id_token, "google-oauth2"))
    const claims = jose.decodeJwt(linked.tokens!.id_token)
    expect(claims.sub).toBe(primary)
    expect((claims["identities"] as Array<{ connection: string }>).map((i) => i.connection)).toEqual([
      "Username-Password-Authentication",
      "google-oauth2"
    ])
    expect(emulator.identities(primary)).toHaveLength(2)
    expect(() => emulator.identities("google-oauth2|1234")).toThrow(/Unknown user/)

    const unlinked = await loginWith(emulator, "ada@example.com", linking("openid unlink_account", linked.tokens!.id_token, "google-oauth2"))
    expect((jose.decodeJwt(unlinked.tokens!.id_token)["identities"] as Array<unknown>)).toHaveLength(1)
    expect(emulator.identities("google-oauth2|1234")).toHaveLength(1)

    const again = await loginWith(emulator, "ada@example.com", linking("openid unlink_account", unlinked.tokens!.id_token, "google-oauth2"))
    expect(again.callback.searchParams.get("error")).toBe("access_denied")
  })
})

describe("docs/testing.md organization and linking examples run", () => {
  let emulator: Emulator
  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: [REDIRECT_URI] }] })
  })
  afterAll(() => emulator.stop())

  it("seedOrganization makes a member and an invitation link", async () => {
    const { acme, invitationUrl } = await Examples.seedOrganization(emulator)
    expect(acme.id).toMatch(/^org_/)
    expect(new URL(invitationUrl).searchParams.get("organization")).toBe(acme.id)
    const { tokens } = await loginWith(emulator, "ada@example.com", { organization: "acme" })
    expect(jose.decodeJwt(tokens!.id_token)["org_name"]).toBe("acme")
  })

  it("linkWithEmulator links the Google account into the primary user", async () => {
    const other = await startEmulator({ clients: [{ clientId: "app", clientSecret: "app-secret", redirectUris: [REDIRECT_URI] }] })
    try {
      const sub = await Examples.seedLinkableAccounts(other)
      const first = await loginWith(other, "ada@example.com", {})
      const url = new URL(authorizeUrl(other, { nonce: "n", state: "s", challenge: pkce().challenge, scope: "openid link_account" }))
      url.searchParams.set("id_token_hint", first.tokens!.id_token)
      url.searchParams.set("requested_connection", "google-oauth2")
      url.searchParams.set("audience", "my-account")
      const { callback, connections } = await Examples.linkWithEmulator(other, url.href, sub)
      expect(new URL(callback).searchParams.get("code")).toBeTruthy()
      expect(connections).toEqual(["Username-Password-Authentication", "google-oauth2"])
    } finally {
      await other.stop()
    }
  })
})
