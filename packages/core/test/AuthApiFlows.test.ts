/**
 * The exact error unions and services of the Authentication API flows (revocation,
 * passwordless, database connections, session transfer), pinned so a new failure cannot slip
 * into a flow unnoticed, and their pure rules.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import type { Auth0Config } from "../src/Auth0Config.js"
import type { AuthorizationServer } from "../src/AuthorizationServer.js"
import * as DatabaseConnections from "../src/DatabaseConnections.js"
import type {
  AccessTokenError,
  MfaRequiredError,
  AuthenticationApiError,
  ConfigurationError,
  DiscoveryError,
  IdTokenValidationError,
  InvalidArgumentError,
  InvalidResponseError,
  MissingRequiredArgumentError,
  MissingSessionError,
  MissingTransactionError,
  AuthorizationError,
  StoreError,
  TokenEndpointError,
  TransportError
} from "../src/Errors.js"
import type * as Logout from "../src/Logout.js"
import * as Passwordless from "../src/Passwordless.js"
import type { RequestCookies } from "../src/RequestCookies.js"
import type * as Revocation from "../src/Revocation.js"
import * as SessionTransfer from "../src/SessionTransfer.js"
import type { StateStore } from "../src/StateStore.js"
import type { TransactionStore } from "../src/TransactionStore.js"

type E<F extends (...args: any) => Effect.Effect<any, any, any>> = Effect.Effect.Error<ReturnType<F>>
type R<F extends (...args: any) => Effect.Effect<any, any, any>> = Effect.Effect.Context<ReturnType<F>>
type Token = TokenEndpointError | TransportError | InvalidResponseError | DiscoveryError | ConfigurationError

describe("Authentication API flows: exact error unions", () => {
  it("revocation", () => {
    expectTypeOf<E<typeof Revocation.revoke>>().toEqualTypeOf<TokenEndpointError | TransportError | DiscoveryError | ConfigurationError>()
    expectTypeOf<E<typeof Revocation.revokeRefreshToken>>().toEqualTypeOf<
      InvalidArgumentError | MissingSessionError | MissingRequiredArgumentError | StoreError | TokenEndpointError | TransportError | DiscoveryError | ConfigurationError
    >()
    expectTypeOf<R<typeof Revocation.revokeRefreshToken>>().toEqualTypeOf<
      StateStore | RequestCookies | Auth0Config | AuthorizationServer | HttpClient.HttpClient
    >()
    expectTypeOf<Logout.RevocationFailure>().toEqualTypeOf<E<typeof Revocation.revoke>>()
  })

  it("passwordless", () => {
    expectTypeOf<E<typeof Passwordless.startPasswordless>>().toEqualTypeOf<
      MissingRequiredArgumentError | InvalidArgumentError | AuthenticationApiError | TransportError | ConfigurationError | StoreError
    >()
    expectTypeOf<E<typeof Passwordless.completePasswordless>>().toEqualTypeOf<
      MissingRequiredArgumentError | InvalidArgumentError | Token | IdTokenValidationError | AccessTokenError | StoreError
    >()
    expectTypeOf<E<typeof Passwordless.completePasswordlessMagicLink>>().toEqualTypeOf<
      | MissingRequiredArgumentError | InvalidArgumentError | MissingTransactionError | AuthorizationError | Token
      | IdTokenValidationError | AccessTokenError | StoreError | MfaRequiredError
    >()
    expectTypeOf<R<typeof Passwordless.completePasswordless>>().toEqualTypeOf<
      Auth0Config | AuthorizationServer | HttpClient.HttpClient | StateStore | RequestCookies
    >()
    expectTypeOf<R<typeof Passwordless.startPasswordless>>().toEqualTypeOf<
      Auth0Config | HttpClient.HttpClient | TransactionStore | RequestCookies
    >()
  })

  it("database connections", () => {
    expectTypeOf<E<typeof DatabaseConnections.signUp>>().toEqualTypeOf<
      MissingRequiredArgumentError | InvalidArgumentError | AuthenticationApiError | TransportError | InvalidResponseError | ConfigurationError
    >()
    expectTypeOf<E<typeof DatabaseConnections.changePassword>>().toEqualTypeOf<
      MissingRequiredArgumentError | InvalidArgumentError | AuthenticationApiError | TransportError | ConfigurationError
    >()
    expectTypeOf<R<typeof DatabaseConnections.signUp>>().toEqualTypeOf<Auth0Config | HttpClient.HttpClient>()
  })

  it("session transfer", () => {
    expectTypeOf<E<typeof SessionTransfer.requestSessionTransferToken>>().toEqualTypeOf<
      MissingRequiredArgumentError | InvalidArgumentError | MissingSessionError | StoreError | Token
    >()
    expectTypeOf<ReturnType<typeof SessionTransfer.buildSessionTransferRedirect>>().toEqualTypeOf<Effect.Effect<URL, InvalidArgumentError>>()
  })
})

describe("Authentication API rules", () => {
  it.prop("every E.164 number is accepted", [FastCheck.stringMatching(/^\+[1-9]\d{1,14}$/)], ([phone]) => {
    expect(Passwordless.isE164(phone)).toBe(true)
  })

  it("numbers without +, with spaces, or over 15 digits are refused; emails need one @ and no spaces", () => {
    for (const phone of ["14155550100", "+0155", "+1 415 555 0100", "+1234567890123456", "+"]) expect(Passwordless.isE164(phone)).toBe(false)
    for (const email of ["a@b", "ada.lovelace+tag@example.co.uk"]) expect(Passwordless.isEmail(email)).toBe(true)
    for (const email of ["", "ada", "a b@example.com", "a@b@c", `${"a".repeat(320)}@b`, "a\n@b"]) expect(Passwordless.isEmail(email)).toBe(false)
  })

  it.prop("the session transfer audience is urn:{host}:session_transfer", [FastCheck.domain()], ([host]) => {
    expect(SessionTransfer.sessionTransferAudience(`https://${host}/`)).toBe(`urn:${new URL(`https://${host}/`).host}:session_transfer`)
  })

  it("SDK-owned parameters are reserved", () => {
    for (const name of ["grant_type", "audience", "subject_token", "actor_token", "client_secret"]) {
      expect(SessionTransfer.RESERVED_PARAMETERS.has(name)).toBe(true)
    }
    expect(DatabaseConnections.DEFAULT_CONNECTION).toBe("Username-Password-Authentication")
  })
})
