/**
 * docs/mfa.md: step-up with multi-factor authentication. An API whose policy asks for MFA makes
 * `getAccessToken` throw MfaRequiredError; the app challenges a factor with its mfaToken,
 * verifies the user's code, and the same `getAccessToken` call then succeeds from the session.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { MfaApiError, MfaRequiredError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "a-secret-of-at-least-32-characters-long!!",
  redirectUri: "https://app.example.com/auth/callback"
})

const BANK = "https://bank.example.com"

// The mfa_token is a credential: keep it on the server, never in a page or a URL. One process
// here; with several instances, keep it in a shared store (Redis) keyed the same way.
const pending = new Map<string, MfaRequiredError>()

/** The payment API call: a token for the bank API, or the MFA step first. */
export const transfer = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const { accessToken } = await auth0.getAccessToken({ audience: BANK, scope: "transfer:funds" }, { req, res })
    return { status: 200, accessToken }
  } catch (error) {
    if (!(error instanceof MfaRequiredError)) throw error
    const user = await auth0.requireUser({ req, res })
    pending.set(user.sub, error)
    // Nothing enrolled yet: the tenant lists what may be enrolled instead.
    if (error.mfaRequirements?.enroll) return { status: 303, location: "/mfa/enroll" }
    const authenticators = await auth0.listAuthenticators({ mfaToken: error.mfaToken }, { req, res })
    const sms = authenticators.find((a) => a.active && a.oobChannel === "sms")
    if (sms) {
      // Auth0 texts the user a code; the page asks for it and posts it with the oobCode.
      const { oobCode } = await auth0.challengeAuthenticator(
        { mfaToken: error.mfaToken, challengeType: "oob", authenticatorId: sms.id },
        { req, res }
      )
      return { status: 303, location: `/mfa/sms?oob=${encodeURIComponent(oobCode ?? "")}` }
    }
    return { status: 303, location: "/mfa/otp" }
  }
}

/** The code from the user's authenticator app: verify it, then the payment call succeeds. */
export const submitOtp = async (req: IncomingMessage, res: ServerResponse, otp: string) => {
  const user = await auth0.requireUser({ req, res })
  const required = pending.get(user.sub)
  if (!required) return { status: 400, message: "No MFA step in progress" }
  try {
    await auth0.verify(
      { mfaToken: required.mfaToken, factorType: "otp", otp, audience: required.audience, scope: required.scope },
      { req, res }
    )
  } catch (error) {
    if (error instanceof MfaApiError && error.error === "invalid_grant") return { status: 401, message: "Wrong code, try again" }
    throw error
  }
  pending.delete(user.sub)
  return transfer(req, res)
}

/** The code Auth0 texted: the oob code of the challenge, with the user's code as binding code. */
export const submitSms = async (req: IncomingMessage, res: ServerResponse, oobCode: string, code: string) => {
  const user = await auth0.requireUser({ req, res })
  const required = pending.get(user.sub)
  if (!required) return { status: 400, message: "No MFA step in progress" }
  await auth0.verify(
    { mfaToken: required.mfaToken, factorType: "oob", oobCode, bindingCode: code, audience: required.audience, scope: required.scope },
    { req, res }
  )
  pending.delete(user.sub)
  return transfer(req, res)
}

/** A user without a factor enrolls an authenticator app: show the QR code and the recovery code once. */
export const enrollOtp = async (req: IncomingMessage, res: ServerResponse) => {
  const user = await auth0.requireUser({ req, res })
  const required = pending.get(user.sub)
  if (!required) return { status: 400, message: "No MFA step in progress" }
  const { barcodeUri, recoveryCodes } = await auth0.enrollAuthenticator(
    { mfaToken: required.mfaToken, authenticatorTypes: ["otp"] },
    { req, res }
  )
  // The first code the app shows goes to submitOtp: that verifies and activates the enrollment.
  return { status: 200, barcodeUri, recoveryCodes }
}

/** A lost phone: a recovery code verifies too, and Auth0 answers a new one to show once. */
export const submitRecoveryCode = async (req: IncomingMessage, res: ServerResponse, recoveryCode: string) => {
  const user = await auth0.requireUser({ req, res })
  const required = pending.get(user.sub)
  if (!required) return { status: 400, message: "No MFA step in progress" }
  const result = await auth0.verify(
    { mfaToken: required.mfaToken, factorType: "recovery-code", recoveryCode, audience: required.audience, scope: required.scope },
    { req, res }
  )
  pending.delete(user.sub)
  return { status: 200, newRecoveryCode: result.recoveryCode }
}
