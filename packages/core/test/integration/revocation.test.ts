/**
 * Refresh token revocation against the emulator: `revokeRefreshToken` and logout's
 * `revokeRefreshToken` option. A revoked token can neither refresh nor be exchanged at Token
 * Vault; a failed revocation never stops a logout.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { MissingSessionError, TokenEndpointError } from "../../src/Errors.js"
import * as Logout from "../../src/Logout.js"
import * as Revocation from "../../src/Revocation.js"
import { StateStore } from "../../src/StateStore.js"
import * as TokenEndpoint from "../../src/TokenEndpoint.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

const VAULT_GRANT = "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
const readSession = Effect.flatMap(StateStore, (store) => store.get)

const refreshWith = (refreshToken: string) =>
  Effect.flip(TokenEndpoint.request({ grant_type: "refresh_token", refresh_token: refreshToken }, "Refresh"))

const vaultWith = (refreshToken: string) =>
  TokenEndpoint.request({
    grant_type: VAULT_GRANT,
    subject_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
    subject_token: refreshToken,
    requested_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
    connection: "google-oauth2"
  }, "Token Vault")

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions())
  yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com" }))
  yield* Effect.promise(() => emulator.addConnectedAccount("ada@example.com", { connection: "google-oauth2" }))
  const layer = appLayer(emulator)
  const { browser } = yield* login(emulator, "ada@example.com").pipe(Effect.provide(layer))
  const session = Option.getOrThrow(yield* browser.request(readSession).pipe(Effect.provide(layer)))
  emulator.resetCounts()
  return { emulator, layer, browser, refreshToken: session.refreshToken! }
})

describe("refresh token revocation (RFC 7009)", () => {
  it.scopedLive("revokeRefreshToken revokes the session's token: no refresh, no Token Vault, and the session keeps no token", () =>
    Effect.gen(function*() {
      const { browser, emulator, layer, refreshToken } = yield* setup
      expect((yield* vaultWith(refreshToken).pipe(Effect.provide(layer))).access_token).toMatch(/^fat_/)
      yield* browser.request(Revocation.revokeRefreshToken()).pipe(Effect.provide(layer))
      expect(emulator.requestCount("/oauth/revoke")).toBe(1)
      const session = Option.getOrThrow(yield* browser.request(readSession).pipe(Effect.provide(layer)))
      expect(session.refreshToken).toBeUndefined()
      expect(session.user.email).toBe("ada@example.com")
      const refused = yield* refreshWith(refreshToken).pipe(Effect.provide(layer))
      expect(refused).toBeInstanceOf(TokenEndpointError)
      expect((refused as TokenEndpointError).error).toBe("invalid_grant")
      const vault = yield* Effect.flip(vaultWith(refreshToken)).pipe(Effect.provide(layer))
      expect((vault as TokenEndpointError).error).toBe("invalid_grant")
    }))

  it.scopedLive("an explicit token is revoked without a session; no token and no session fails before any request", () =>
    Effect.gen(function*() {
      const { emulator, layer, refreshToken } = yield* setup
      const stranger = makeCookieBrowser()
      const missing = yield* Effect.flip(stranger.request(Revocation.revokeRefreshToken()).pipe(Effect.provide(layer)))
      expect(missing).toBeInstanceOf(MissingSessionError)
      expect(emulator.requestCount("/oauth/revoke")).toBe(0)
      yield* stranger.request(Revocation.revokeRefreshToken({ token: refreshToken })).pipe(Effect.provide(layer))
      expect(emulator.requestCount("/oauth/revoke")).toBe(1)
      expect(((yield* refreshWith(refreshToken).pipe(Effect.provide(layer))) as TokenEndpointError).error).toBe("invalid_grant")
    }))

  it.scopedLive("logout({ revokeRefreshToken: true }) revokes the token, then ends the session", () =>
    Effect.gen(function*() {
      const { browser, emulator, layer, refreshToken } = yield* setup
      const url = yield* browser.request(Logout.logout({ revokeRefreshToken: true })).pipe(Effect.provide(layer))
      expect(url.searchParams.get("client_id")).toBe("app")
      expect(emulator.requestCount("/oauth/revoke")).toBe(1)
      expect(Option.isNone(yield* browser.request(readSession).pipe(Effect.provide(layer)))).toBe(true)
      expect(((yield* refreshWith(refreshToken).pipe(Effect.provide(layer))) as TokenEndpointError).error).toBe("invalid_grant")
    }))

  it.scopedLive("a failed revocation does not stop the logout: the session ends and the failure is reported", () =>
    Effect.gen(function*() {
      const { browser, emulator, layer, refreshToken } = yield* setup
      emulator.fault("/oauth/revoke", { status: 503 })
      const reported: Array<Logout.RevocationFailure> = []
      const outcome = yield* browser.request(Logout.logoutWithOutcome({ revokeRefreshToken: true })).pipe(Effect.provide(layer))
      expect(outcome.revocationError).toBeInstanceOf(TokenEndpointError)
      expect((outcome.revocationError as TokenEndpointError).status).toBe(503)
      expect(String(outcome.revocationError)).not.toContain(refreshToken)
      expect(Option.isNone(yield* browser.request(readSession).pipe(Effect.provide(layer)))).toBe(true)

      const second = yield* login(emulator, "ada@example.com", {}, browser).pipe(Effect.provide(layer))
      expect(second.result.appState).toBeUndefined()
      emulator.fault("/oauth/revoke", { status: 503 })
      const url = yield* browser.request(Logout.logout({ revokeRefreshToken: true, onRevocationError: (e) => reported.push(e) }))
        .pipe(Effect.provide(layer))
      expect(url.searchParams.get("client_id")).toBe("app")
      expect(reported).toHaveLength(1)
      expect(Option.isNone(yield* browser.request(readSession).pipe(Effect.provide(layer)))).toBe(true)
      // Without the option, logout sends nothing to /oauth/revoke.
      yield* login(emulator, "ada@example.com", {}, browser).pipe(Effect.provide(layer))
      emulator.resetCounts()
      yield* browser.request(Logout.logout()).pipe(Effect.provide(layer))
      expect(emulator.requestCount("/oauth/revoke")).toBe(0)
    }))
})
