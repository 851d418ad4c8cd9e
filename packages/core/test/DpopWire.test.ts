/**
 * DPoP on the wire against a scripted tenant: what is sent with and without a key, the one
 * nonce retry at the token endpoint and at My Account, and the typed error after a second
 * challenge.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { decodeJwt, decodeProtectedHeader } from "jose"
import * as AccessToken from "../src/AccessToken.js"
import * as Dpop from "../src/Dpop.js"
import * as Rules from "../src/DpopRules.js"
import * as Login from "../src/Login.js"
import * as MyAccountApi from "../src/MyAccountApi.js"
import * as TokenEndpoint from "../src/TokenEndpoint.js"
import { flowLayer, json, logIn, makeFakeTenant, MY_ACCOUNT, ORIGIN, problem } from "./helpers/fakeTenant.js"

const key = await Effect.runPromise(Dpop.generateKey("ES256"))
const dpop = { dpop: { privateKey: key.privateJwk } }

const nonceError = (nonce: string) =>
  new Response(JSON.stringify({ error: "use_dpop_nonce", error_description: "Authorization server requires nonce in DPoP proof" }), {
    status: 400,
    headers: { "content-type": "application/json", "dpop-nonce": nonce }
  })

const resourceNonceError = (nonce: string) =>
  problem(401, "Unauthorized", "nonce required", {}, {
    "www-authenticate": 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
    "dpop-nonce": nonce
  })

const proofOf = (headers: Headers) => {
  const proof = headers.get("dpop")
  if (proof === null) throw new Error("no DPoP header")
  return { header: decodeProtectedHeader(proof), claims: decodeJwt(proof) }
}

describe("DPoP off (no dpop option)", () => {
  it.effect("no DPoP header on the token endpoint, no dpop_jkt on authorize, tokens stored without a type", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* TokenEndpoint.request({ grant_type: "client_credentials" })
      expect(tenant.seen.at(-1)!.headers.has("dpop")).toBe(false)
      const url = yield* Login.startInteractiveLogin()
      expect(url.searchParams.has("dpop_jkt")).toBe(false)
      yield* logIn()
      const token = yield* AccessToken.getAccessToken({ audience: "https://api.example.com" })
      expect(token.tokenType).toBe("Bearer")
      expect(tenant.seen.every((r) => !r.headers.has("dpop"))).toBe(true)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})

describe("DPoP on", () => {
  it.effect("dpop_jkt on authorize is the key's thumbprint; every token request carries a fresh proof for its URL", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      const url = yield* Login.startInteractiveLogin()
      expect(url.searchParams.get("dpop_jkt")).toBe(key.thumbprint)
      yield* TokenEndpoint.request({ grant_type: "client_credentials" })
      yield* TokenEndpoint.request({ grant_type: "client_credentials" })
      const [a, b] = tenant.seen.filter((r) => r.url.pathname === "/oauth/token").map((r) => proofOf(r.headers))
      expect(a!.header).toMatchObject({ typ: "dpop+jwt", alg: "ES256", jwk: key.publicJwk })
      expect(a!.claims).toMatchObject({ htm: "POST", htu: `${ORIGIN}/oauth/token` })
      expect(a!.claims["ath"]).toBeUndefined()
      expect(a!.claims.jti).not.toBe(b!.claims.jti)
    }).pipe(Effect.provide(flowLayer(tenant, dpop)))
  })

  it.effect("use_dpop_nonce at the token endpoint: one retry with the nonce; the nonce is kept for the origin", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      tenant.answer("/oauth/token", () => nonceError("n-1"))
      const tokens = yield* TokenEndpoint.request({ grant_type: "client_credentials" })
      expect(tokens.access_token).toBeTruthy()
      const sent = tenant.seen.filter((r) => r.url.pathname === "/oauth/token")
      expect(sent).toHaveLength(2)
      expect(proofOf(sent[0]!.headers).claims["nonce"]).toBeUndefined()
      expect(proofOf(sent[1]!.headers).claims["nonce"]).toBe("n-1")
      expect(yield* Dpop.getNonce(`${ORIGIN}/anything`)).toBe("n-1")
      // The next request starts with the kept nonce.
      yield* TokenEndpoint.request({ grant_type: "client_credentials" })
      expect(proofOf(tenant.seen.at(-1)!.headers).claims["nonce"]).toBe("n-1")
    }).pipe(Effect.provide(flowLayer(tenant, dpop)))
  })

  it.effect("a second use_dpop_nonce is a TokenEndpointError after exactly two requests; other errors are never retried", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      tenant.answer("/oauth/token", () => nonceError("n-1"))
      tenant.answer("/oauth/token", () => nonceError("n-2"))
      const error = yield* Effect.flip(TokenEndpoint.request({ grant_type: "client_credentials" }, "Code exchange"))
      expect(error).toMatchObject({ _tag: "TokenEndpointError", error: "use_dpop_nonce", status: 400 })
      expect(tenant.count("/oauth/token")).toBe(2)
      tenant.answer("/oauth/token", () => json(400, { error: "invalid_dpop_proof", error_description: "DPoP proof is required" }))
      const refused = yield* Effect.flip(TokenEndpoint.request({ grant_type: "client_credentials" }, "Code exchange"))
      expect(refused).toMatchObject({ _tag: "TokenEndpointError", error: "invalid_dpop_proof" })
      expect(refused.message).toContain("requires a valid DPoP proof")
      expect(tenant.count("/oauth/token")).toBe(3)
    }).pipe(Effect.provide(flowLayer(tenant, dpop)))
  })

  it.effect("My Account: a DPoP token goes as `DPoP` with ath; one nonce retry; a second challenge is a MyAccountApiError saying DPoP", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      const credential = { accessToken: "at-dpop", tokenType: "DPoP" }
      tenant.answer("/connected-accounts/accounts", () => resourceNonceError("r-1"))
      yield* MyAccountApi.listAccounts(credential)
      const sent = tenant.seen.filter((r) => r.url.pathname.endsWith("/accounts"))
      expect(sent).toHaveLength(2)
      expect(sent[1]!.headers.get("authorization")).toBe("DPoP at-dpop")
      const { claims } = proofOf(sent[1]!.headers)
      expect(claims).toMatchObject({ htm: "GET", htu: `${MY_ACCOUNT}/accounts`, nonce: "r-1", ath: yield* Rules.ath("at-dpop") })

      tenant.answer("/connected-accounts/connections", () => resourceNonceError("r-2"))
      tenant.answer("/connected-accounts/connections", () => resourceNonceError("r-3"))
      const error = yield* Effect.flip(MyAccountApi.listConnections(credential))
      expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 401, dpopError: "use_dpop_nonce" })
      expect(error.message).toContain("requires DPoP")
      expect(tenant.count(`${new URL(MY_ACCOUNT).pathname}/connections`)).toBe(2)
    }).pipe(Effect.provide(flowLayer(tenant, dpop)))
  })

  it.effect("a Bearer token still goes as Bearer (with a proof, no ath); a string credential too", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      yield* MyAccountApi.listAccounts({ accessToken: "at-bearer", tokenType: "Bearer" })
      yield* MyAccountApi.listAccounts("at-plain")
      const [a, b] = tenant.seen.filter((r) => r.url.pathname.endsWith("/accounts"))
      expect(a!.headers.get("authorization")).toBe("Bearer at-bearer")
      expect(b!.headers.get("authorization")).toBe("Bearer at-plain")
      expect(proofOf(a!.headers).claims["ath"]).toBeUndefined()
    }).pipe(Effect.provide(flowLayer(tenant, dpop)))
  })

  it.effect("an API asking for DPoP from a Bearer client: MyAccountApiError with dpopError, message saying DPoP is required", () => {
    const tenant = makeFakeTenant()
    return Effect.gen(function*() {
      tenant.answer("/connected-accounts/accounts", () =>
        problem(401, "Unauthorized", "DPoP required", {}, { "www-authenticate": 'DPoP algs="ES256"' }))
      const error = yield* Effect.flip(MyAccountApi.listAccounts("at-plain"))
      expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 401, dpopError: "dpop_required" })
      expect(error.message).toContain("requires DPoP")
      expect(tenant.count(`${new URL(MY_ACCOUNT).pathname}/accounts`)).toBe(1)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})
