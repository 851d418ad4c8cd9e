import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TokenExchange from "../../src/TokenExchange.js"
import type { AccessTokenError, ConfigurationError, DiscoveryError, IdTokenValidationError, InvalidArgumentError, InvalidResponseError, MissingRequiredArgumentError, StoreError, TokenEndpointError, TransportError } from "../../src/Errors.js"
import * as TokenExchangeRules from "../../src/TokenExchangeRules.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { API, appLayer, emulatorOptions, withEmulator } from "./harness.js"

const TYPE = "urn:acme:legacy-token"

const setup = Effect.gen(function*() {
  let sub = ""
  const emulator = yield* withEmulator(emulatorOptions({
    tokenExchange: { validate: (r) => (r.subjectToken === "legacy-ada" ? { sub } : { error: "invalid_request", errorDescription: "unknown token" }) }
  }))
  sub = (yield* Effect.promise(() => emulator.createUser({ email: "ada@example.com", name: "Ada" }))).sub
  return { emulator, sub }
})

describe("Custom Token Exchange against the emulator", () => {
  it("has exact error unions", () => {
    type Base = MissingRequiredArgumentError | InvalidArgumentError | TokenEndpointError | TransportError | InvalidResponseError | DiscoveryError | ConfigurationError | IdTokenValidationError
    expectTypeOf<Effect.Effect.Error<ReturnType<typeof TokenExchange.customTokenExchange>>>().toEqualTypeOf<Base>()
    expectTypeOf<Effect.Effect.Error<ReturnType<typeof TokenExchange.loginWithCustomTokenExchange>>>().toEqualTypeOf<Base | AccessTokenError | StoreError>()
  })

  it.scopedLive("customTokenExchange returns validated tokens and leaves the session alone", () =>
    Effect.gen(function*() {
      const { emulator, sub } = yield* setup
      const browser = makeCookieBrowser()
      yield* Effect.gen(function*() {
        const result = yield* browser.request(TokenExchange.customTokenExchange({ subjectToken: "legacy-ada", subjectTokenType: TYPE, audience: API, scope: "openid read:items" }))
        expect(result.claims?.sub).toBe(sub)
        expect(result.accessToken).toBeTypeOf("string")
        expect(Option.isNone(yield* browser.request(UserSession.getUser))).toBe(true)
        expect(browser.cookies.size).toBe(0)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("loginWithCustomTokenExchange stores the session like a login", () =>
    Effect.gen(function*() {
      const { emulator, sub } = yield* setup
      const browser = makeCookieBrowser()
      yield* Effect.gen(function*() {
        const { user } = yield* browser.request(TokenExchange.loginWithCustomTokenExchange({ subjectToken: "legacy-ada", subjectTokenType: TYPE }))
        expect(user.sub).toBe(sub)
        expect(Option.getOrThrow(yield* browser.request(UserSession.getUser))["name"]).toBe("Ada")
        const refused = yield* Effect.flip(browser.request(TokenExchange.loginWithCustomTokenExchange({ subjectToken: "forged", subjectTokenType: TYPE })))
        expect(refused).toMatchObject({ _tag: "TokenEndpointError", error: "invalid_request" })
        // A failed exchange does not destroy the session.
        expect(Option.getOrThrow(yield* browser.request(UserSession.getUser)).sub).toBe(sub)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))

  it.scopedLive("a reserved or malformed subjectTokenType is refused before any request", () =>
    Effect.gen(function*() {
      const { emulator } = yield* setup
      yield* Effect.gen(function*() {
        for (const subjectTokenType of ["urn:ietf:params:oauth:token-type:jwt", "https://auth0.com/t", "legacy"]) {
          const error = yield* Effect.flip(TokenExchange.customTokenExchange({ subjectToken: "legacy-ada", subjectTokenType }))
          expect(error).toMatchObject({ _tag: "InvalidArgumentError", argument: "subjectTokenType" })
        }
        const noActorType = yield* Effect.flip(TokenExchange.customTokenExchange({ subjectToken: "x", subjectTokenType: TYPE, actorToken: "a" }))
        expect(noActorType).toMatchObject({ _tag: "MissingRequiredArgumentError", argument: "actorTokenType" })
        expect(emulator.requestCount("/oauth/token", TokenExchangeRules.GRANT_TYPE)).toBe(0)
      }).pipe(Effect.provide(appLayer(emulator)))
    }))
})
