/**
 * Organizations against the emulator: logins by id and by name, refused non-members, the ID
 * token's proof of the organization, invitation links, the configured default, and the
 * organization kept through refreshes.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as jose from "jose"
import * as AccessToken from "../../src/AccessToken.js"
import type { InvalidArgumentError, MissingRequiredArgumentError } from "../../src/Errors.js"
import * as Login from "../../src/Login.js"
import * as Organizations from "../../src/Organizations.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions())
  const acme = yield* Effect.promise(() => emulator.createOrganization({ name: "acme" }))
  yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com" }))
  yield* Effect.promise(() => emulator.createUser({ email: "eve@example.com" }))
  yield* Effect.promise(() => emulator.createUser({ email: "new@example.com" }))
  yield* Effect.promise(() => emulator.addMember(acme.id, "ada@example.com"))
  return { emulator, acme }
})

const session = (browser: ReturnType<typeof makeCookieBrowser>) =>
  Effect.map(browser.request(UserSession.getSession), Option.getOrThrow)

describe("organizations against the emulator", () => {
  it.scopedLive("a member logs in by id or by name (any case); the session records the organization", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      yield* Effect.gen(function*() {
        const byId = yield* login(emulator, "ada@example.com", { authorizationParams: { organization: acme.id } })
        const first = yield* session(byId.browser)
        expect(first.organization).toEqual({ id: acme.id, name: "acme" })
        expect(first.user.org_id).toBe(acme.id)

        const byName = yield* login(emulator, "ada@example.com", { authorizationParams: { organization: "ACME" } })
        expect((yield* session(byName.browser)).organization).toEqual({ id: acme.id, name: "acme" })
        expect(yield* byName.browser.request(Organizations.getOrganization)).toEqual(Option.some({ id: acme.id, name: "acme" }))

        // Without organization: no org claims, no organization.
        const plain = yield* login(emulator, "ada@example.com")
        expect((yield* session(plain.browser)).organization).toBeUndefined()
        expect(yield* plain.browser.request(Organizations.getOrganization)).toEqual(Option.none())
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("a non-member is refused: AuthorizationError access_denied, and no session", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(login(emulator, "eve@example.com", { authorizationParams: { organization: acme.id } }))
        expect(error).toMatchObject({ _tag: "AuthorizationError", error: "access_denied" })
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("an ID token for another organization, or none, fails with reason organization; the session stays", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com")
        const before = yield* session(browser)
        for (
          const [organization, claims] of [
            [acme.id, { org_id: "org_other", org_name: "acme" }],
            [acme.id, {}],
            [acme.id, { org_id: acme.id.toUpperCase() }],
            ["acme", { org_id: acme.id, org_name: "other" }],
            ["acme", { org_id: acme.id }]
          ] as const
        ) {
          const url = yield* browser.request(Login.startInteractiveLogin({ authorizationParams: { organization } }))
          expect(url.searchParams.get("organization")).toBe(organization)
          const callback = yield* Effect.promise(() => emulator.login(url.href, { user: "ada@example.com" }))
          const now = Math.floor(Date.now() / 1000)
          const idToken = yield* Effect.promise(() =>
            emulator.signToken({
              iss: emulator.issuer,
              aud: "app",
              sub: before.user.sub,
              nonce: url.searchParams.get("nonce"),
              iat: now,
              exp: now + 600,
              ...claims
            })
          )
          emulator.fault("/oauth/token", {
            status: 200,
            body: JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 600, id_token: idToken })
          })
          const error = yield* Effect.flip(browser.request(Login.completeInteractiveLogin(callback)))
          expect(error, JSON.stringify(claims)).toMatchObject({ _tag: "IdTokenValidationError", reason: "organization" })
          expect(yield* session(browser)).toEqual(before)
        }
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("an invitation link logs the invitee in to its organization", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      yield* Effect.gen(function*() {
        const invitation = yield* Effect.promise(() => emulator.createInvitation(acme.id, { email: "new@example.com" }))
        const options = yield* Organizations.loginOptionsFromInvitation(invitation.url, { appState: { returnTo: "/welcome" } })
        expect(options.authorizationParams).toEqual({ invitation: invitation.id, organization: acme.id })
        const { browser, result } = yield* login(emulator, "new@example.com", options)
        expect(result.appState).toEqual({ returnTo: "/welcome" })
        expect((yield* session(browser)).organization?.id).toBe(acme.id)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("the configured organization is the default; the call's overrides it", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      const other = yield* Effect.promise(() => emulator.createOrganization({ name: "globex" }))
      yield* Effect.promise(() => emulator.addMember(other.id, "ada@example.com"))
      yield* Effect.gen(function*() {
        const configured = yield* login(emulator, "ada@example.com")
        expect((yield* session(configured.browser)).organization?.id).toBe(acme.id)
        const overridden = yield* login(emulator, "ada@example.com", { authorizationParams: { organization: "globex" } })
        expect((yield* session(overridden.browser)).organization).toEqual({ id: other.id, name: "globex" })
      }).pipe(Effect.provide(appLayer(emulator, { organization: acme.id })))
    }))

  it.scopedLive("refreshes keep the organization; a refreshed ID token for another one is refused and the session stays", () =>
    Effect.gen(function*() {
      const { emulator, acme } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com", { authorizationParams: { organization: acme.id } })
        emulator.resetCounts()
        const token = yield* browser.request(AccessToken.getAccessToken({ audience: API }))
        expect(emulator.requestCount("/oauth/token", "refresh_token")).toBe(1)
        expect(jose.decodeJwt(token.accessToken)["org_id"]).toBe(acme.id)
        const after = yield* session(browser)
        expect(after.organization).toEqual({ id: acme.id, name: "acme" })
        expect(jose.decodeJwt(after.idToken!)["org_id"]).toBe(acme.id)

        const now = Math.floor(Date.now() / 1000)
        const accessToken = yield* Effect.promise(() => emulator.signToken({ iss: emulator.issuer, aud: "https://other.example.com", iat: now, exp: now + 600 }))
        for (const claims of [{ org_id: "org_other" }, {}]) {
          const idToken = yield* Effect.promise(() =>
            emulator.signToken({ iss: emulator.issuer, aud: "app", sub: after.user.sub, iat: now, exp: now + 600, ...claims })
          )
          emulator.fault("/oauth/token", {
            status: 200,
            body: JSON.stringify({ access_token: accessToken, token_type: "Bearer", expires_in: 600, id_token: idToken })
          })
          const error = yield* Effect.flip(browser.request(AccessToken.getAccessToken({ audience: "https://other.example.com" })))
          expect(error).toMatchObject({ _tag: "AccessTokenError", reason: "organization_mismatch" })
          expect(yield* session(browser)).toEqual(after)
        }
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("refuses a malformed organization or an invitation without one before any request", () =>
    Effect.gen(function*() {
      const { emulator } = yield* setup
      yield* Effect.gen(function*() {
        emulator.resetCounts()
        const browser = makeCookieBrowser()
        const start = (authorizationParams: Login.AuthorizationParams) =>
          Effect.flip(browser.request(Login.startInteractiveLogin({ authorizationParams })))
        expect(yield* start({ organization: " acme" })).toMatchObject({ _tag: "InvalidArgumentError", argument: "authorizationParams.organization" })
        expect(yield* start({ organization: "" })).toMatchObject({ _tag: "InvalidArgumentError", argument: "authorizationParams.organization" })
        expect(yield* start({ organization: 7 })).toMatchObject({ _tag: "InvalidArgumentError", argument: "authorizationParams.organization" })
        expect(yield* start({ invitation: "abc" })).toMatchObject({
          _tag: "MissingRequiredArgumentError",
          argument: "authorizationParams.organization"
        })
        expect(emulator.requestCount("/")).toBe(0)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))
})

describe("loginOptionsFromInvitation", () => {
  it.effect("reads invitation and organization, keeps the other options, and refuses broken links", () =>
    Effect.gen(function*() {
      const options = yield* Organizations.loginOptionsFromInvitation(
        "https://app.example.com/login?invitation=inv1&organization=org_1&organization_name=acme",
        { authorizationParams: { screen_hint: "signup" } }
      )
      expect(options).toEqual({ authorizationParams: { screen_hint: "signup", invitation: "inv1", organization: "org_1" } })
      expect(yield* Effect.flip(Organizations.loginOptionsFromInvitation("https://app.example.com/login?organization=org_1")))
        .toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "invitation" })
      expect(yield* Effect.flip(Organizations.loginOptionsFromInvitation("https://app.example.com/login?invitation=i&organization=")))
        .toMatchObject({ _tag: "InvalidArgumentError", argument: "organization" })
      expect(yield* Effect.flip(Organizations.loginOptionsFromInvitation("https://app.example.com/login?invitation=i&invitation=j&organization=org_1")))
        .toMatchObject({ _tag: "InvalidArgumentError", argument: "invitation" })
      expect(yield* Effect.flip(Organizations.loginOptionsFromInvitation("not a url")))
        .toMatchObject({ _tag: "InvalidArgumentError", argument: "url" })
    }))

  it("has an exact error union", () => {
    type Program = ReturnType<typeof Organizations.loginOptionsFromInvitation>
    expectTypeOf<Effect.Effect.Error<Program>>().toEqualTypeOf<InvalidArgumentError | MissingRequiredArgumentError>()
    expectTypeOf<Effect.Effect.Context<Program>>().toEqualTypeOf<never>()
  })
})
