import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as CibaRules from "../src/CibaRules.js"

describe("CibaRules", () => {
  it.prop("the login hint is Auth0's iss_sub JSON, whatever the user id", [FastCheck.webUrl(), FastCheck.string({ minLength: 1 })], ([iss, sub]) => {
    expect(JSON.parse(CibaRules.loginHint(iss, sub))).toEqual({ format: "iss_sub", iss, sub })
  })

  it.prop("slow_down adds 5 s to the interval, for good; other outcomes keep it", [
    FastCheck.integer({ min: 1, max: 3600 }),
    FastCheck.constantFrom<CibaRules.PollOutcome>("pending", "slow_down", "denied", "expired", "failed")
  ], ([interval, outcome]) => {
    expect(CibaRules.nextInterval(interval, outcome)).toBe(outcome === "slow_down" ? interval + 5 : interval)
  })

  it.prop("an absent or unusable interval is the default 5 s; a usable one is kept (rounded up)", [
    FastCheck.oneof(FastCheck.constant(undefined), FastCheck.constant(0), FastCheck.constant(-3), FastCheck.constant(Number.NaN), FastCheck.string())
  ], ([interval]) => {
    expect(CibaRules.initialInterval(interval)).toBe(5)
  })

  it.prop("a server interval of at least 1 s is honoured", [FastCheck.double({ min: 1, max: 1e6, noNaN: true })], ([interval]) => {
    expect(CibaRules.initialInterval(interval)).toBe(Math.ceil(interval))
  })

  it.prop("a poll is allowed only if it lands before the deadline from expires_in", [
    FastCheck.integer({ min: 0, max: 1e12 }),
    FastCheck.integer({ min: 1, max: 3600 }),
    FastCheck.integer({ min: 1, max: 600 }),
    FastCheck.integer({ min: 0, max: 4000 })
  ], ([start, expiresIn, interval, elapsed]) => {
    const deadline = CibaRules.deadline(start, expiresIn)
    expect(deadline).toBe(start + expiresIn * 1000)
    expect(CibaRules.mayPollAgain(start + elapsed * 1000, interval, deadline)).toBe(elapsed + interval < expiresIn)
  })

  it("classifies poll errors as CIBA Core §11 says", () => {
    expect(CibaRules.classify({ error: "authorization_pending" })).toBe("pending")
    expect(CibaRules.classify({ error: "slow_down" })).toBe("slow_down")
    expect(CibaRules.classify({ error: "access_denied" })).toBe("denied")
    expect(CibaRules.classify({ error: "expired_token" })).toBe("expired")
    for (const error of ["invalid_grant", "invalid_client", "server_error", "unauthorized_client"]) {
      expect(CibaRules.classify({ error })).toBe("failed")
    }
  })

  it.prop("binding messages: Auth0's character set, 1 to 64 characters", [FastCheck.stringMatching(/^[A-Za-z0-9 +\-_.,:#]{1,64}$/)], ([message]) => {
    expect(CibaRules.bindingMessageProblem(message)).toBeUndefined()
  })

  it.prop("binding messages with any other character, or too long, are refused", [
    FastCheck.tuple(FastCheck.string({ maxLength: 20 }), FastCheck.constantFrom("<", ">", "\"", "'", "&", "/", "é", "😀", "\u0000", ";"), FastCheck.string({ maxLength: 20 }))
  ], ([[before, bad, after]]) => {
    expect(CibaRules.bindingMessageProblem(`${before}${bad}${after}`)).toBeTypeOf("string")
    expect(CibaRules.bindingMessageProblem("a".repeat(65))).toBeTypeOf("string")
    expect(CibaRules.bindingMessageProblem("")).toBeTypeOf("string")
  })

  it.prop("authorization details: arrays of objects with a string type pass; anything else names the problem", [
    FastCheck.array(FastCheck.record({ type: FastCheck.string({ minLength: 1 }), amount: FastCheck.integer() }))
  ], ([details]) => {
    expect(CibaRules.authorizationDetailsProblem(details)).toBeUndefined()
    expect(CibaRules.readAuthorizationDetails(details)).toEqual(details)
    expect(CibaRules.authorizationDetailsProblem([...details, { amount: 1 }])).toContain(`authorizationDetails[${details.length}]`)
    expect(CibaRules.authorizationDetailsProblem({ type: "x" })).toBeTypeOf("string")
    expect(CibaRules.readAuthorizationDetails("nope")).toBeUndefined()
  })

  it.prop("requestedExpiry is a positive whole number of seconds", [FastCheck.oneof(FastCheck.integer(), FastCheck.double())], ([n]) => {
    expect(CibaRules.requestedExpiryProblem(n) === undefined).toBe(Number.isSafeInteger(n) && n > 0)
  })
})
