import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Rules from "../src/ConnectedAccountsRules.js"

const argumentOf = <A>(result: Either.Either<A, { readonly argument: string }>) =>
  Either.isLeft(result) ? result.left.argument : undefined

describe("ConnectedAccountsRules", () => {
  it.prop("connection: any name of 1..128 characters is accepted as is", [FastCheck.string({ minLength: 1, maxLength: 128 })], ([name]) => {
    expect(Rules.connection(name)).toEqual(Either.right(name))
  })

  it.prop("connection: longer than 128 is refused, naming the field", [FastCheck.string({ minLength: 129, maxLength: 400 })], ([name]) => {
    expect(argumentOf(Rules.connection(name))).toBe("connection")
  })

  it("connection: empty is refused", () => {
    const result = Rules.connection("")
    expect(Either.isLeft(result) && result.left._tag).toBe("InvalidArgumentError")
    expect(argumentOf(result)).toBe("connection")
  })

  it.prop(
    "scopes: 1..100 scopes of 1..255 characters are accepted",
    [FastCheck.array(FastCheck.string({ minLength: 1, maxLength: 255 }), { minLength: 1, maxLength: 100 })],
    ([scopes]) => {
      expect(Either.isRight(Rules.scopes(scopes))).toBe(true)
    }
  )

  it.prop(
    "scopes: more than 100 are refused",
    [FastCheck.array(FastCheck.constant("openid"), { minLength: 101, maxLength: 300 })],
    ([scopes]) => {
      expect(argumentOf(Rules.scopes(scopes))).toBe("scopes")
    }
  )

  it.prop(
    "scopes: one scope that is empty or longer than 255 is refused, naming its index",
    [
      FastCheck.array(FastCheck.constant("openid"), { minLength: 0, maxLength: 98 }),
      FastCheck.oneof(FastCheck.constant(""), FastCheck.string({ minLength: 256, maxLength: 600 })),
      FastCheck.nat(98)
    ],
    ([good, bad, at]) => {
      const index = Math.min(at, good.length)
      const scopes = [...good.slice(0, index), bad, ...good.slice(index)]
      expect(argumentOf(Rules.scopes(scopes))).toBe(`scopes[${index}]`)
    }
  )

  it("scopes: an empty list is refused", () => {
    expect(argumentOf(Rules.scopes([]))).toBe("scopes")
  })

  it.prop("take: every integer 1..20 is accepted", [FastCheck.integer({ min: 1, max: 20 })], ([take]) => {
    expect(Rules.take(take)).toEqual(Either.right(take))
  })

  it.prop(
    "take: integers outside 1..20 and non-integers are refused",
    [
      FastCheck.oneof(
        FastCheck.integer({ max: 0 }),
        FastCheck.integer({ min: 21 }),
        FastCheck.double({ noInteger: true }),
        FastCheck.constant(Number.NaN)
      )
    ],
    ([take]) => {
      expect(argumentOf(Rules.take(take))).toBe("take")
    }
  )

  it.prop(
    "authorizationParams: any documented keys with string values pass through",
    [
      FastCheck.dictionary(
        FastCheck.constantFrom(...[...Rules.AUTHORIZATION_PARAM_KEYS].filter((k) => k !== "max_age")),
        FastCheck.string()
      ),
      FastCheck.option(FastCheck.nat(), { nil: undefined })
    ],
    ([params, maxAge]) => {
      const input = maxAge === undefined ? params : { ...params, max_age: maxAge }
      expect(Rules.authorizationParams(input)).toEqual(Either.right(input))
    }
  )

  it.prop(
    "authorizationParams: any other key is refused, naming it",
    [FastCheck.string({ minLength: 1 }).filter((k) => !Rules.AUTHORIZATION_PARAM_KEYS.has(k) && k !== "__proto__")],
    ([key]) => {
      expect(argumentOf(Rules.authorizationParams({ login_hint: "a@b.c", [key]: "x" }))).toBe(`authorizationParams.${key}`)
    }
  )

  it("authorizationParams: SDK-owned and unknown keys are refused; max_age must be a non-negative integer", () => {
    for (const key of ["redirect_uri", "state", "code_challenge", "connection", "client_id", "response_type"]) {
      expect(argumentOf(Rules.authorizationParams({ [key]: "x" }))).toBe(`authorizationParams.${key}`)
    }
    expect(argumentOf(Rules.authorizationParams({ max_age: -1 }))).toBe("authorizationParams.max_age")
    expect(argumentOf(Rules.authorizationParams({ max_age: 1.5 }))).toBe("authorizationParams.max_age")
    expect(argumentOf(Rules.authorizationParams({ login_hint: 3 }))).toBe("authorizationParams.login_hint")
    expect(Rules.authorizationParams({ login_hint: undefined, prompt: "consent" })).toEqual(Either.right({ prompt: "consent" }))
  })

  it("redirectUri: absolute URLs up to 2048 characters", () => {
    expect(Either.isRight(Rules.redirectUri("https://app.example.com/callback"))).toBe(true)
    expect(argumentOf(Rules.redirectUri("/callback"))).toBe("redirectUri")
    expect(argumentOf(Rules.redirectUri(`https://app.example.com/${"a".repeat(2048)}`))).toBe("redirectUri")
  })
})
