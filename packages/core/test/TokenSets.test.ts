import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Scopes from "../src/Scopes.js"
import type { TokenSet } from "../src/Session.js"
import * as TokenSets from "../src/TokenSets.js"

const AUDIENCES = ["https://a.example.com", "https://b.example.com", "default"] as const
const SCOPES = ["read", "write", "admin", "delete"] as const
const LEEWAY = 30

/** A server policy: per audience, the scopes it grants; anything else is silently dropped (as Auth0 does). */
const policyArb = FastCheck.record({
  "https://a.example.com": FastCheck.subarray([...SCOPES]),
  "https://b.example.com": FastCheck.subarray([...SCOPES]),
  default: FastCheck.subarray([...SCOPES])
})

/** A call: at `dt` seconds after the previous one, for an audience and a scope (any order, duplicates). */
const callArb = FastCheck.record({
  dt: FastCheck.integer({ min: 0, max: 900 }),
  audience: FastCheck.constantFrom(...AUDIENCES),
  scope: FastCheck.array(FastCheck.constantFrom(...SCOPES), { maxLength: 4 }).map((s) => s.join(" ")),
  lifetime: FastCheck.integer({ min: 60, max: 3600 })
})

/** A canonical key for (audience, requested scope): scope strings are sets. */
const keyOf = (audience: string, scope: string) => `${audience}|${[...Scopes.parse(scope)].sort().join(" ")}`

describe("TokenSets", () => {
  it.prop(
    "over any calls and policy: never an expired set, never another audience's, a served set serves the request, and at most one request per (audience, requested scope) per token lifetime",
    [policyArb, FastCheck.array(callArb, { minLength: 1, maxLength: 60 })],
    ([policy, calls]) => {
      let sets: Array<TokenSet> = []
      let now = 1_000
      let issued = 0
      // key => the expiry of the set the last request for it produced
      const lastIssued = new Map<string, number>()
      for (const call of calls) {
        now += call.dt
        const served = TokenSets.select(sets, { audience: call.audience, scope: call.scope, nowSeconds: now, leewaySeconds: LEEWAY })
        if (Option.isSome(served)) {
          expect(served.value.audience).toBe(call.audience)
          expect(TokenSets.isFresh(served.value, now, LEEWAY)).toBe(true)
          expect(TokenSets.serves(served.value, call.scope)).toBe(true)
          continue
        }
        const key = keyOf(call.audience, call.scope)
        const previous = lastIssued.get(key)
        // A second request for the same key only once the token it got is no longer fresh.
        if (previous !== undefined) expect(now).toBeGreaterThanOrEqual(previous - LEEWAY)
        const granted = Scopes.parse(call.scope).filter((s) => (policy[call.audience] as ReadonlyArray<string>).includes(s)).join(" ")
        const fresh = TokenSets.issued(
          { audience: call.audience, accessToken: `at-${++issued}`, scope: granted, expiresAt: now + call.lifetime },
          call.scope
        )
        lastIssued.set(key, fresh.expiresAt)
        sets = TokenSets.upsert(sets, fresh, now)
        expect(sets.every((set) => set.expiresAt > now)).toBe(true)
      }
    },
    { fastCheck: { numRuns: 2_000 } }
  )

  it("least privilege stays: of two sets that serve a request, the one with fewer scopes", () => {
    const sets: Array<TokenSet> = [
      { audience: "api", accessToken: "broad", scope: "read write admin", expiresAt: 9_000 },
      { audience: "api", accessToken: "narrow", scope: "read", expiresAt: 5_000 }
    ]
    expect(Option.map(TokenSets.select(sets, { audience: "api", scope: "read", nowSeconds: 0, leewaySeconds: 0 }), (s) => s.accessToken))
      .toEqual(Option.some("narrow"))
  })

  it("a refused scope is remembered only for the exact request: a request for more still asks", () => {
    const refused = TokenSets.issued({ audience: "api", accessToken: "at", scope: "read", expiresAt: 600 }, "read admin")
    expect(refused.requestedScope).toBe("read admin")
    expect(TokenSets.serves(refused, "admin read")).toBe(true)
    expect(TokenSets.serves(refused, "read")).toBe(true)
    expect(TokenSets.serves(refused, "admin")).toBe(false)
    expect(TokenSets.serves(refused, "read admin write")).toBe(false)
    // A full grant stores no requested scope (the cookie stays small).
    expect(TokenSets.issued({ audience: "api", accessToken: "at", scope: "read admin", expiresAt: 600 }, "read").requestedScope)
      .toBeUndefined()
  })

  it("upsert keeps a refused-scope set a broader token cannot stand in for", () => {
    const refused = TokenSets.issued({ audience: "api", accessToken: "r", scope: "read", expiresAt: 600 }, "read admin")
    const broader: TokenSet = { audience: "api", accessToken: "w", scope: "read write", expiresAt: 900 }
    expect(TokenSets.upsert([refused], broader, 0).map((s) => s.accessToken)).toEqual(["r", "w"])
    const sameAnswer = TokenSets.issued({ audience: "api", accessToken: "r2", scope: "read", expiresAt: 900 }, "admin read")
    expect(TokenSets.upsert([refused], sameAnswer, 0).map((s) => s.accessToken)).toEqual(["r2"])
  })
})
