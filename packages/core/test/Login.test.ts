import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Login from "../src/Login.js"
import * as Scopes from "../src/Scopes.js"
import { flowLayer, makeFakeTenant } from "./helpers/fakeTenant.js"

const scopeOf = (url: URL) => Scopes.parse(url.searchParams.get("scope") ?? "")

describe("startInteractiveLogin", () => {
  it.effect("sends PKCE S256, state, nonce, the defaults and the audience", () =>
    Effect.gen(function*() {
      const url = yield* Login.startInteractiveLogin({ authorizationParams: { audience: "https://api.example.com", max_age: 60 } })
      const params = url.searchParams
      expect(url.pathname).toBe("/authorize")
      expect(params.get("response_type")).toBe("code")
      expect(params.get("code_challenge_method")).toBe("S256")
      expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(params.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(params.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(params.get("state")).not.toBe(params.get("nonce"))
      expect(params.get("audience")).toBe("https://api.example.com")
      expect(params.get("max_age")).toBe("60")
      expect(scopeOf(url)).toEqual(["openid", "profile", "email", "offline_access"])
    }).pipe(Effect.provide(flowLayer(makeFakeTenant()))))

  it.effect("a scope map for other APIs keeps the default login scope; its entry for the audience wins", () =>
    Effect.gen(function*() {
      const plain = yield* Login.startInteractiveLogin()
      expect(scopeOf(plain)).toContain("offline_access")
      const forApi = yield* Login.startInteractiveLogin({ authorizationParams: { audience: "https://api.example.com", scope: "x" } })
      expect(scopeOf(forApi)).toEqual(["openid", "read:items", "x"])
    }).pipe(Effect.provide(flowLayer(makeFakeTenant(), {
      authorizationParams: { scope: { "https://api.example.com": "read:items", "https://other.example.com": "read:other" } }
    }))))

  it.effect("refuses parameters the SDK owns, a bad max_age, and a missing redirect URI", () =>
    Effect.gen(function*() {
      for (const param of ["state", "nonce", "code_challenge", "response_type", "client_id"]) {
        const error = yield* Effect.flip(Login.startInteractiveLogin({ authorizationParams: { [param]: "x" } }))
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", argument: `authorizationParams.${param}` })
      }
      expect(yield* Effect.flip(Login.startInteractiveLogin({ authorizationParams: { max_age: -1 } }))).toMatchObject({
        _tag: "InvalidArgumentError",
        argument: "authorizationParams.max_age"
      })
    }).pipe(Effect.provide(flowLayer(makeFakeTenant()))))

  it.effect("without any redirect URI: MissingRequiredArgumentError, and no transaction is stored", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      expect(yield* Effect.flip(Login.startInteractiveLogin())).toMatchObject({
        _tag: "MissingRequiredArgumentError",
        argument: "redirectUri"
      })
      expect(tenant.seen).toHaveLength(0)
    }).pipe(Effect.provide(flowLayer(tenant, { redirectUri: undefined })))
  })

  it.effect("PAR with a tenant that has no PAR endpoint is a ConfigurationError", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(Login.startInteractiveLogin({ pushedAuthorizationRequests: true }))).toMatchObject({
        _tag: "ConfigurationError",
        field: "pushedAuthorizationRequests"
      })
    }).pipe(Effect.provide(flowLayer(makeFakeTenant()))))
})
