/**
 * Multi-factor authentication against the emulator: an API whose policy requires MFA makes the
 * MRRT refresh and the code exchange fail with a typed MfaRequiredError (the session untouched),
 * the MFA API lists, enrolls and challenges with its mfa_token, each verify grant (otp, oob with
 * binding code, push, recovery code) puts the tokens into the session, and the getAccessToken
 * call that failed then succeeds without another refresh (step-up).
 */
import { totp, type Emulator } from "@auth0-effect/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as AccessToken from "../../src/AccessToken.js"
import { MfaApiError, MfaRequiredError } from "../../src/Errors.js"
import * as Login from "../../src/Login.js"
import * as Mfa from "../../src/Mfa.js"
import { StateStore } from "../../src/StateStore.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { appLayer, API, emulatorOptions, login, withEmulator } from "./harness.js"

const MFA_API = "https://bank.example.com"

const withMfaTenant = () => {
  const options = emulatorOptions()
  return withEmulator({
    ...options,
    apis: [...options.apis!, { audience: MFA_API, scopes: ["transfer:funds"], requireMfa: true }],
    clients: options.clients!.map((c) => ({
      ...c,
      refreshTokenRotation: true,
      refreshTokenPolicies: [...(c.refreshTokenPolicies ?? []), { audience: MFA_API, scopes: ["transfer:funds"] }]
    }))
  })
}

const refreshes = (emulator: Emulator) => emulator.requestCount("/oauth/token", "refresh_token")
const readSession = Effect.flatMap(StateStore, (store) => store.get)

/** A logged-in browser, the emulator's counters reset; `request` runs an Effect as one request of the app. */
const setup = (email: string, factor?: Parameters<Emulator["enrollMfa"]>[1]) =>
  Effect.gen(function*() {
    const emulator = yield* withMfaTenant()
    yield* Effect.promise(() => emulator.createUser({ email }))
    const enrolled = factor ? yield* Effect.promise(() => emulator.enrollMfa(email, factor)) : undefined
    const layer = appLayer(emulator)
    const { browser } = yield* login(emulator, email).pipe(Effect.provide(layer))
    emulator.resetCounts()
    const request = <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(browser.request(effect), layer) as Effect.Effect<A, E>
    return { emulator, request, enrolled }
  })

/** The MfaRequiredError the MFA API's getAccessToken fails with. */
const stepUpNeeded = (request: <A, E>(effect: Effect.Effect<A, E, any>) => Effect.Effect<A, E>) =>
  Effect.flip(request(AccessToken.getAccessToken({ audience: MFA_API, scope: "transfer:funds" }))).pipe(
    Effect.map((error) => {
      expect(error).toBeInstanceOf(MfaRequiredError)
      return error as MfaRequiredError
    })
  )

describe("MFA against the emulator", () => {
  it.scopedLive("an MRRT call for an API that requires MFA fails with MfaRequiredError and leaves the session as it was", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("ada@example.com", { type: "otp" })
      const before = JSON.stringify(yield* request(readSession))
      const error = yield* stepUpNeeded(request)
      expect(error._tag).toBe("MfaRequiredError")
      expect(error.status).toBe(403)
      expect(error.error).toBe("mfa_required")
      expect(error.mfaToken).toMatch(/^mfa_/)
      expect(error.mfaRequirements).toEqual({ challenge: [{ type: "otp" }, { type: "recovery-code" }] })
      expect(error.audience).toBe(MFA_API)
      expect(error.scope).toBe("transfer:funds")
      expect(JSON.stringify(yield* request(readSession))).toBe(before)
      expect(refreshes(emulator)).toBe(1)
      // Other APIs are not affected.
      yield* request(AccessToken.getAccessToken({ audience: API, scope: "read:items" }))
    }))

  it.scopedLive("step-up with otp: after verify the failed getAccessToken succeeds from the session, without a refresh", () =>
    Effect.gen(function*() {
      const { emulator, request, enrolled } = yield* setup("otp@example.com", { type: "otp" })
      const error = yield* stepUpNeeded(request)
      const authenticators = yield* request(Mfa.listAuthenticators({ mfaToken: error.mfaToken }))
      expect(authenticators.map((a) => [a.authenticatorType, a.active])).toEqual([["otp", true], ["recovery-code", true]])
      expect((yield* request(Mfa.challengeAuthenticator({ mfaToken: error.mfaToken, challengeType: "otp" }))).challengeType).toBe("otp")

      const before = JSON.stringify(yield* request(readSession))
      const wrong = yield* Effect.flip(request(Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp: "000000x" })))
      expect(wrong).toBeInstanceOf(MfaApiError)
      expect((wrong as MfaApiError).error).toBe("invalid_grant")
      expect(JSON.stringify(yield* request(readSession))).toBe(before)

      const otp = yield* Effect.promise(() => totp(enrolled!.secret!))
      const verified = yield* request(
        Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp, audience: error.audience, scope: error.scope })
      )
      expect(verified.audience).toBe(MFA_API)
      const token = yield* request(AccessToken.getAccessToken({ audience: MFA_API, scope: "transfer:funds" }))
      expect(token.accessToken).toBe(verified.accessToken)
      expect(refreshes(emulator)).toBe(1)
      const session = Option.getOrThrow(yield* request(readSession))
      expect(session.tokenSets.filter((set) => set.audience === MFA_API)).toHaveLength(1)
      expect(session.refreshToken).toBeDefined()
      // A spent mfa_token cannot be used again.
      const replay = yield* Effect.flip(request(Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp })))
      expect((replay as MfaApiError).error).toBe("invalid_grant")
    }))

  it.scopedLive("a verified ID token about another user is refused (OIDC Core §12.2) and the session is unchanged", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("eve@example.com", { type: "otp" })
      const error = yield* stepUpNeeded(request)
      const before = JSON.stringify(yield* request(readSession))
      const now = Math.floor(Date.now() / 1000)
      const idToken = yield* Effect.promise(() =>
        emulator.signToken({ iss: emulator.issuer, sub: "auth0|someone-else", aud: "app", iat: now, exp: now + 600 })
      )
      const accessToken = yield* Effect.promise(() =>
        emulator.signToken({ iss: emulator.issuer, sub: "auth0|someone-else", aud: MFA_API, iat: now, exp: now + 600 }, { typ: "at+jwt" })
      )
      emulator.fault("/oauth/token", {
        status: 200,
        body: JSON.stringify({ access_token: accessToken, id_token: idToken, expires_in: 600, token_type: "Bearer", scope: "openid transfer:funds" })
      })
      const refused = yield* Effect.flip(request(Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp: "123456", audience: MFA_API })))
      expect(refused._tag).toBe("AccessTokenError")
      expect((refused as { reason?: string }).reason).toBe("subject_mismatch")
      expect(JSON.stringify(yield* request(readSession))).toBe(before)
    }))

  it.scopedLive("sms: the challenge sends a code; verify needs it as binding code", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("sms@example.com", { type: "sms" })
      const error = yield* stepUpNeeded(request)
      expect(error.mfaRequirements?.challenge?.[0]).toEqual({ type: "phone" })
      const [sms] = yield* request(Mfa.listAuthenticators({ mfaToken: error.mfaToken }))
      expect(sms!.oobChannel).toBe("sms")
      const challenge = yield* request(
        Mfa.challengeAuthenticator({ mfaToken: error.mfaToken, challengeType: "oob", authenticatorId: sms!.id })
      )
      expect(challenge.bindingMethod).toBe("prompt")
      const code = emulator.lastMfaCode("sms@example.com")!
      expect(code).toMatch(/^\d{6}$/)
      const wrong = yield* Effect.flip(request(Mfa.verify({
        mfaToken: error.mfaToken,
        factorType: "oob",
        oobCode: challenge.oobCode!,
        bindingCode: code === "123456" ? "654321" : "123456"
      })))
      expect((wrong as MfaApiError).error).toBe("invalid_grant")
      yield* request(Mfa.verify({
        mfaToken: error.mfaToken,
        factorType: "oob",
        oobCode: challenge.oobCode!,
        bindingCode: code,
        audience: MFA_API,
        scope: "transfer:funds"
      }))
      yield* request(AccessToken.getAccessToken({ audience: MFA_API, scope: "transfer:funds" }))
      expect(refreshes(emulator)).toBe(1)
    }))

  it.scopedLive("push: verify answers authorization_pending until the user approves", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("push@example.com", { type: "push" })
      const error = yield* stepUpNeeded(request)
      const challenge = yield* request(Mfa.challengeAuthenticator({ mfaToken: error.mfaToken, challengeType: "oob" }))
      expect(challenge.bindingMethod).toBeUndefined()
      const options = { mfaToken: error.mfaToken, factorType: "oob", oobCode: challenge.oobCode!, audience: MFA_API, scope: "transfer:funds" } as const
      const pending = yield* Effect.flip(request(Mfa.verify(options)))
      expect((pending as MfaApiError).error).toBe("authorization_pending")
      expect(emulator.approveMfaPush("push@example.com")).toBe(1)
      yield* request(Mfa.verify(options))
      yield* request(AccessToken.getAccessToken({ audience: MFA_API, scope: "transfer:funds" }))
    }))

  it.scopedLive("a recovery code verifies once and is replaced by the one verify returns", () =>
    Effect.gen(function*() {
      const { request, enrolled } = yield* setup("lost@example.com", { type: "otp" })
      const first = yield* stepUpNeeded(request)
      const result = yield* request(Mfa.verify({ mfaToken: first.mfaToken, factorType: "recovery-code", recoveryCode: enrolled!.recoveryCode! }))
      expect(result.recoveryCode).toMatch(/^[A-Z2-7]{24}$/)
      expect(result.recoveryCode).not.toBe(enrolled!.recoveryCode)
      yield* request(AccessToken.invalidateAccessToken({ audience: MFA_API }))
      const second = yield* stepUpNeeded(request)
      const old = yield* Effect.flip(request(Mfa.verify({ mfaToken: second.mfaToken, factorType: "recovery-code", recoveryCode: enrolled!.recoveryCode! })))
      expect((old as MfaApiError).error).toBe("invalid_grant")
      yield* request(Mfa.verify({ mfaToken: second.mfaToken, factorType: "recovery-code", recoveryCode: result.recoveryCode! }))
    }))

  it.scopedLive("an unenrolled user is asked to enroll: otp enrollment is pending until its first code verifies", () =>
    Effect.gen(function*() {
      const { request } = yield* setup("new@example.com")
      const error = yield* stepUpNeeded(request)
      expect(error.mfaRequirements?.challenge).toBeUndefined()
      expect(error.mfaRequirements?.enroll?.map((f) => f.type)).toContain("otp")
      expect(yield* request(Mfa.listAuthenticators({ mfaToken: error.mfaToken }))).toEqual([])
      const enrollment = yield* request(Mfa.enrollAuthenticator({ mfaToken: error.mfaToken, authenticatorTypes: ["otp"] }))
      expect(enrollment.authenticatorType).toBe("otp")
      expect(enrollment.barcodeUri).toMatch(/^otpauth:\/\/totp\//)
      expect(enrollment.recoveryCodes).toHaveLength(1)
      const pending = yield* request(Mfa.listAuthenticators({ mfaToken: error.mfaToken }))
      expect(pending.find((a) => a.authenticatorType === "otp")?.active).toBe(false)
      const otp = yield* Effect.promise(() => totp(enrollment.secret!))
      yield* request(Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp, audience: MFA_API, scope: "transfer:funds" }))
      yield* request(AccessToken.getAccessToken({ audience: MFA_API, scope: "transfer:funds" }))
      yield* request(AccessToken.invalidateAccessToken({ audience: MFA_API }))
      const again = yield* stepUpNeeded(request)
      expect(again.mfaRequirements?.challenge?.[0]).toEqual({ type: "otp" })
    }))

  it.scopedLive("email enrollment sends a code; verifying it with the oob code activates the authenticator", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("mail@example.com")
      const error = yield* stepUpNeeded(request)
      const enrollment = yield* request(
        Mfa.enrollAuthenticator({ mfaToken: error.mfaToken, authenticatorTypes: ["oob"], oobChannels: ["email"], email: "mail@example.com" })
      )
      expect(enrollment.oobChannel).toBe("email")
      yield* request(Mfa.verify({
        mfaToken: error.mfaToken,
        factorType: "oob",
        oobCode: enrollment.oobCode!,
        bindingCode: emulator.lastMfaCode("mail@example.com")!,
        audience: MFA_API,
        scope: "transfer:funds"
      }))
      yield* request(AccessToken.invalidateAccessToken({ audience: MFA_API }))
      const again = yield* stepUpNeeded(request)
      const list = yield* request(Mfa.listAuthenticators({ mfaToken: again.mfaToken }))
      expect(list.find((a) => a.oobChannel === "email")?.active).toBe(true)
    }))

  it.scopedLive("a login for an API that requires MFA fails with MfaRequiredError, stores no session, and verify starts one", () =>
    Effect.gen(function*() {
      const emulator = yield* withMfaTenant()
      yield* Effect.promise(() => emulator.createUser({ email: "login@example.com" }))
      const { secret } = yield* Effect.promise(() => emulator.enrollMfa("login@example.com", { type: "otp" }))
      const layer = appLayer(emulator)
      const browser = makeCookieBrowser()
      const url = yield* browser.request(
        Login.startInteractiveLogin({
          authorizationParams: { audience: MFA_API, scope: "openid profile offline_access transfer:funds" },
          appState: { returnTo: "/transfers" }
        })
      ).pipe(Effect.provide(layer))
      const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user: "login@example.com" }))
      const exit = yield* Effect.exit(browser.request(Login.completeInteractiveLogin(callback)).pipe(Effect.provide(layer)))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(exit)
      expect(error).toBeInstanceOf(MfaRequiredError)
      const mfa = error as MfaRequiredError
      expect(mfa.audience).toBe(MFA_API)
      // The login's transaction is spent: its appState travels on the error, for after verify.
      expect(mfa.appState).toEqual({ returnTo: "/transfers" })
      expect(Option.isNone(yield* browser.request(readSession).pipe(Effect.provide(layer)))).toBe(true)

      const otp = yield* Effect.promise(() => totp(secret!))
      yield* browser.request(Mfa.verify({ mfaToken: mfa.mfaToken, factorType: "otp", otp, audience: mfa.audience, scope: mfa.scope }))
        .pipe(Effect.provide(layer))
      const session = Option.getOrThrow(yield* browser.request(readSession).pipe(Effect.provide(layer)))
      expect(session.user.email).toBe("login@example.com")
      expect(session.refreshToken).toBeDefined()
      emulator.resetCounts()
      yield* browser.request(AccessToken.getAccessToken({ audience: MFA_API, scope: mfa.scope })).pipe(Effect.provide(layer))
      expect(refreshes(emulator)).toBe(0)
    }))

  it.scopedLive("bad input fails before any request", () =>
    Effect.gen(function*() {
      const { emulator, request } = yield* setup("input@example.com")
      const missing = yield* Effect.flip(request(Mfa.verify({ mfaToken: "", factorType: "otp", otp: "1" })))
      expect(missing._tag).toBe("MissingRequiredArgumentError")
      const noOtp = yield* Effect.flip(request(Mfa.verify({ mfaToken: "t", factorType: "otp", otp: "" })))
      expect(noOtp._tag).toBe("MissingRequiredArgumentError")
      const factor = yield* Effect.flip(request(Mfa.verify({ mfaToken: "t", factorType: "sms" } as never)))
      expect(factor._tag).toBe("InvalidArgumentError")
      const phone = yield* Effect.flip(request(
        Mfa.enrollAuthenticator({ mfaToken: "t", authenticatorTypes: ["oob"], oobChannels: ["sms"], phoneNumber: "555" })
      ))
      expect(phone._tag).toBe("InvalidArgumentError")
      const challenge = yield* Effect.flip(request(Mfa.challengeAuthenticator({ mfaToken: "t", challengeType: "push" as never })))
      expect(challenge._tag).toBe("InvalidArgumentError")
      expect(emulator.requestCount("/oauth/token") + emulator.requestCount("/mfa")).toBe(0)
      const unknown = yield* Effect.flip(request(Mfa.listAuthenticators({ mfaToken: "not-a-token" })))
      expect(unknown).toBeInstanceOf(MfaApiError)
      expect((unknown as MfaApiError).status).toBe(401)
    }))
})
