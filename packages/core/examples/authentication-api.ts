/**
 * Passwordless, sign-up, password change, refresh token revocation and session transfer with the
 * Effect API. Compiled by `tsc -p tsconfig.test.json`.
 */
import * as Effect from "effect/Effect"
import * as DatabaseConnections from "@auth0-effect/core/DatabaseConnections"
import * as Logout from "@auth0-effect/core/Logout"
import * as Passwordless from "@auth0-effect/core/Passwordless"
import * as Revocation from "@auth0-effect/core/Revocation"
import * as SessionTransfer from "@auth0-effect/core/SessionTransfer"

/** Step 1 of a code login: the tenant emails a 6-digit code. */
export const sendCode = (email: string) => Passwordless.startPasswordless({ connection: "email", email })

/** Step 2: the code the user typed becomes a session; a wrong one is a TokenEndpointError `invalid_grant`. */
export const verifyCode = (email: string, verificationCode: string) =>
  Passwordless.completePasswordless({ connection: "email", email, verificationCode }).pipe(
    Effect.as({ _tag: "LoggedIn" as const }),
    Effect.catchTag("TokenEndpointError", (e) =>
      e.error === "invalid_grant" ? Effect.succeed({ _tag: "WrongCode" as const }) : Effect.fail(e))
  )

/** An SMS code: the number in E.164. */
export const sendSms = Passwordless.startPasswordless({ connection: "sms", phoneNumber: "+14155550100" })

/** A magic link; its callback lands on the configured redirectUri. */
export const sendLink = (email: string) =>
  Passwordless.startPasswordless({ connection: "email", email, send: "link", appState: { returnTo: "/inbox" } })

/** The link's callback (state, nonce and PKCE checked as for a login). */
export const linkCallback = (url: string) => Passwordless.completePasswordlessMagicLink(url)

/** Sign-up; a weak password comes back with the connection's policy to show the user. */
export const register = (email: string, password: string) =>
  DatabaseConnections.signUp({ email, password }).pipe(
    Effect.map((user) => ({ _tag: "Created" as const, id: user.id })),
    Effect.catchTag("AuthenticationApiError", (e) =>
      Effect.gen(function*() {
        if (e.error === "invalid_password") return { _tag: "WeakPassword" as const, policy: e.policy ?? "" }
        if (e.error === "invalid_signup") return { _tag: "CannotSignUp" as const }
        return yield* e
      }))
  )

/** The reset email; it resolves alike for unknown emails. */
export const forgotPassword = (email: string) => DatabaseConnections.changePassword({ email })

/** Revokes the session's refresh token (the session stays, without it). */
export const revokeNow = Revocation.revokeRefreshToken()

/** Logout that revokes the refresh token first; a failed revocation is reported, never blocking. */
export const logoutAndRevoke = Logout.logoutWithOutcome({ revokeRefreshToken: true, returnTo: "https://app.example.com/" }).pipe(
  Effect.tap(({ revocationError }) =>
    revocationError ? Effect.logWarning(`refresh token not revoked: ${revocationError._tag}`) : Effect.void)
)

/** An agent opens the customer's view of another app: mint the token, build the redirect. */
export const impersonate = (customerProof: string) =>
  Effect.gen(function*() {
    const result = yield* SessionTransfer.requestSessionTransferToken({
      subjectToken: customerProof,
      subjectTokenType: "urn:acme:customer-proof"
    })
    return yield* SessionTransfer.buildSessionTransferRedirect("https://support.example.com/auth/login", result)
  })
