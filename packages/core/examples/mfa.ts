/**
 * docs/mfa.md with the Effect API: step-up as one program. `MfaRequiredError` is a tagged error
 * of `getAccessToken`, so `catchTag` can run the MFA step and retry. Compiled by
 * `tsc -p tsconfig.test.json`.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Mfa from "@auth0-effect/core/Mfa"

const BANK = { audience: "https://bank.example.com", scope: "transfer:funds" }

/** A bank token; when the API asks for MFA, verify `readOtp`'s code and ask again (served from the session). */
export const bankToken = (readOtp: Effect.Effect<string>) =>
  AccessToken.getAccessToken(BANK).pipe(
    Effect.catchTag("MfaRequiredError", (required) =>
      Effect.gen(function*() {
        const otp = yield* readOtp
        yield* Mfa.verify({ mfaToken: required.mfaToken, factorType: "otp", otp, audience: required.audience, scope: required.scope })
        return yield* AccessToken.getAccessToken(BANK)
      }))
  )

/** What the user can be challenged with, or must enroll first. */
export const factors = AccessToken.getAccessToken(BANK).pipe(
  Effect.as({ _tag: "NoMfaNeeded" as const }),
  Effect.catchTag("MfaRequiredError", (required) =>
    Effect.gen(function*() {
      const enroll = required.mfaRequirements?.enroll
      if (enroll) return { _tag: "Enroll" as const, types: enroll.map((f) => f.type) }
      const authenticators = yield* Mfa.listAuthenticators({ mfaToken: required.mfaToken })
      return { _tag: "Challenge" as const, authenticators: authenticators.filter((a) => a.active) }
    }))
)

/** Push (Guardian): challenge, then poll verify while Auth0 answers authorization_pending. */
export const pushStepUp = (required: { readonly mfaToken: string; readonly audience: string; readonly scope: string }) =>
  Effect.gen(function*() {
    const { oobCode } = yield* Mfa.challengeAuthenticator({ mfaToken: required.mfaToken, challengeType: "oob" })
    const verify = Mfa.verify({ mfaToken: required.mfaToken, factorType: "oob", oobCode: oobCode ?? "", audience: required.audience, scope: required.scope })
    // Every 5 seconds, for two minutes at most, while the user has not answered the push.
    return yield* verify.pipe(
      Effect.retry({
        schedule: Schedule.spaced("5 seconds"),
        times: 24,
        while: (e) => e._tag === "MfaApiError" && e.error === "authorization_pending"
      })
    )
  })
