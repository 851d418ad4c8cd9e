/**
 * Sign-up and password change against the emulator's database connection: the password policy
 * and an existing user fail with Auth0's fields (never the password), a new user can log in
 * through the login page, and change_password answers alike for known and unknown emails.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as DatabaseConnections from "../../src/DatabaseConnections.js"
import { AuthenticationApiError } from "../../src/Errors.js"
import { StateStore } from "../../src/StateStore.js"
import { appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

const setup = Effect.gen(function*() {
  const emulator = yield* withEmulator(emulatorOptions({ databaseConnection: { passwordPolicy: "good" } }))
  return { emulator, layer: appLayer(emulator) }
})

describe("database connections (/dbconnections/signup, /dbconnections/change_password)", () => {
  it.scopedLive("a weak password fails with the policy and the rules it broke; the password is in no rendering", () =>
    Effect.gen(function*() {
      const { emulator, layer } = yield* setup
      const password = "short-pw"
      const error = yield* Effect.flip(DatabaseConnections.signUp({ email: "weak@example.com", password })).pipe(Effect.provide(layer))
      expect(error).toBeInstanceOf(AuthenticationApiError)
      const api = error as AuthenticationApiError
      expect(api.status).toBe(400)
      expect(api.error).toBe("invalid_password")
      expect(api.endpoint).toBe("/dbconnections/signup")
      expect(api.policy).toContain("At least 8 characters")
      expect(api.rules?.find((rule) => rule.code === "containsAtLeast")?.verified).toBe(false)
      for (const rendering of [String(api), api.message, JSON.stringify(api), api.stack ?? ""]) {
        expect(rendering).not.toContain(password)
      }
      expect(emulator.requestCount("/dbconnections/signup")).toBe(1)
    }))

  it.scopedLive("a new user signs up, logs in through the login page; signing up again is invalid_signup", () =>
    Effect.gen(function*() {
      const { emulator, layer } = yield* setup
      const result = yield* DatabaseConnections.signUp({
        email: "grace@example.com",
        password: "Correct-Horse-9",
        givenName: "Grace",
        userMetadata: { plan: "free" }
      }).pipe(Effect.provide(layer))
      expect(result.email).toBe("grace@example.com")
      expect(result.emailVerified).toBe(false)
      expect(result.id.length).toBeGreaterThan(0)
      expect(emulator.checkPassword("grace@example.com", "Correct-Horse-9")).toBe(true)

      const { browser } = yield* login(emulator, "grace@example.com").pipe(Effect.provide(layer))
      const session = Option.getOrThrow(yield* browser.request(Effect.flatMap(StateStore, (s) => s.get)).pipe(Effect.provide(layer)))
      expect(session.user.sub).toBe(`auth0|${result.id}`)
      expect(session.user.given_name).toBe("Grace")

      const again = yield* Effect.flip(DatabaseConnections.signUp({ email: "grace@example.com", password: "Correct-Horse-9" }))
        .pipe(Effect.provide(layer))
      expect((again as AuthenticationApiError).error).toBe("invalid_signup")
    }))

  it.scopedLive("change_password succeeds alike for known and unknown emails; only a known user gets a ticket", () =>
    Effect.gen(function*() {
      const { emulator, layer } = yield* setup
      yield* DatabaseConnections.signUp({ email: "alan@example.com", password: "Enigma-1912" }).pipe(Effect.provide(layer))
      yield* DatabaseConnections.changePassword({ email: "alan@example.com" }).pipe(Effect.provide(layer))
      yield* DatabaseConnections.changePassword({ email: "nobody@example.com" }).pipe(Effect.provide(layer))
      expect(emulator.lastPasswordResetTicket("alan@example.com")).toMatch(/\/lo\/reset\?ticket=/)
      expect(emulator.lastPasswordResetTicket("nobody@example.com")).toBeUndefined()
      const wrong = yield* Effect.flip(DatabaseConnections.changePassword({ email: "alan@example.com", connection: "other-db" }))
        .pipe(Effect.provide(layer))
      expect((wrong as AuthenticationApiError).error).toBe("bad.connection")
      expect(emulator.requestCount("/dbconnections/change_password")).toBe(3)
    }))

  it.scopedLive("bad input fails before any request", () =>
    Effect.gen(function*() {
      const { emulator, layer } = yield* setup
      const programs: Array<Effect.Effect<unknown, { readonly _tag: string }, any>> = [
        DatabaseConnections.signUp({ email: "nope", password: "Correct-Horse-9" }),
        DatabaseConnections.signUp({ email: "a@example.com", password: "" }),
        DatabaseConnections.signUp({ email: "a@example.com", password: "Correct-Horse-9", connection: "bad name" }),
        DatabaseConnections.changePassword({ email: "" })
      ]
      for (const program of programs) {
        const error = yield* Effect.flip(program).pipe(Effect.provide(layer))
        expect(["InvalidArgumentError", "MissingRequiredArgumentError"]).toContain(error._tag)
      }
      expect(emulator.requestCount("/dbconnections")).toBe(0)
    }))
})
