/**
 * User claims: the standard ones typed (OIDC Core §5.1), apps' own by declaration merging, and
 * the Schema permissive: a provider's wrongly typed claim is dropped, never makes a session
 * unreadable.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { SessionData, type UserClaims, UserClaims as UserClaimsSchema, withStandardTypes } from "../src/Session.js"

declare global {
  namespace Auth0Effect {
    interface CustomClaims {
      readonly "https://example.com/roles"?: ReadonlyArray<string>
    }
  }
}

describe("UserClaims", () => {
  it("types the standard claims, the app's own claims, and leaves the rest unknown", () => {
    const user = { sub: "auth0|1" } as UserClaims
    expectTypeOf(user.sub).toEqualTypeOf<string>()
    expectTypeOf(user.email).toEqualTypeOf<string | undefined>()
    expectTypeOf(user.email_verified).toEqualTypeOf<boolean | undefined>()
    expectTypeOf(user.updated_at).toEqualTypeOf<string | number | undefined>()
    expectTypeOf(user.org_id).toEqualTypeOf<string | undefined>()
    expectTypeOf(user["https://example.com/roles"]).toEqualTypeOf<ReadonlyArray<string> | undefined>()
    expectTypeOf(user["anything_else"]).toEqualTypeOf<unknown>()
    const fromProvider: UserClaims = { sub: "auth0|1", email: "a@example.com", custom: { nested: true } }
    expect(fromProvider.email).toBe("a@example.com")
  })

  it("a wrongly typed standard claim is dropped at decode; the session still reads; other claims stay", () => {
    const stored = {
      user: { sub: "auth0|1", email: "a@example.com", email_verified: "true", name: 42, org_id: "org_1", extra: 1 },
      tokenSets: [],
      connectionTokenSets: [],
      internal: { createdAt: 1 }
    }
    const decoded = Schema.decodeUnknownSync(SessionData)(stored)
    expect(decoded.user).toEqual({ sub: "auth0|1", email: "a@example.com", org_id: "org_1", extra: 1 })
    expect(Schema.decodeUnknownSync(UserClaimsSchema)({ sub: "s", updated_at: "2024-01-01T00:00:00.000Z" }).updated_at)
      .toBe("2024-01-01T00:00:00.000Z")
    expect(() => Schema.decodeUnknownSync(UserClaimsSchema)({ email: "no sub" })).toThrow()
  })

  it("withStandardTypes returns the same object when nothing is wrong (no copy on the hot path)", () => {
    const claims = { sub: "s", email: "e@example.com", picture: "https://p" }
    expect(withStandardTypes(claims)).toBe(claims)
  })
})
