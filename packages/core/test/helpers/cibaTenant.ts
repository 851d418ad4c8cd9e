/**
 * A scripted tenant for the CIBA and token-exchange flows: discovery (with a
 * backchannel_authentication_endpoint), a JWKS, `/bc-authorize` and the token endpoint, each
 * answering from a script. Every request is recorded with the TestClock time the test set.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as jose from "jose"
import * as Auth0 from "../../src/Auth0.js"
import { testOptions } from "./config.js"

export const ORIGIN = testOptions.domain
export const ISSUER = `${ORIGIN}/`

export interface Recorded {
  readonly path: string
  readonly form: URLSearchParams
  readonly headers: Headers
  /** The TestClock second the test said it was (`tenant.now`). */
  readonly at: number
}

export type Script = (form: URLSearchParams) => Response | Promise<Response>

export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } })

export const oauthError = (error: string, status = 400) => json(status, { error, error_description: `${error} (scripted)` })

const { publicKey, privateKey } = await jose.generateKeyPair("RS256")
const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }

/** An ID token signed with the tenant key; `iat` 0 suits TestClock's epoch start. */
export const idToken = (claims: Record<string, unknown> = {}) =>
  new jose.SignJWT({ sub: "auth0|ada", name: "Ada", iss: ISSUER, aud: testOptions.clientId, iat: 0, exp: 100_000, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .sign(privateKey)

export interface CibaTenant {
  readonly requests: Array<Recorded>
  /** Polls of the token endpoint (any grant). */
  readonly tokenCalls: () => Array<Recorded>
  readonly bcAuthorize: Array<Script>
  /** Answers of the next token requests, in order; the last one repeats. */
  readonly token: Array<Script>
  /** The second the test's TestClock is at; recorded with each request. */
  now: number
  advertiseCiba: boolean
  readonly layer: Layer.Layer<Auth0.Services>
}

export const makeCibaTenant = (overrides: Record<string, unknown> = {}): CibaTenant => {
  const tenant: CibaTenant = {
    requests: [],
    tokenCalls: () => tenant.requests.filter((r) => r.path === "/oauth/token"),
    bcAuthorize: [],
    token: [],
    now: 0,
    advertiseCiba: true,
    layer: undefined as never
  }
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const body = init?.body === undefined || init.body === null ? "" : String(init.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : init.body)
    const record = { path: url.pathname, form: new URLSearchParams(body), headers: new Headers(init?.headers), at: tenant.now }
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer: ISSUER,
        authorization_endpoint: `${ORIGIN}/authorize`,
        token_endpoint: `${ORIGIN}/oauth/token`,
        jwks_uri: `${ORIGIN}/.well-known/jwks.json`,
        ...(tenant.advertiseCiba ? { backchannel_authentication_endpoint: `${ORIGIN}/bc-authorize` } : {})
      })
    }
    if (url.pathname === "/.well-known/jwks.json") return json(200, { keys: [publicJwk] })
    tenant.requests.push(record)
    if (url.pathname === "/bc-authorize") {
      const next = tenant.bcAuthorize.length > 1 ? tenant.bcAuthorize.shift()! : tenant.bcAuthorize[0]
      return next ? next(record.form) : json(200, { auth_req_id: "req-1", expires_in: 300, interval: 2 })
    }
    if (url.pathname === "/oauth/token") {
      const next = tenant.token.length > 1 ? tenant.token.shift()! : tenant.token[0]
      return next ? next(record.form) : oauthError("authorization_pending")
    }
    return json(404, { error: "not_found" })
  }
  const layer = Auth0.layerWithoutHttp({ ...testOptions, ...overrides } as never).pipe(
    Layer.provideMerge(FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)))),
    Layer.orDie
  )
  return Object.assign(tenant, { layer })
}

/** A successful CIBA token answer. */
export const tokens = async (claims: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  json(200, {
    access_token: "at-1",
    id_token: await idToken(claims),
    refresh_token: "rt-1",
    token_type: "Bearer",
    expires_in: 3600,
    scope: "openid profile",
    ...extra
  })
