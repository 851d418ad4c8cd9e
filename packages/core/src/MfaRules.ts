/**
 * Pure rules of Auth0's MFA API (https://auth0.com/docs/secure/multi-factor-authentication/authenticate-using-ropg-flow-with-mfa):
 * recognising `mfa_required`, the verify grants and their parameters, and the checks on what
 * the caller passes before any request.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { MfaRequirements, TokenEndpointError } from "./Errors.js"
import { InvalidArgumentError, MfaRequiredError, MissingRequiredArgumentError } from "./Errors.js"

/** The token endpoint grants that verify a factor, by the factor type the reference SDK names. */
export const GRANT_TYPES = {
  otp: "http://auth0.com/oauth/grant-type/mfa-otp",
  oob: "http://auth0.com/oauth/grant-type/mfa-oob",
  "recovery-code": "http://auth0.com/oauth/grant-type/mfa-recovery-code"
} as const

export type FactorType = keyof typeof GRANT_TYPES

/** What a verify call presents: a TOTP, an out-of-band code (and its binding code), or a recovery code. */
export type VerifyCredential =
  | { readonly factorType: "otp"; readonly otp: string }
  | { readonly factorType: "oob"; readonly oobCode: string; readonly bindingCode?: string | undefined }
  | { readonly factorType: "recovery-code"; readonly recoveryCode: string }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A `[{ type }]` list as Auth0 sends it, dropping anything that is not one (hostile input stays data). */
const factorList = (value: unknown): ReadonlyArray<{ readonly type: string }> | undefined => {
  if (!Array.isArray(value)) return undefined
  return value
    .filter((entry): entry is { type: string } => isRecord(entry) && typeof entry["type"] === "string")
    .slice(0, 16)
    .map((entry) => ({ type: entry.type.slice(0, 64) }))
}

/**
 * `mfa_requirements` of an `mfa_required` answer: `challenge` lists the factors the user can be
 * challenged with, `enroll` the ones to enroll first. Anything else is ignored.
 */
export const requirements = (body: unknown): MfaRequirements | undefined => {
  if (!isRecord(body) || !isRecord(body["mfa_requirements"])) return undefined
  const raw = body["mfa_requirements"]
  const challenge = factorList(raw["challenge"])
  const enroll = factorList(raw["enroll"])
  if (challenge === undefined && enroll === undefined) return undefined
  return { ...(challenge ? { challenge } : {}), ...(enroll ? { enroll } : {}) }
}

/**
 * A token endpoint error turned into {@link MfaRequiredError} when it is `mfa_required` with an
 * `mfa_token` in its body (`body` is the parsed error body); any other error is returned as it
 * was. `audience` and `scope` name what the failed request asked for.
 */
export const fromTokenEndpointError = (
  error: TokenEndpointError,
  body: unknown,
  request: { readonly audience: string; readonly scope: string; readonly appState?: unknown }
): TokenEndpointError | MfaRequiredError => {
  if (error.error !== "mfa_required" || !isRecord(body)) return error
  const mfaToken = body["mfa_token"]
  if (typeof mfaToken !== "string" || mfaToken.length === 0 || mfaToken.length > 4096) return error
  return new MfaRequiredError({
    status: error.status,
    errorDescription: error.errorDescription,
    mfaRequirements: requirements(body),
    audience: request.audience,
    scope: request.scope,
    ...(request.appState !== undefined ? { appState: request.appState } : {}),
    mfaToken,
    message: `Multi-factor authentication is required for "${request.audience}"${
      error.errorDescription ? ` (${error.errorDescription})` : ""
    }: verify a factor with the error's mfaToken (Mfa.verify), then retry`
  })
}

const required = (argument: string, value: unknown): Either.Either<string, MissingRequiredArgumentError | InvalidArgumentError> => {
  if (value === undefined || value === null || value === "") {
    return Either.left(new MissingRequiredArgumentError({ argument, message: `${argument} is required` }))
  }
  if (typeof value !== "string") return Either.left(new InvalidArgumentError({ argument, message: `${argument} must be a string` }))
  return Either.right(value)
}

/** Checks the mfa_token a caller passes: present, a string, of a sane length. */
export const checkMfaToken = (value: unknown): Either.Either<string, MissingRequiredArgumentError | InvalidArgumentError> =>
  Either.flatMap(required("mfaToken", value), (token) =>
    token.length > 4096
      ? Either.left(new InvalidArgumentError({ argument: "mfaToken", message: "mfaToken is longer than 4096 characters" }))
      : Either.right(token))

/**
 * The form of a verify grant (the token endpoint's `mfa-otp`, `mfa-oob` or `mfa-recovery-code`),
 * after checking that the credential for the factor is there. `binding_code` goes only with oob.
 */
export const verifyParams = (
  mfaToken: string,
  credential: VerifyCredential
): Either.Either<Record<string, string>, MissingRequiredArgumentError | InvalidArgumentError> => {
  const grant = (GRANT_TYPES as Record<string, string>)[credential.factorType as string]
  if (grant === undefined) {
    return Either.left(
      new InvalidArgumentError({ argument: "factorType", message: `factorType must be one of ${Object.keys(GRANT_TYPES).join(", ")}` })
    )
  }
  const params: Record<string, string> = { grant_type: grant, mfa_token: mfaToken }
  switch (credential.factorType) {
    case "otp":
      return Either.map(required("otp", credential.otp), (otp) => ({ ...params, otp }))
    case "recovery-code":
      return Either.map(required("recoveryCode", credential.recoveryCode), (code) => ({ ...params, recovery_code: code }))
    case "oob":
      return Either.flatMap(required("oobCode", credential.oobCode), (oobCode) => {
        if (credential.bindingCode === undefined) return Either.right({ ...params, oob_code: oobCode })
        return Either.map(required("bindingCode", credential.bindingCode), (bindingCode) => ({
          ...params,
          oob_code: oobCode,
          binding_code: bindingCode
        }))
      })
  }
}

/** E.164: a plus, then 8 to 15 digits (what Auth0 asks of `phone_number`). */
export const isE164 = (value: string): boolean => /^\+[1-9][0-9]{7,14}$/.test(value)

/** What `/mfa/associate` accepts: an authenticator type and, for oob, its channel. */
export type EnrollFactor =
  | { readonly authenticatorTypes: readonly ["otp"] }
  | {
    readonly authenticatorTypes: readonly ["oob"]
    readonly oobChannels: ReadonlyArray<"sms" | "voice" | "email" | "auth0">
    readonly phoneNumber?: string | undefined
    readonly email?: string | undefined
  }

/**
 * The JSON body of `/mfa/associate` for `factor`, checked: one authenticator type, oob with at
 * least one known channel, a phone number in E.164 for sms and voice.
 */
export const associateBody = (
  factor: EnrollFactor
): Either.Either<Record<string, unknown>, MissingRequiredArgumentError | InvalidArgumentError> => {
  const types = factor.authenticatorTypes as ReadonlyArray<unknown> | undefined
  if (!Array.isArray(types) || types.length !== 1 || (types[0] !== "otp" && types[0] !== "oob")) {
    return Either.left(
      new InvalidArgumentError({ argument: "authenticatorTypes", message: 'authenticatorTypes must be ["otp"] or ["oob"]' })
    )
  }
  if (types[0] === "otp") return Either.right({ authenticator_types: ["otp"] })
  const oob = factor as Extract<EnrollFactor, { readonly oobChannels: unknown }>
  const channels = oob.oobChannels as ReadonlyArray<unknown> | undefined
  if (!Array.isArray(channels) || channels.length === 0) {
    return Either.left(new MissingRequiredArgumentError({ argument: "oobChannels", message: "oobChannels is required for oob" }))
  }
  if (!channels.every((c) => c === "sms" || c === "voice" || c === "email" || c === "auth0")) {
    return Either.left(
      new InvalidArgumentError({ argument: "oobChannels", message: "oobChannels may hold sms, voice, email and auth0" })
    )
  }
  const body: Record<string, unknown> = { authenticator_types: ["oob"], oob_channels: [...channels] }
  if (channels.includes("sms") || channels.includes("voice")) {
    if (oob.phoneNumber === undefined || oob.phoneNumber === "") {
      return Either.left(new MissingRequiredArgumentError({ argument: "phoneNumber", message: "phoneNumber is required for sms and voice" }))
    }
    if (typeof oob.phoneNumber !== "string" || !isE164(oob.phoneNumber)) {
      return Either.left(new InvalidArgumentError({ argument: "phoneNumber", message: "phoneNumber must be in E.164 format (+14155550123)" }))
    }
    body["phone_number"] = oob.phoneNumber
  }
  if (oob.email !== undefined) {
    if (typeof oob.email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(oob.email)) {
      return Either.left(new InvalidArgumentError({ argument: "email", message: "email must be an email address" }))
    }
    body["email"] = oob.email
  }
  return Either.right(body)
}

/** `challenge_type` of `/mfa/challenge`: `otp`, `oob`, or both space separated. */
export const checkChallengeType = (
  value: unknown
): Either.Either<"otp" | "oob" | "otp oob", MissingRequiredArgumentError | InvalidArgumentError> => {
  if (value === undefined || value === "") {
    return Either.left(new MissingRequiredArgumentError({ argument: "challengeType", message: "challengeType is required" }))
  }
  if (value === "otp" || value === "oob" || value === "otp oob") return Either.right(value)
  return Either.left(new InvalidArgumentError({ argument: "challengeType", message: 'challengeType must be "otp", "oob" or "otp oob"' }))
}
