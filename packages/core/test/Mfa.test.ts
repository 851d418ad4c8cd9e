/**
 * The MFA rules (mfa_required recognised from a token endpoint error and its body, the verify
 * grants' parameters, enrollment and challenge checks), the mfa_token kept out of every
 * rendering of MfaRequiredError, and the flows' exact error unions.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as FastCheck from "effect/FastCheck"
import * as util from "node:util"
import type * as AccessToken from "../src/AccessToken.js"
import {
  type AccessTokenError,
  type ConfigurationError,
  type DiscoveryError,
  type IdTokenValidationError,
  type InvalidArgumentError,
  type InvalidResponseError,
  MfaApiError,
  MfaRequiredError,
  type MissingRequiredArgumentError,
  type StoreError,
  TokenEndpointError,
  type TransportError
} from "../src/Errors.js"
import type * as Login from "../src/Login.js"
import * as Http from "../src/internal/http.js"
import type * as Mfa from "../src/Mfa.js"
import * as MfaApi from "../src/MfaApi.js"
import * as MfaRules from "../src/MfaRules.js"

const MFA_TOKEN = "Fe26.2**SECRET-mfa-token-0123456789"
const request = { audience: "https://bank.example.com", scope: "transfer:funds" }
const mfaRequired = new TokenEndpointError({
  status: 403,
  error: "mfa_required",
  errorDescription: "Multifactor authentication required",
  message: "Refresh failed: mfa_required"
})

describe("MfaRules.fromTokenEndpointError", () => {
  it("turns mfa_required with an mfa_token into MfaRequiredError with the requirements and the request", () => {
    const error = MfaRules.fromTokenEndpointError(mfaRequired, {
      error: "mfa_required",
      mfa_token: MFA_TOKEN,
      mfa_requirements: { challenge: [{ type: "otp" }, { type: 7 }, "x"] }
    }, request)
    expect(error).toBeInstanceOf(MfaRequiredError)
    const mfa = error as MfaRequiredError
    expect(mfa.mfaToken).toBe(MFA_TOKEN)
    expect(mfa.mfaRequirements).toEqual({ challenge: [{ type: "otp" }] })
    expect(mfa).toMatchObject({ status: 403, error: "mfa_required", audience: request.audience, scope: request.scope })
  })

  it("leaves other errors, and mfa_required without a usable mfa_token, as they were", () => {
    const other = new TokenEndpointError({ status: 403, error: "invalid_grant", errorDescription: undefined, message: "x" })
    expect(MfaRules.fromTokenEndpointError(other, { mfa_token: MFA_TOKEN }, request)).toBe(other)
    for (const body of [undefined, null, "mfa_required", [], {}, { mfa_token: 1 }, { mfa_token: "" }, { mfa_token: "x".repeat(5000) }]) {
      expect(MfaRules.fromTokenEndpointError(mfaRequired, body, request)).toBe(mfaRequired)
    }
  })

  it.prop("never throws on hostile bodies", [FastCheck.anything()], ([body]) => {
    const out = MfaRules.fromTokenEndpointError(mfaRequired, body, request)
    expect(out === mfaRequired || out instanceof MfaRequiredError).toBe(true)
  })

  it("keeps the mfa_token out of message, toJSON, JSON.stringify, util.inspect, String, the stack and Cause.pretty", () => {
    const error = MfaRules.fromTokenEndpointError(mfaRequired, { mfa_token: MFA_TOKEN }, request) as MfaRequiredError
    const renderings = [
      error.message,
      JSON.stringify(error),
      JSON.stringify(error.toJSON()),
      util.inspect(error, { depth: 20, showHidden: true }),
      String(error),
      error.stack ?? "",
      Cause.pretty(Cause.fail(error))
    ]
    for (const text of renderings) expect(text).not.toContain(MFA_TOKEN)
    expect(error.mfaToken).toBe(MFA_TOKEN)
    expect(Object.keys(error)).not.toContain("mfaToken")
  })
})

describe("MfaRules.verifyParams", () => {
  it("builds each grant's form", () => {
    expect(MfaRules.verifyParams("t", { factorType: "otp", otp: "123456" })).toEqual(
      Either.right({ grant_type: "http://auth0.com/oauth/grant-type/mfa-otp", mfa_token: "t", otp: "123456" })
    )
    expect(MfaRules.verifyParams("t", { factorType: "oob", oobCode: "o", bindingCode: "b" })).toEqual(
      Either.right({ grant_type: "http://auth0.com/oauth/grant-type/mfa-oob", mfa_token: "t", oob_code: "o", binding_code: "b" })
    )
    expect(MfaRules.verifyParams("t", { factorType: "oob", oobCode: "o" })).toEqual(
      Either.right({ grant_type: "http://auth0.com/oauth/grant-type/mfa-oob", mfa_token: "t", oob_code: "o" })
    )
    expect(MfaRules.verifyParams("t", { factorType: "recovery-code", recoveryCode: "r" })).toEqual(
      Either.right({ grant_type: "http://auth0.com/oauth/grant-type/mfa-recovery-code", mfa_token: "t", recovery_code: "r" })
    )
  })

  it("names the missing or wrong argument", () => {
    const argument = (e: Either.Either<unknown, { readonly argument: string; readonly _tag: string }>) =>
      Either.isLeft(e) ? `${e.left._tag}:${e.left.argument}` : "ok"
    expect(argument(MfaRules.verifyParams("t", { factorType: "otp", otp: "" }))).toBe("MissingRequiredArgumentError:otp")
    expect(argument(MfaRules.verifyParams("t", { factorType: "oob", oobCode: "o", bindingCode: "" }))).toBe("MissingRequiredArgumentError:bindingCode")
    expect(argument(MfaRules.verifyParams("t", { factorType: "recovery-code", recoveryCode: 5 as never }))).toBe("InvalidArgumentError:recoveryCode")
    expect(argument(MfaRules.verifyParams("t", { factorType: "push" } as never))).toBe("InvalidArgumentError:factorType")
    expect(argument(MfaRules.checkMfaToken(undefined))).toBe("MissingRequiredArgumentError:mfaToken")
    expect(argument(MfaRules.checkChallengeType("sms"))).toBe("InvalidArgumentError:challengeType")
  })
})

describe("MfaRules.associateBody", () => {
  it("accepts otp, and oob with a channel (E.164 phone for sms)", () => {
    expect(MfaRules.associateBody({ authenticatorTypes: ["otp"] })).toEqual(Either.right({ authenticator_types: ["otp"] }))
    expect(MfaRules.associateBody({ authenticatorTypes: ["oob"], oobChannels: ["sms"], phoneNumber: "+14155550123" })).toEqual(
      Either.right({ authenticator_types: ["oob"], oob_channels: ["sms"], phone_number: "+14155550123" })
    )
    expect(MfaRules.associateBody({ authenticatorTypes: ["oob"], oobChannels: ["auth0"] })).toEqual(
      Either.right({ authenticator_types: ["oob"], oob_channels: ["auth0"] })
    )
  })

  it("refuses what Auth0 would", () => {
    const bad = [
      { authenticatorTypes: [] },
      { authenticatorTypes: ["otp", "oob"] },
      { authenticatorTypes: ["oob"] },
      { authenticatorTypes: ["oob"], oobChannels: ["fax"] },
      { authenticatorTypes: ["oob"], oobChannels: ["sms"] },
      { authenticatorTypes: ["oob"], oobChannels: ["sms"], phoneNumber: "4155550123" },
      { authenticatorTypes: ["oob"], oobChannels: ["email"], email: "not an email" }
    ]
    for (const factor of bad) expect(Either.isLeft(MfaRules.associateBody(factor as never)), JSON.stringify(factor)).toBe(true)
  })

  it.prop("E.164 accepts + and 8 to 15 digits, no leading zero", [FastCheck.stringMatching(/^\+[1-9][0-9]{7,14}$/)], ([phone]) => {
    expect(MfaRules.isE164(phone)).toBe(true)
    expect(MfaRules.isE164(phone.slice(1))).toBe(false)
  })
})

describe("exact error unions", () => {
  type Err<F extends (...args: never) => Effect.Effect<unknown, unknown, unknown>> = Effect.Effect.Error<ReturnType<F>>
  type Input = MissingRequiredArgumentError | InvalidArgumentError
  type Http = TransportError | InvalidResponseError | MfaApiError

  it("pins the MFA flows' errors", () => {
    expectTypeOf<Err<typeof Mfa.listAuthenticators>>().toEqualTypeOf<Input | Http>()
    expectTypeOf<Err<typeof Mfa.enrollAuthenticator>>().toEqualTypeOf<Input | Http>()
    expectTypeOf<Err<typeof Mfa.challengeAuthenticator>>().toEqualTypeOf<Input | Http | ConfigurationError>()
    expectTypeOf<Err<typeof Mfa.verify>>().toEqualTypeOf<
      Input | Http | ConfigurationError | DiscoveryError | IdTokenValidationError | AccessTokenError | StoreError
    >()
  })

  it("adds MfaRequiredError to getAccessToken and completeInteractiveLogin, and catchTag removes it", () => {
    expectTypeOf<MfaRequiredError>().toMatchTypeOf<Err<typeof AccessToken.getAccessToken>>()
    expectTypeOf<MfaRequiredError>().toMatchTypeOf<Err<typeof Login.completeInteractiveLogin>>()
    type Handled = Exclude<Err<typeof AccessToken.getAccessToken>, { readonly _tag: "MfaRequiredError" }>
    expectTypeOf<Extract<Handled, MfaRequiredError>>().toEqualTypeOf<never>()
    expectTypeOf<MfaApiError>().not.toMatchTypeOf<Err<typeof AccessToken.getAccessToken>>()
  })

  it("MfaApiError names the operation", () => {
    const error = new MfaApiError({ operation: "verify", status: 403, error: "invalid_grant", errorDescription: undefined, message: "m" })
    expect(error.operation).toBe("verify")
  })
})

describe("MfaApi.tapBodies (reading the mfa_required body on its way past)", () => {
  const fetchLayer = (body: string | Uint8Array<ArrayBuffer>, status = 403) =>
    FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, (async () =>
      new Response(body, { status, headers: { "content-type": "application/json; charset=utf-8" } })) as unknown as typeof fetch)))
  const post = HttpClientRequest.post("https://tenant.example.com/oauth/token")

  it.effect("shows the parsed body and hands the same response on", () =>
    Effect.gen(function*() {
      const text = JSON.stringify({ error: "mfa_required", mfa_token: MFA_TOKEN })
      let seen: unknown
      const response = yield* MfaApi.tapBodies(Http.send(post, "5 seconds"), (s) => s === 403, (_, body) => {
        seen = body
      }).pipe(Effect.provide(fetchLayer(text)))
      expect(seen).toEqual({ error: "mfa_required", mfa_token: MFA_TOKEN })
      expect(response.status).toBe(403)
      expect(response.text).toBe(text)
      expect(response.headers["content-type"]).toBe("application/json; charset=utf-8")
    }))

  it.effect("a body over the cap is still refused as too large, and not parsed", () =>
    Effect.gen(function*() {
      let calls = 0
      const exit = yield* Effect.exit(MfaApi.tapBodies(Http.send(post, "5 seconds"), () => true, () => {
        calls++
      }).pipe(Effect.provide(fetchLayer(new Uint8Array(Http.MAX_BODY_BYTES + 10).fill(32)))))
      expect(calls).toBe(0)
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "TransportError", reason: "too_large" })
    }))
})
