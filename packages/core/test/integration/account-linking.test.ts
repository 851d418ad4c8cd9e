/**
 * Account linking against the emulator: link a Google account into the logged-in user, unlink
 * it again, refusals, and the session kept intact (refresh token, API tokens, organization).
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as jose from "jose"
import * as AccountLinking from "../../src/AccountLinking.js"
import type {
  AccountLinkingError,
  ConfigurationError,
  DiscoveryError,
  IdTokenValidationError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  MissingSessionError,
  MissingTransactionError,
  StoreError,
  TokenEndpointError,
  TransportError
} from "../../src/Errors.js"
import type { Auth0Config } from "../../src/Auth0Config.js"
import type { AuthorizationServer } from "../../src/AuthorizationServer.js"
import type { RequestCookies } from "../../src/RequestCookies.js"
import { StateStore } from "../../src/StateStore.js"
import type { TransactionStore } from "../../src/TransactionStore.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions())
  const { sub } = yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada" }))
  yield* Effect.promise(() => emulator.createUser({ email: "ada.google@example.com", sub: "google-oauth2|1001" }))
  yield* Effect.promise(() => emulator.createUser({ email: "ada.github@example.com", sub: "github|2002" }))
  return { emulator, sub }
})

const connections = (identities: unknown) => (identities as Array<{ connection: string }>).map((i) => i.connection)

describe("account linking against the emulator", () => {
  it.scopedLive("links a Google account, then unlinks it; the session keeps its tokens", () =>
    Effect.gen(function*() {
      const { emulator, sub } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com", { authorizationParams: { audience: API } })
        const before = Option.getOrThrow(yield* browser.request(UserSession.getSession))

        const url = yield* browser.request(AccountLinking.startLinkUser({
          connection: "google-oauth2",
          connectionScope: "https://www.googleapis.com/auth/calendar",
          appState: { returnTo: "/settings" }
        }))
        expect(url.searchParams.get("scope")).toBe("openid link_account")
        expect(url.searchParams.get("audience")).toBe("my-account")
        expect(url.searchParams.get("requested_connection")).toBe("google-oauth2")
        expect(url.searchParams.get("requested_connection_scope")).toBe("https://www.googleapis.com/auth/calendar")
        expect(url.searchParams.get("id_token_hint")).toBe(before.idToken)
        expect(url.searchParams.get("nonce")).toBeTruthy()
        expect(url.searchParams.get("code_challenge_method")).toBe("S256")

        // The user signs in with the Google account; the login completes as Ada with both identities.
        const callback = yield* Effect.promise(() => emulator.login(url.href, { user: "ada.google@example.com" }))
        // The mountable callback can tell this callback from a login's.
        expect(yield* browser.request(AccountLinking.callbackKind(callback))).toEqual(Option.some("link"))
        const result = yield* browser.request(AccountLinking.completeLinkUser(callback))
        expect(result.appState).toEqual({ returnTo: "/settings" })
        const linked = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(linked.user.sub).toBe(sub)
        expect(connections(linked.user["identities"])).toEqual(["Username-Password-Authentication", "google-oauth2"])
        expect(connections(jose.decodeJwt(linked.idToken!)["identities"])).toEqual(["Username-Password-Authentication", "google-oauth2"])
        // Profile claims and tokens survive: the link's own tokens are not the session's.
        expect(linked.user.name).toBe("Ada")
        expect(linked.refreshToken).toBe(before.refreshToken)
        expect(linked.tokenSets).toEqual(before.tokenSets)
        expect(emulator.identities(sub)).toHaveLength(2)

        const unlinkUrl = yield* browser.request(AccountLinking.startUnlinkUser({ connection: "google-oauth2" }))
        expect(unlinkUrl.searchParams.get("scope")).toBe("openid unlink_account")
        expect(unlinkUrl.searchParams.get("id_token_hint")).toBe(linked.idToken)
        expect(unlinkUrl.searchParams.has("requested_connection_scope")).toBe(false)
        const unlinkCallback = yield* Effect.promise(() => emulator.login(unlinkUrl.href, { user: "ada@example.com" }))
        expect(yield* browser.request(AccountLinking.callbackKind(unlinkCallback))).toEqual(Option.some("unlink"))
        // A link completion does not take an unlink's callback (and leaves it for the right one).
        expect((yield* Effect.flip(browser.request(AccountLinking.completeLinkUser(unlinkCallback))))._tag).toBe("MissingTransactionError")
        yield* browser.request(AccountLinking.completeUnlinkUser(unlinkCallback))
        const unlinked = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(connections(unlinked.user["identities"])).toEqual(["Username-Password-Authentication"])
        expect(unlinked.refreshToken).toBe(before.refreshToken)
        expect(emulator.identities("google-oauth2|1001")).toHaveLength(1)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("with PAR the ID token goes in the pushed request, not in the URL; the link completes", () =>
    Effect.gen(function*() {
      const { emulator, sub } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com")
        emulator.resetCounts()
        const url = yield* browser.request(AccountLinking.startLinkUser({ connection: "google-oauth2" }))
        expect(emulator.requestCount("/oauth/par")).toBe(1)
        expect(url.searchParams.has("id_token_hint")).toBe(false)
        expect([...url.searchParams.keys()].sort()).toEqual(["client_id", "request_uri"])
        const callback = yield* Effect.promise(() => emulator.login(url.href, { user: "ada.google@example.com" }))
        yield* browser.request(AccountLinking.completeLinkUser(callback))
        const linked = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        expect(connections(linked.user["identities"])).toEqual(["Username-Password-Authentication", "google-oauth2"])
        expect(emulator.identities(sub)).toHaveLength(2)
      }).pipe(Effect.provide(appLayer(emulator, { pushedAuthorizationRequests: true })))
    }))

  it.scopedLive("a refused link is AccountLinkingError refused; the session and its transaction state are untouched", () =>
    Effect.gen(function*() {
      const { emulator } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com")
        const before = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        // An account of another connection than the requested one.
        const url = yield* browser.request(AccountLinking.startLinkUser({ connection: "google-oauth2" }))
        const callback = yield* Effect.promise(() => emulator.login(url.href, { user: "ada.github@example.com" }))
        const error = yield* Effect.flip(browser.request(AccountLinking.completeLinkUser(callback)))
        expect(error).toMatchObject({ _tag: "AccountLinkingError", reason: "refused", error: "access_denied" })
        expect(Option.getOrThrow(yield* browser.request(UserSession.getSession))).toEqual(before)
        // The transaction was consumed: replaying the callback finds nothing.
        expect((yield* Effect.flip(browser.request(AccountLinking.completeLinkUser(callback))))._tag).toBe("MissingTransactionError")
        // Unlinking a connection that is not linked is refused too.
        const unlink = yield* browser.request(AccountLinking.startUnlinkUser({ connection: "github" }))
        const unlinkCallback = yield* Effect.promise(() => emulator.login(unlink.href, { user: "ada@example.com" }))
        expect(yield* Effect.flip(browser.request(AccountLinking.completeUnlinkUser(unlinkCallback))))
          .toMatchObject({ _tag: "AccountLinkingError", reason: "refused" })
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("an ID token about another user is subject_mismatch and the session stays", () =>
    Effect.gen(function*() {
      const { emulator } = yield* setup
      yield* Effect.gen(function*() {
        const { browser } = yield* login(emulator, "ada@example.com")
        const before = Option.getOrThrow(yield* browser.request(UserSession.getSession))
        const url = yield* browser.request(AccountLinking.startLinkUser({ connection: "google-oauth2" }))
        const callback = yield* Effect.promise(() => emulator.login(url.href, { user: "ada.google@example.com" }))
        const now = Math.floor(Date.now() / 1000)
        const idToken = yield* Effect.promise(() =>
          emulator.signToken({ iss: emulator.issuer, aud: "app", sub: "google-oauth2|1001", nonce: url.searchParams.get("nonce"), iat: now, exp: now + 600 })
        )
        emulator.fault("/oauth/token", { status: 200, body: JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 60, id_token: idToken }) })
        expect(yield* Effect.flip(browser.request(AccountLinking.completeLinkUser(callback))))
          .toMatchObject({ _tag: "AccountLinkingError", reason: "subject_mismatch" })
        expect(Option.getOrThrow(yield* browser.request(UserSession.getSession))).toEqual(before)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("without a session, without an ID token, or with bad options it fails before any request", () =>
    Effect.gen(function*() {
      const { emulator } = yield* setup
      yield* Effect.gen(function*() {
        emulator.resetCounts()
        const anonymous = makeCookieBrowser()
        expect(yield* Effect.flip(anonymous.request(AccountLinking.startLinkUser({ connection: "google-oauth2" }))))
          .toMatchObject({ _tag: "MissingSessionError" })
        expect(yield* Effect.flip(anonymous.request(AccountLinking.startUnlinkUser({ connection: "google-oauth2" }))))
          .toMatchObject({ _tag: "MissingSessionError" })
        expect(yield* Effect.flip(anonymous.request(AccountLinking.startLinkUser({ connection: "" }))))
          .toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "connection" })
        expect(yield* Effect.flip(anonymous.request(AccountLinking.startLinkUser({ connection: " google" }))))
          .toMatchObject({ _tag: "InvalidArgumentError", argument: "connection" })
        expect(yield* Effect.flip(anonymous.request(AccountLinking.startLinkUser({ connection: "google-oauth2", authorizationParams: { id_token_hint: "x" } }))))
          .toMatchObject({ _tag: "InvalidArgumentError", argument: "authorizationParams.id_token_hint" })
        expect(emulator.requestCount("/")).toBe(0)

        // A session stored without an ID token (an app that dropped it to save cookie space).
        const { browser } = yield* login(emulator, "ada@example.com")
        const stored = yield* browser.request(UserSession.requireSession)
        const { idToken: _dropped, ...withoutIdToken } = stored
        yield* browser.request(Effect.flatMap(StateStore, (store) => store.set(withoutIdToken)))
        expect(yield* Effect.flip(browser.request(AccountLinking.startLinkUser({ connection: "google-oauth2" }))))
          .toMatchObject({ _tag: "AccountLinkingError", reason: "no_id_token" })
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it("the flows have exact error unions", () => {
    type Start = ReturnType<typeof AccountLinking.startLinkUser>
    expectTypeOf<Effect.Effect.Error<Start>>().toEqualTypeOf<
      | MissingRequiredArgumentError
      | InvalidArgumentError
      | MissingSessionError
      | AccountLinkingError
      | StoreError
      | DiscoveryError
      | TransportError
      | ConfigurationError
      | TokenEndpointError
      | InvalidResponseError
    >()
    expectTypeOf<Effect.Effect.Error<ReturnType<typeof AccountLinking.startUnlinkUser>>>().toEqualTypeOf<Effect.Effect.Error<Start>>()
    type Complete = ReturnType<typeof AccountLinking.completeLinkUser>
    expectTypeOf<Effect.Effect.Error<Complete>>().toEqualTypeOf<
      | InvalidArgumentError
      | MissingRequiredArgumentError
      | MissingTransactionError
      | AccountLinkingError
      | MissingSessionError
      | StoreError
      | DiscoveryError
      | TransportError
      | TokenEndpointError
      | InvalidResponseError
      | IdTokenValidationError
      | ConfigurationError
    >()
    expectTypeOf<Effect.Effect.Error<ReturnType<typeof AccountLinking.completeUnlinkUser>>>().toEqualTypeOf<Effect.Effect.Error<Complete>>()
    expectTypeOf<Effect.Effect.Context<Complete>>().toEqualTypeOf<
      Auth0Config | TransactionStore | RequestCookies | AuthorizationServer | HttpClient.HttpClient | StateStore
    >()
  })
})
