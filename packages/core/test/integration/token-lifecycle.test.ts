/**
 * Access tokens across their lifecycle against the emulator (rotation on, cookie sessions):
 * refused scopes are remembered, rejected tokens are dropped and fetched again once, a refreshed
 * ID token for another user is refused (OIDC Core §12.2), and a failed refresh leaves the
 * session exactly as it was.
 */
import type { Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessToken from "../../src/AccessToken.js"
import * as ConnectedAccounts from "../../src/ConnectedAccounts.js"
import { StateStore } from "../../src/StateStore.js"
import { appLayer, API, emulatorOptions, login, OTHER_API, withEmulator } from "./harness.js"

const ALL_SCOPES = ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"]
const ACCOUNTS = "/me/v1/connected-accounts/accounts"

const withRotation = () => {
  const options = emulatorOptions()
  return withEmulator({
    ...options,
    clients: options.clients!.map((c) => ({
      ...c,
      refreshTokenRotation: true,
      refreshTokenPolicies: [...(c.refreshTokenPolicies ?? []), { audience: "{origin}/me/", scopes: ALL_SCOPES }]
    }))
  })
}

const refreshes = (emulator: Emulator) => emulator.requestCount("/oauth/token", "refresh_token")
const readSession = Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.getOrThrow))
const unauthorized = JSON.stringify({ type: "https://auth0.com/api-errors/A0E-401", status: 401, title: "Unauthorized", detail: "Invalid token" })

/** A logged-in browser, with the emulator's counters reset; runs each request on a cookie-store instance. */
const setup = (email: string) =>
  Effect.gen(function*() {
    const emulator = yield* withRotation()
    yield* Effect.promise(() => emulator.createUser({ email }))
    const layer = appLayer(emulator)
    const { browser } = yield* login(emulator, email).pipe(Effect.provide(layer))
    emulator.resetCounts()
    const request = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(browser.request(effect), layer) as Effect.Effect<A, E>
    return { emulator, request }
  })

describe("token lifecycle against the emulator", () => {
  it.scopedLive("a refused scope (outside the refresh policy) is asked for once over 5 calls", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("ada@example.com")
      for (let i = 0; i < 5; i++) {
        const token = yield* request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other write:other" }))
        expect(token.scope).toBe("read:other")
      }
      expect(refreshes(emulator)).toBe(1)
      // A request the grant covers is served too; one for something new still asks.
      yield* request(AccessToken.getAccessToken({ audience: OTHER_API, scope: "read:other" }))
      expect(refreshes(emulator)).toBe(1)
      yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
      expect(refreshes(emulator)).toBe(2)
    }))

  it.scopedLive("My Account answers 401 once: the token is dropped, one retry with a fresh token succeeds", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("grace@example.com")
      yield* request(ConnectedAccounts.listConnectedAccounts())
      expect(refreshes(emulator)).toBe(1)
      const rejected = (yield* request(readSession)).tokenSets.find((s) => s.audience === emulator.myAccountAudience)!

      emulator.fault(ACCOUNTS, { status: 401, body: unauthorized })
      const page = yield* request(ConnectedAccounts.listConnectedAccounts())
      expect(page.accounts).toEqual([])
      expect(emulator.requestCount(ACCOUNTS)).toBe(3)
      expect(refreshes(emulator)).toBe(2)
      const sets = (yield* request(readSession)).tokenSets.filter((s) => s.audience === emulator.myAccountAudience)
      expect(sets.map((s) => s.accessToken)).not.toContain(rejected.accessToken)
      expect(sets).toHaveLength(1)

      // Rejected again after the retry: the error surfaces, after exactly one retry.
      emulator.resetCounts()
      emulator.fault(ACCOUNTS, { status: 401, body: unauthorized, times: 2 })
      const error = yield* Effect.flip(request(ConnectedAccounts.listConnectedAccounts()))
      expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 401 })
      expect(emulator.requestCount(ACCOUNTS)).toBe(2)
      expect(refreshes(emulator)).toBe(1)
    }))

  it.scopedLive("invalidateAccessToken drops the rejected token only; the next call gets a fresh one", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("alan@example.com")
      const first = yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
      yield* request(AccessToken.invalidateAccessToken({ audience: API, accessToken: "some-other-token" }))
      expect((yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))).accessToken).toBe(first.accessToken)
      yield* request(AccessToken.invalidateAccessToken({ audience: API, accessToken: first.accessToken }))
      const second = yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
      expect(second.accessToken).not.toBe(first.accessToken)
      expect(refreshes(emulator)).toBe(2)
    }))

  it.scopedLive("a refreshed ID token for another user (or another login) is refused and the session is left untouched", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("ida@example.com")
      const before = yield* request(readSession)
      const now = Math.floor(Date.now() / 1000)
      const idToken = (claims: Record<string, unknown>) =>
        emulator.signToken({ iss: emulator.issuer, aud: "app", iat: now, exp: now + 600, ...claims })
      const accessToken = yield* Effect.promise(() => emulator.signToken({ iss: emulator.issuer, aud: API, iat: now, exp: now + 600 }))
      for (
        const claims of [
          { sub: "auth0|mallory" },
          ...(before.user["auth_time"] !== undefined ? [{ sub: before.user.sub, auth_time: 1 }] : [])
        ]
      ) {
        const body = JSON.stringify({
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: 600,
          refresh_token: "rt-from-the-other-user",
          id_token: yield* Effect.promise(() => idToken(claims))
        })
        emulator.fault("/oauth/token", { status: 200, body })
        const error = yield* Effect.flip(request(AccessToken.getAccessToken({ audience: API })))
        expect(error).toMatchObject({ _tag: "AccessTokenError", reason: "subject_mismatch" })
        expect(yield* request(readSession)).toEqual(before)
      }
      // The real refresh, with the unspent token, still works.
      expect(yield* Effect.either(request(AccessToken.getAccessToken({ audience: API })))).toMatchObject({ _tag: "Right" })
    }))

  it.scopedLive("a failed refresh (server error, refused grant) never corrupts or deletes the session", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("hedy@example.com")
      const before = yield* request(readSession)
      for (const fault of [{ status: 500 }, { status: 403, body: JSON.stringify({ error: "invalid_grant" }) }, { status: 200, body: "{not json" }]) {
        emulator.fault("/oauth/token", fault)
        const error = yield* Effect.flip(request(AccessToken.getAccessToken({ audience: API })))
        expect(error._tag).not.toBe("MissingSessionError")
        expect(yield* request(readSession)).toEqual(before)
      }
      const token = yield* request(AccessToken.getAccessToken({ audience: API }))
      expect((yield* request(readSession)).tokenSets.map((s) => s.accessToken)).toContain(token.accessToken)
      expect(refreshes(emulator)).toBe(4)
    }))
})
