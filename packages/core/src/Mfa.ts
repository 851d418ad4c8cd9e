/**
 * Multi-factor authentication with the `mfa_token` of an {@link MfaRequiredError}: list the
 * user's authenticators, enroll one (otp, sms, email, push), challenge it, and verify it through
 * the `mfa-otp`, `mfa-oob` or `mfa-recovery-code` grant. Verified tokens join the session as a
 * refresh would (ID token validated, same user), so the `getAccessToken` call that failed with
 * `MfaRequiredError` then succeeds from the session: step-up.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessTokenAudience from "./AccessTokenAudience.js"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { AccessTokenError } from "./Errors.js"
import * as IdToken from "./IdToken.js"
import { userClaims } from "./internal/claims.js"
import { epochSeconds } from "./internal/time.js"
import { DEFAULT_AUDIENCE } from "./Login.js"
import * as MfaApi from "./MfaApi.js"
import * as MfaRules from "./MfaRules.js"
import * as Scopes from "./Scopes.js"
import type { SessionData, TokenSet } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as TokenSets from "./TokenSets.js"
import * as Telemetry from "./Telemetry.js"

export interface ListAuthenticatorsOptions {
  /** From `MfaRequiredError.mfaToken`. */
  readonly mfaToken: string
}

/** An enrolled (or pending: `active: false`) authenticator. */
export interface Authenticator {
  /** `totp|dev_...`, `sms|dev_...`, `email|dev_...`, `push|dev_...`, `recovery-code|dev_...` */
  readonly id: string
  /** `otp`, `oob` or `recovery-code`. */
  readonly authenticatorType: string
  readonly active: boolean
  /** For oob: `sms`, `voice`, `email` or `auth0` (push). */
  readonly oobChannel?: string | undefined
  readonly name?: string | undefined
}

/**
 * The user's authenticators (`GET /mfa/authenticators`, the mfa_token as Bearer).
 *
 * @example
 * const authenticators = yield* Mfa.listAuthenticators({ mfaToken: error.mfaToken })
 */
export const listAuthenticators = Telemetry.fn(Telemetry.SpanNames.mfaAuthenticators)(function*(options: ListAuthenticatorsOptions) {
  const mfaToken = yield* MfaRules.checkMfaToken(options?.mfaToken)
  const list = yield* MfaApi.listAuthenticators(mfaToken)
  return list.map((a): Authenticator => ({
    id: a.id,
    authenticatorType: a.authenticator_type,
    active: a.active,
    ...(a.oob_channel !== undefined ? { oobChannel: a.oob_channel } : {}),
    ...(a.name !== undefined ? { name: a.name } : {})
  }))
}, Telemetry.flow)

export type EnrollAuthenticatorOptions = MfaRules.EnrollFactor & {
  /** From `MfaRequiredError.mfaToken`. */
  readonly mfaToken: string
}

export interface Enrollment {
  readonly authenticatorType: string
  /** otp: the base32 TOTP secret (RFC 6238) for the user's app. */
  readonly secret?: string | undefined
  /** otp and push: the `otpauth://` URI to show as a QR code. */
  readonly barcodeUri?: string | undefined
  readonly oobChannel?: string | undefined
  /** oob: the code to verify the enrollment with (`verify({ factorType: "oob", oobCode, bindingCode })`). */
  readonly oobCode?: string | undefined
  /** `prompt`: the user types the code they received as `bindingCode`. */
  readonly bindingMethod?: string | undefined
  /** On the first enrollment: codes to show the user once. */
  readonly recoveryCodes?: ReadonlyArray<string> | undefined
}

/**
 * Enrolls an authenticator (`POST /mfa/associate`): `["otp"]` answers a TOTP secret; `["oob"]`
 * with `oobChannels` `sms` (and `phoneNumber`), `email` or `auth0` (push) sends a code and
 * answers the `oobCode`. The enrollment becomes active once verified with {@link verify}.
 *
 * @example
 * const enrollment = yield* Mfa.enrollAuthenticator({ mfaToken, authenticatorTypes: ["otp"] })
 */
export const enrollAuthenticator = Telemetry.fn(Telemetry.SpanNames.mfaEnroll)(function*(options: EnrollAuthenticatorOptions) {
  const mfaToken = yield* MfaRules.checkMfaToken(options?.mfaToken)
  const body = yield* MfaRules.associateBody(options)
  const answer = yield* MfaApi.associate(mfaToken, body)
  const out: Record<string, unknown> = { authenticatorType: answer.authenticator_type }
  if (answer.secret !== undefined) out["secret"] = answer.secret
  if (answer.barcode_uri !== undefined) out["barcodeUri"] = answer.barcode_uri
  if (answer.oob_channel !== undefined) out["oobChannel"] = answer.oob_channel
  if (answer.oob_code !== undefined) out["oobCode"] = answer.oob_code
  if (answer.binding_method !== undefined) out["bindingMethod"] = answer.binding_method
  if (answer.recovery_codes !== undefined) out["recoveryCodes"] = answer.recovery_codes
  return out as unknown as Enrollment
}, Telemetry.flow)

export interface ChallengeOptions {
  /** From `MfaRequiredError.mfaToken`. */
  readonly mfaToken: string
  /** `otp` (the user reads their app), `oob` (Auth0 sends an SMS, email or push), or `"otp oob"`. */
  readonly challengeType: "otp" | "oob" | "otp oob"
  /** Which authenticator (from {@link listAuthenticators}); without it, Auth0 picks one. */
  readonly authenticatorId?: string | undefined
}

export interface Challenge {
  readonly challengeType: string
  /** oob: pass it to `verify` with the code the user received as `bindingCode`. */
  readonly oobCode?: string | undefined
  readonly bindingMethod?: string | undefined
}

/**
 * Challenges an authenticator (`POST /mfa/challenge`, client-authenticated): for oob, Auth0
 * sends the code (SMS, email) or the push notification and answers the `oobCode`.
 *
 * @example
 * const challenge = yield* Mfa.challengeAuthenticator({ mfaToken, challengeType: "oob", authenticatorId })
 */
export const challengeAuthenticator = Telemetry.fn(Telemetry.SpanNames.mfaChallenge)(function*(options: ChallengeOptions) {
  const mfaToken = yield* MfaRules.checkMfaToken(options?.mfaToken)
  const challengeType = yield* MfaRules.checkChallengeType(options.challengeType)
  const params: Record<string, string> = { mfa_token: mfaToken, challenge_type: challengeType }
  if (options.authenticatorId !== undefined) params["authenticator_id"] = options.authenticatorId
  const answer = yield* MfaApi.challenge(params)
  return {
    challengeType: answer.challenge_type,
    ...(answer.oob_code !== undefined ? { oobCode: answer.oob_code } : {}),
    ...(answer.binding_method !== undefined ? { bindingMethod: answer.binding_method } : {})
  } satisfies Challenge
}, Telemetry.flow)

export type VerifyOptions = MfaRules.VerifyCredential & {
  /** From `MfaRequiredError.mfaToken`. */
  readonly mfaToken: string
  /** The API the tokens are for: `MfaRequiredError.audience`; default the configured audience. */
  readonly audience?: string | undefined
  /** The scope asked for: `MfaRequiredError.scope`; default the configured scope for the audience. */
  readonly scope?: string | undefined
}

export interface VerifyResult {
  readonly accessToken: string
  readonly audience: string
  readonly scope: string
  /** Seconds since the epoch. */
  readonly expiresAt: number
  /** After a recovery code: the new one Auth0 issued (the old one is spent). Show it to the user once. */
  readonly recoveryCode?: string | undefined
}

/**
 * Verifies a factor through the token endpoint (`mfa-otp`, `mfa-oob` with `bindingCode`, or
 * `mfa-recovery-code`), and stores the tokens as a refresh would: the access token joins the
 * session's token sets for `audience` and `scope`, a returned ID token is validated (OIDC Core
 * 3.1.3.7) and must be about the session's user (§12.2). With no session (the `mfa_required`
 * came from a code exchange) the validated ID token starts a new one (without an ID token
 * nothing is stored). A failed verify leaves the session as it was.
 *
 * @example
 * yield* Mfa.verify({ mfaToken: error.mfaToken, factorType: "otp", otp: "123456", audience: error.audience, scope: error.scope })
 */
export const verify = Telemetry.fn(Telemetry.SpanNames.mfaVerify)(function*(options: VerifyOptions) {
  const config = yield* Auth0Config
  const mfaToken = yield* MfaRules.checkMfaToken(options?.mfaToken)
  const params = yield* MfaRules.verifyParams(mfaToken, options)
  const asked = options.audience === DEFAULT_AUDIENCE ? undefined : options.audience
  const audience = asked ?? config.audience
  const scope = options.scope ?? Scopes.forAudience(config.scopes, audience, undefined)
  const server = yield* AuthorizationServer
  const metadata = yield* server.metadata
  const sentAt = yield* epochSeconds
  let recoveryCode: string | undefined
  const tokens = yield* MfaApi.tapBodies(
    TokenEndpoint.request(params, "MFA verify"),
    (status) => status === 200,
    (_, body) => {
      const code = typeof body === "object" && body !== null ? (body as { recovery_code?: unknown }).recovery_code : undefined
      recoveryCode = typeof code === "string" ? code : undefined
    }
  ).pipe(Effect.catchTag("TokenEndpointError", (e) => Effect.fail(MfaApi.fromVerifyError(e))))
  if (audience && !AccessTokenAudience.allows(tokens.access_token, audience)) {
    return yield* new AccessTokenError({
      reason: "audience_mismatch",
      message: `The access token MFA verification issued is not for "${audience}"`
    })
  }
  const store = yield* StateStore
  const current = yield* store.get
  let claims: IdToken.Claims | undefined
  if (tokens.id_token !== undefined) {
    claims = yield* IdToken.validate(tokens.id_token, server.keyFor, {
      issuer: config.issuer,
      clientId: config.clientId,
      nonce: undefined,
      now: yield* epochSeconds,
      toleranceSeconds: config.options.clockToleranceSeconds,
      advertisedAlgorithms: metadata.id_token_signing_alg_values_supported
    })
    if (Option.isSome(current)) {
      const mismatch = IdToken.refreshedSubjectMismatch(
        { iss: config.issuer, sub: current.value.user.sub, auth_time: current.value.user["auth_time"] },
        claims
      )
      if (mismatch !== undefined) {
        return yield* new AccessTokenError({
          reason: "subject_mismatch",
          message: `The ID token MFA verification issued has another ${mismatch} than the session's (OIDC Core §12.2); the session is unchanged`
        })
      }
    }
  }
  const key = audience ?? DEFAULT_AUDIENCE
  const set: TokenSet = TokenSets.issued({
    audience: key,
    accessToken: tokens.access_token,
    scope: tokens.scope ?? scope,
    expiresAt: sentAt + (tokens.expires_in ?? 0),
    ...TokenSets.tokenTypeField(tokens.token_type)
  }, scope)
  const now = yield* epochSeconds
  if (Option.isSome(current)) {
    const session = current.value
    // The session keeps its refresh token: it is the one the refresh coordination knows.
    yield* store.set({
      ...session,
      idToken: tokens.id_token ?? session.idToken,
      ...(session.refreshToken === undefined && tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : {}),
      user: claims ? { ...session.user, ...userClaims(claims) } : session.user,
      tokenSets: TokenSets.upsert(session.tokenSets, set, now)
    } satisfies SessionData)
  } else if (claims !== undefined && tokens.id_token !== undefined) {
    yield* store.set({
      user: userClaims(claims),
      idToken: tokens.id_token,
      ...(tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : {}),
      tokenSets: [set],
      connectionTokenSets: [],
      internal: { ...(typeof claims["sid"] === "string" ? { sid: claims["sid"] } : {}), createdAt: now }
    }, { rotate: true })
  }
  return {
    accessToken: set.accessToken,
    audience: set.audience,
    scope: set.scope,
    expiresAt: set.expiresAt,
    ...(recoveryCode !== undefined ? { recoveryCode } : {})
  } satisfies VerifyResult
}, Telemetry.flow)
