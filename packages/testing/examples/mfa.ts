/**
 * Examples for docs/testing.md (MFA). Type-checked by tsconfig.test.json and run by test/mfa.test.ts.
 * In your project, import from "@auth0-effect/testing" instead of "../src/index.js".
 */
import { startEmulator, totp, type Emulator } from "../src/index.js"

// --- An API that requires MFA ------------------------------------------------------------------
export const startWithMfa = async (): Promise<Emulator> => {
  const emulator = await startEmulator({
    clients: [{
      clientId: "my-app",
      clientSecret: "my-app-secret",
      redirectUris: ["http://127.0.0.1:3000/auth/callback"],
      refreshTokenPolicies: [{ audience: "https://bank.example.com", scopes: ["transfer:funds"] }]
    }],
    // Refresh, MRRT and code grants for this API answer 403 mfa_required with an mfa_token.
    apis: [{ audience: "https://bank.example.com", scopes: ["transfer:funds"], requireMfa: true }]
  })
  return emulator
}

// --- Enrolled users and their codes ------------------------------------------------------------
export const enrolledUsers = async (emulator: Emulator) => {
  await emulator.createUser({ email: "otp@example.com" })
  const { secret, recoveryCode } = await emulator.enrollMfa("otp@example.com", { type: "otp" })
  const otp = await totp(secret!) // what the user's authenticator app shows now (RFC 6238)

  await emulator.createUser({ email: "sms@example.com" })
  await emulator.enrollMfa("sms@example.com", { type: "sms" })
  // ... the app challenges the SMS authenticator (Mfa.challengeAuthenticator) ...
  const smsCode = emulator.lastMfaCode("sms@example.com") // the code Auth0 "texted": the binding code

  await emulator.createUser({ email: "push@example.com" })
  await emulator.enrollMfa("push@example.com", { type: "push" })
  // ... the app challenges the push authenticator and polls verify (authorization_pending) ...
  const approved = emulator.approveMfaPush("push@example.com") // the user taps "Allow"
  return { otp, recoveryCode, smsCode, approved }
}
