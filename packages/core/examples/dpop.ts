/**
 * docs/dpop.md: DPoP with the Effect API: a key generated once, the config that turns DPoP on,
 * a call to your own API with the session's token, and a proof made by hand. Compiled by
 * `tsc -p tsconfig.test.json`.
 */
import * as Effect from "effect/Effect"
import * as Dpop from "@auth0-effect/core/Dpop"
import * as Auth0 from "@auth0-effect/core/Auth0"
import * as AccessToken from "@auth0-effect/core/AccessToken"

/** Run once (a script), then store `privateJwk` as a secret shared by every instance. */
export const makeKey = Effect.gen(function*() {
  const { privateJwk, privatePem, thumbprint } = yield* Dpop.generateKey("ES256")
  return { privateJwk: JSON.stringify(privateJwk), privatePem, thumbprint }
})

/** DPoP on: the same key on every instance, from the environment. */
export const AppLayer = Auth0.layer({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "https://app.example.com/auth/callback",
  dpop: { privateKey: JSON.parse(process.env["AUTH0_DPOP_KEY"] ?? "{}") as Record<string, unknown>, alg: "ES256" }
})

/** Your API with the session's token: `DPoP` scheme and a proof for a bound token, one nonce retry. */
export const listItems = Effect.gen(function*() {
  const response = yield* Dpop.fetchWithAccessToken({
    url: "https://api.example.com/items",
    audience: "https://api.example.com",
    scope: "read:items"
  })
  if (response.status !== 200) return { _tag: "Refused" as const, status: response.status }
  return { _tag: "Items" as const, items: JSON.parse(response.body) as ReadonlyArray<unknown> }
})

/** The same by hand: the token, its scheme, and a proof with `ath` for this request. */
export const createItem = (body: string) =>
  Effect.gen(function*() {
    const { accessToken, tokenType } = yield* AccessToken.getAccessToken({ audience: "https://api.example.com" })
    const url = "https://api.example.com/items"
    const proof = yield* Dpop.generateProof({ method: "POST", url, accessToken })
    const nonce = yield* Dpop.getNonce(url)
    return {
      headers: { authorization: `${tokenType} ${accessToken}`, dpop: proof, "content-type": "application/json" },
      body,
      nonceUsed: nonce !== undefined
    }
  })
