/**
 * The Promise facade's Organizations and Account linking methods against the emulator: an
 * invitation login, the session's organization, a link and an unlink through one callback route
 * that `callbackKind` dispatches, and errors that are `instanceof` their classes.
 */
import { type Emulator, startEmulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { AccountLinkingError, Auth0Error, MissingSessionError } from "../../src/Errors.js"
import { makeRequestJar, type CookieJar } from "../../src/RequestCookies.js"
import { BaseServerClient } from "../../src/ServerClient.js"
import { applySetCookie } from "../helpers/cookieBrowser.js"
import { emulatorOptions, sdkOptions } from "./harness.js"

type StoreOptions = { readonly jar: CookieJar }

let emulator: Emulator
let acme: { id: string; name: string }
let sub: string
beforeAll(async () => {
  emulator = await startEmulator(emulatorOptions())
  acme = await emulator.createOrganization({ name: "acme" })
  sub = (await emulator.createUser({ email: "ada@example.com" })).sub
  await emulator.createUser({ email: "ada.google@example.com", sub: "google-oauth2|77" })
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

describe("facade: organizations and account linking", () => {
  it("an invitation login, then a link and an unlink through one callback route", async () => {
    const auth0 = new BaseServerClient<StoreOptions>(sdkOptions(emulator), { jar: (o) => o.jar, commit: () => {} })
    try {
      const send = makeBrowser()
      // The callback route of the app: dispatched on the transaction's kind.
      const callbackRoute = async (url: string) => {
        const kind = await send((o) => auth0.callbackKind(url, o))
        if (kind === "link") return { kind, ...(await send((o) => auth0.completeLinkUser(url, o))) }
        if (kind === "unlink") return { kind, ...(await send((o) => auth0.completeUnlinkUser(url, o))) }
        return { kind, ...(await send((o) => auth0.completeInteractiveLogin(url, o))) }
      }

      await expect(send((o) => auth0.startLinkUser({ connection: "google-oauth2" }, o))).rejects.toBeInstanceOf(MissingSessionError)
      expect(await send((o) => auth0.getOrganization(o))).toBeUndefined()

      const invitation = await emulator.createInvitation(acme.id, { email: "ada@example.com" })
      const options = await auth0.loginOptionsFromInvitation(invitation.url)
      const loginUrl = await send((o) => auth0.startInteractiveLogin(options, o))
      expect(await callbackRoute(await emulator.login(loginUrl.href, { user: "ada@example.com" }))).toMatchObject({ kind: "login" })
      expect(await send((o) => auth0.getOrganization(o))).toEqual({ id: acme.id, name: "acme" })

      const linkUrl = await send((o) => auth0.startLinkUser({ connection: "google-oauth2", appState: { to: "/settings" } }, o))
      // The session's organization goes along, so the tenant keeps it in the new ID token.
      expect(linkUrl.searchParams.get("organization")).toBe(acme.id)
      const linked = await callbackRoute(await emulator.login(linkUrl.href, { user: "ada.google@example.com" }))
      expect(linked).toEqual({ kind: "link", appState: { to: "/settings" }, connection: "google-oauth2" })
      const user = await send((o) => auth0.getUser(o))
      expect(user?.sub).toBe(sub)
      expect((user?.["identities"] as Array<unknown>).length).toBe(2)
      expect(await send((o) => auth0.getOrganization(o))).toEqual({ id: acme.id, name: "acme" })

      // Linking the same connection again is refused by the tenant.
      const again = await send((o) => auth0.startLinkUser({ connection: "google-oauth2" }, o))
      await emulator.createUser({ email: "ada.google2@example.com", sub: "google-oauth2|78" })
      const refusedCallback = await emulator.login(again.href, { user: "ada.google2@example.com" })
      const refused = await callbackRoute(refusedCallback).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(AccountLinkingError)
      expect(refused).toBeInstanceOf(Auth0Error)
      expect(refused).toMatchObject({ reason: "refused", error: "access_denied" })

      const unlinkUrl = await send((o) => auth0.startUnlinkUser({ connection: "google-oauth2" }, o))
      expect(await callbackRoute(await emulator.login(unlinkUrl.href, { user: "ada@example.com" }))).toMatchObject({ kind: "unlink" })
      expect(((await send((o) => auth0.getUser(o)))?.["identities"] as Array<unknown>).length).toBe(1)
    } finally {
      await auth0.dispose()
    }
  })
  it("handleCallback (the callback the mounted routes use) completes links and unlinks too, keeping the session", async () => {
    await emulator.createUser({ email: "grace@example.com" })
    await emulator.createUser({ email: "grace.gh@example.com", sub: "github|91" })
    const auth0 = new BaseServerClient<StoreOptions>(sdkOptions(emulator), { jar: (o) => o.jar, commit: () => {} })
    try {
      const send = makeBrowser()
      const loginUrl = await send((o) => auth0.startInteractiveLogin({ appState: { returnTo: "/home" } }, o))
      const login = await send(async (o) => auth0.handleCallback(await emulator.login(loginUrl.href, { user: "grace@example.com" }), o))
      expect(login).toEqual({ _tag: "Login", appState: { returnTo: "/home" } })
      const before = await send((o) => auth0.getSession(o))

      const linkUrl = await send((o) => auth0.startLinkUser({ connection: "github", appState: { returnTo: "/settings" } }, o))
      const linked = await send(async (o) => auth0.handleCallback(await emulator.login(linkUrl.href, { user: "grace.gh@example.com" }), o))
      expect(linked).toEqual({ _tag: "Link", appState: { returnTo: "/settings" }, connection: "github" })
      const after = await send((o) => auth0.getSession(o))
      expect(after?.user.sub).toBe(before?.user.sub)
      expect((after?.user["identities"] as Array<unknown>).length).toBe(2)
      // Only the ID token and the claims changed: the refresh token and the token sets are kept.
      expect(after?.refreshToken).toBe(before?.refreshToken)
      expect(after?.tokenSets).toEqual(before?.tokenSets)

      const unlinkUrl = await send((o) => auth0.startUnlinkUser({ connection: "github" }, o))
      const unlinked = await send(async (o) => auth0.handleCallback(await emulator.login(unlinkUrl.href, { user: "grace@example.com" }), o))
      expect(unlinked).toMatchObject({ _tag: "Unlink", connection: "github" })
      expect(((await send((o) => auth0.getUser(o)))?.["identities"] as Array<unknown>).length).toBe(1)
    } finally {
      await auth0.dispose()
    }
  })
})
