import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Scopes from "../src/Scopes.js"
import type { TokenSet } from "../src/Session.js"
import * as TokenSets from "../src/TokenSets.js"

const scopeToken = FastCheck.constantFrom("openid", "profile", "email", "offline_access", "read:a", "write:a", "read:b", "x")
const scopeList = FastCheck.array(scopeToken, { maxLength: 8 })
const asString = (list: ReadonlyArray<string>) => list.join(" ")
const asSet = (scope: string) => new Set(Scopes.parse(scope))

describe("scope merging (MRRT defaults)", () => {
  it.prop("has no duplicates and contains every default and requested scope", [scopeList, scopeList], ([defaults, requested]) => {
    const merged = Scopes.parse(Scopes.merge(asString(defaults), asString(requested)))
    expect(new Set(merged).size).toBe(merged.length)
    for (const s of [...defaults, ...requested]) expect(merged).toContain(s)
    for (const s of merged) expect([...defaults, ...requested]).toContain(s)
  })

  it.prop("is idempotent", [scopeList, scopeList], ([a, b]) => {
    const once = Scopes.merge(asString(a), asString(b))
    expect(Scopes.merge(once, asString(b))).toBe(once)
    expect(Scopes.merge(once)).toBe(once)
  })

  it.prop("is order-insensitive as a set", [scopeList, scopeList], ([a, b]) => {
    expect(asSet(Scopes.merge(asString(a), asString(b)))).toEqual(asSet(Scopes.merge(asString(b), asString(a))))
  })

  it.prop("a login scope always has openid", [scopeList, scopeList], ([a, b]) => {
    expect(Scopes.parse(Scopes.forLogin(asString(a), asString(b)))).toContain("openid")
  })

  it("tolerates extra whitespace", () => {
    expect(Scopes.parse("  openid\tprofile  openid ")).toEqual(["openid", "profile"])
    expect(Scopes.covers("a b c", "c  a")).toBe(true)
    expect(Scopes.covers("a b", "a b c")).toBe(false)
  })

  it("uses the configured defaults for the audience", () => {
    const configured = new Map([["https://api", "read:a"], ["", "openid profile"]])
    expect(Scopes.forAudience(configured, "https://api", "write:a")).toBe("read:a write:a")
    expect(Scopes.forAudience(configured, undefined, undefined)).toBe("openid profile")
    expect(Scopes.forAudience(configured, "https://other", "x")).toBe("x")
  })
})

const tokenSet = FastCheck.record({
  audience: FastCheck.constantFrom("api-1", "api-2"),
  accessToken: FastCheck.string({ minLength: 1, maxLength: 5 }),
  scope: scopeList.map(asString),
  expiresAt: FastCheck.integer({ min: 900, max: 1200 })
})

describe("token-set selection", () => {
  const request = FastCheck.record({
    audience: FastCheck.constantFrom("api-1", "api-2"),
    scope: scopeList.map(asString),
    nowSeconds: FastCheck.integer({ min: 900, max: 1200 }),
    leewaySeconds: FastCheck.integer({ min: 0, max: 60 })
  })

  it.prop("never returns an expired, foreign or insufficient set", [FastCheck.array(tokenSet), request], ([sets, req]) => {
    const chosen = TokenSets.select(sets, req)
    if (Option.isNone(chosen)) {
      for (const s of sets) {
        const usable = s.audience === req.audience && TokenSets.isFresh(s, req.nowSeconds, req.leewaySeconds) &&
          Scopes.covers(s.scope, req.scope)
        expect(usable).toBe(false)
      }
      return
    }
    expect(chosen.value.audience).toBe(req.audience)
    expect(chosen.value.expiresAt - req.leewaySeconds).toBeGreaterThan(req.nowSeconds)
    expect(Scopes.covers(chosen.value.scope, req.scope)).toBe(true)
  })

  it.prop("prefers the smallest covering set", [FastCheck.array(tokenSet), request], ([sets, req]) => {
    const chosen = TokenSets.select(sets, req)
    if (Option.isNone(chosen)) return
    const size = Scopes.parse(chosen.value.scope).length
    for (const s of sets) {
      if (s.audience === req.audience && TokenSets.isFresh(s, req.nowSeconds, req.leewaySeconds) && Scopes.covers(s.scope, req.scope)) {
        expect(Scopes.parse(s.scope).length).toBeGreaterThanOrEqual(size)
      }
    }
  })

  it("upsert replaces the sets the new one covers and drops expired ones", () => {
    const sets: Array<TokenSet> = [
      { audience: "a", accessToken: "old-small", scope: "read", expiresAt: 2000 },
      { audience: "a", accessToken: "other", scope: "write", expiresAt: 2000 },
      { audience: "b", accessToken: "b", scope: "read", expiresAt: 2000 },
      { audience: "c", accessToken: "expired", scope: "read", expiresAt: 999 }
    ]
    const next = TokenSets.upsert(sets, { audience: "a", accessToken: "new", scope: "read admin", expiresAt: 3000 }, 1000)
    expect(next.map((s) => s.accessToken)).toEqual(["other", "b", "new"])
  })
})
