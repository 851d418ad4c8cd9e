/**
 * Tenant-supplied URLs, attacked (RFC 8414 §3.3, RFC 9700 §4.4 and §4.11): a discovery document
 * that points the JWKS or the token endpoint at another origin or at plain http, a discovery that
 * redirects, a token endpoint that redirects, and My Account answering with a `javascript:` or
 * `data:` connect_uri. The attacker's servers count what reached them: nothing may.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import * as jose from "jose"
import * as AccessToken from "../src/AccessToken.js"
import * as Auth0Config from "../src/Auth0Config.js"
import * as AuthorizationServer from "../src/AuthorizationServer.js"
import * as ConnectedAccounts from "../src/ConnectedAccounts.js"
import * as Login from "../src/Login.js"
import { StateStore } from "../src/StateStore.js"
import { TransactionStore } from "../src/TransactionStore.js"
import { tenantUrlProblem } from "../src/internal/tenantUrl.js"
import { testOptions } from "./helpers/config.js"
import { type FakeTenant, flowLayer, json, logIn, makeFakeTenant, MY_ACCOUNT_AUDIENCE, ORIGIN } from "./helpers/fakeTenant.js"
import { type HostileTenant, startHostileTenant } from "./helpers/hostileTenant.js"

const EVIL = "https://evil.example.com"

const discovery = {
  issuer: `${ORIGIN}/`,
  authorization_endpoint: `${ORIGIN}/authorize`,
  token_endpoint: `${ORIGIN}/oauth/token`,
  jwks_uri: `${ORIGIN}/.well-known/jwks.json`
}

/**
 * The scripted tenant with its discovery document patched, and every other origin played by
 * the attacker (`evil`): each request there is recorded, and answered by `evil` if given.
 */
const attacked = (
  patch: Record<string, unknown>,
  evil: (url: URL) => Response | undefined = () => undefined
) => {
  const tenant = makeFakeTenant()
  const foreign: Array<URL> = []
  const redirectModes: Array<string | undefined> = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString())
    redirectModes.push(init?.redirect)
    if (url.origin !== ORIGIN) {
      foreign.push(url)
      return evil(url) ?? new Response("attacker", { status: 200 })
    }
    if (url.pathname === "/.well-known/openid-configuration") return json(200, { ...discovery, ...patch })
    return tenant.fetch(input, init)
  }) as typeof globalThis.fetch
  return { tenant: { ...tenant, fetch } as FakeTenant, foreign, redirectModes }
}

let forgedIdToken = ""
let attackerJwks: { keys: Array<jose.JWK> } = { keys: [] }

beforeAll(async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true })
  attackerJwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: "attacker", alg: "RS256", use: "sig" }] }
  forgedIdToken = await new jose.SignJWT({ nonce: "nonce-1" })
    .setProtectedHeader({ alg: "RS256", kid: "attacker" })
    .setIssuer(`${ORIGIN}/`)
    .setAudience(testOptions.clientId)
    .setSubject("auth0|attacker")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey)
})

/** A callback for a stored login transaction, whose code the token endpoint answers with the forged ID token. */
const loginWithForgedToken = (tenant: FakeTenant) =>
  Effect.gen(function*() {
    tenant.answer("/oauth/token", () => json(200, { access_token: "at", token_type: "Bearer", id_token: forgedIdToken, expires_in: 60 }))
    yield* (yield* TransactionStore).set({
      kind: "login",
      state: "state-1",
      codeVerifier: "v".repeat(43),
      nonce: "nonce-1",
      redirectUri: testOptions.redirectUri,
      scope: "openid",
      createdAt: Math.floor(Date.now() / 1000)
    })
    const exit = yield* Effect.exit(Login.completeInteractiveLogin(`${testOptions.redirectUri}?code=c&state=state-1`))
    const session = yield* (yield* StateStore).get
    return { exit, session }
  })

describe("discovery endpoints must be https on a trusted origin", () => {
  it.live("a jwks_uri on another origin is refused: the forged ID token does not log in, the JWKS is never fetched", () => {
    const { tenant, foreign } = attacked({ jwks_uri: `${EVIL}/jwks.json` }, () => json(200, attackerJwks))
    return Effect.gen(function*() {
      const { exit, session } = yield* loginWithForgedToken(tenant)
      expect(exit._tag).toBe("Failure")
      if (exit._tag === "Failure") {
        expect(Cause.squash(exit.cause)).toMatchObject({ _tag: "DiscoveryError", reason: "invalid", field: "jwks_uri" })
      }
      expect(Option.isNone(session)).toBe(true)
      expect(foreign).toHaveLength(0)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })

  it.live("the same forged token logs in when the app lists that origin in trustedOrigins (so the refusal above is the origin check)", () => {
    const { tenant, foreign } = attacked({ jwks_uri: `${EVIL}/jwks.json` }, () => json(200, attackerJwks))
    return Effect.gen(function*() {
      const { exit, session } = yield* loginWithForgedToken(tenant)
      expect(exit._tag).toBe("Success")
      expect(Option.getOrUndefined(session)?.user.sub).toBe("auth0|attacker")
      expect(foreign.map((u) => u.href)).toEqual([`${EVIL}/jwks.json`])
    }).pipe(Effect.provide(flowLayer(tenant, { trustedOrigins: [EVIL] })))
  })

  for (const [name, tokenEndpoint] of [
    ["another host", `${EVIL}/oauth/token`],
    ["plain http on the tenant's host", `http://tenant.example.com/oauth/token`],
    ["the tenant's host on another port", `${ORIGIN}:8443/oauth/token`]
  ] as const) {
    it.effect(`a token_endpoint on ${name} is refused: the client secret is never sent there`, () => {
      const { tenant, foreign } = attacked({ token_endpoint: tokenEndpoint })
      return Effect.gen(function*() {
        yield* logIn({ refreshToken: "rt-1" })
        const error = yield* Effect.flip(AccessToken.getAccessToken({ audience: "https://api.example.com" }))
        expect(error).toMatchObject({ _tag: "DiscoveryError", reason: "invalid", field: "token_endpoint" })
        expect(foreign).toHaveLength(0)
        expect(tenant.seen.filter((r) => r.url.pathname === "/oauth/token")).toHaveLength(0)
      }).pipe(Effect.provide(flowLayer(tenant)))
    })
  }

  for (const field of ["end_session_endpoint", "pushed_authorization_request_endpoint", "authorization_endpoint", "userinfo_endpoint"]) {
    it.effect(`${field} on another origin makes the whole document invalid, naming the field`, () => {
      const { tenant } = attacked({ [field]: `${EVIL}/x` })
      return Effect.gen(function*() {
        const error = yield* Effect.flip(Login.startInteractiveLogin())
        expect(error).toMatchObject({ _tag: "DiscoveryError", reason: "invalid", field })
      }).pipe(Effect.provide(flowLayer(tenant)))
    })
  }

  it.effect("every request is sent with redirect: manual, and a 3xx from any HttpClient is a TransportError", () => {
    const { tenant, foreign, redirectModes } = attacked({}, () => json(200, { access_token: "stolen" }))
    return Effect.gen(function*() {
      yield* logIn({ refreshToken: "rt-1" })
      tenant.answer("/oauth/token", () => new Response(null, { status: 307, headers: { location: `${EVIL}/oauth/token?x=1` } }))
      const error = yield* Effect.flip(AccessToken.getAccessToken({ audience: "https://api.example.com" }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "redirect", status: 307, method: "POST", url: `${ORIGIN}/oauth/token` })
      expect(error.message).not.toContain("x=1")
      expect(foreign).toHaveLength(0)
      expect(redirectModes.length).toBeGreaterThan(0)
      expect(redirectModes.every((mode) => mode === "manual")).toBe(true)
    }).pipe(Effect.provide(flowLayer(tenant)))
  })
})

describe("a discovery that redirects is not followed (real HTTP)", () => {
  let tenant: HostileTenant
  let other: HostileTenant
  beforeAll(async () => {
    tenant = await startHostileTenant()
    other = await startHostileTenant()
  })
  afterAll(async () => {
    await tenant.close()
    await other.close()
  })

  it.live("302 on discovery: TransportError(redirect), and the redirect target sees no request", () =>
    Effect.gen(function*() {
      tenant.discoveryRedirect = `${other.origin}/.well-known/openid-configuration`
      const client = yield* HttpClient.HttpClient
      const server = AuthorizationServer.make({
        discoveryUrl: `${tenant.origin}/.well-known/openid-configuration`,
        issuer: `${tenant.origin}/`,
        ttlSeconds: 600,
        timeoutMs: 2000,
        allowInsecureHttp: true
      }, client)
      const error = yield* Effect.flip(server.metadata)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "redirect", status: 302, method: "GET" })
      expect(other.seen).toHaveLength(0)
      expect(tenant.count("/.well-known/openid-configuration")).toBe(1)
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})

describe("connect_uri must be a trusted https URL before it becomes a redirect", () => {
  for (const connectUri of [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    `${EVIL}/connect`,
    "http://tenant.example.com/connect",
    "https://user:pass@tenant.example.com/connect",
    "/connect"
  ]) {
    it.effect(`refuses ${connectUri.slice(0, 40)}: InvalidResponseError, no redirect URL, no transaction`, () => {
      const tenant = makeFakeTenant()
      return Effect.gen(function*() {
        yield* logIn({
          tokenSets: [{ audience: MY_ACCOUNT_AUDIENCE, accessToken: "mya", scope: "create:me:connected_accounts", expiresAt: 4_000_000_000 }]
        })
        tenant.answer("/connect", () =>
          json(201, { auth_session: "as-1", connect_uri: connectUri, connect_params: { ticket: "t" }, expires_in: 300 }))
        const error = yield* Effect.flip(ConnectedAccounts.startConnectAccount({ connection: "github" }))
        expect(error).toMatchObject({ _tag: "InvalidResponseError", status: 201 })
        expect(error.message).toContain("connect_uri")
        expect(error.message).not.toContain("alert")
      }).pipe(Effect.provide(flowLayer(tenant)))
    })
  }
})

describe("tenantUrlProblem", () => {
  const policy = { trustedOrigins: [ORIGIN, "https://login.example.com"], allowInsecureHttp: false }
  it("accepts https on the tenant's origin or a trusted one", () => {
    expect(tenantUrlProblem(`${ORIGIN}/oauth/token`, policy)).toBeUndefined()
    expect(tenantUrlProblem("https://login.example.com/.well-known/jwks.json", policy)).toBeUndefined()
    expect(tenantUrlProblem("https://TENANT.example.com:443/x", policy)).toBeUndefined()
  })
  it("refuses other origins, other schemes, http off loopback, credentials, fragments and non-strings", () => {
    expect(tenantUrlProblem(`${EVIL}/x`, policy)).toContain("trustedOrigins")
    expect(tenantUrlProblem("https://tenant.example.com.evil.example.com/x", policy)).toContain("trustedOrigins")
    expect(tenantUrlProblem("javascript:alert(1)", policy)).toContain("scheme")
    expect(tenantUrlProblem("data:text/html,x", policy)).toContain("scheme")
    expect(tenantUrlProblem("http://tenant.example.com/x", policy)).toContain("plain http")
    expect(tenantUrlProblem("https://a:b@tenant.example.com/x", policy)).toContain("credentials")
    expect(tenantUrlProblem(`${ORIGIN}/x#f`, policy)).toContain("fragment")
    expect(tenantUrlProblem("/relative", policy)).toContain("absolute")
    expect(tenantUrlProblem(42, policy)).toContain("string")
  })
  it("allows http only on a trusted loopback origin with allowInsecureHttp", () => {
    const local = { trustedOrigins: ["http://127.0.0.1:4000"], allowInsecureHttp: true }
    expect(tenantUrlProblem("http://127.0.0.1:4000/x", local)).toBeUndefined()
    expect(tenantUrlProblem("http://127.0.0.1:4001/x", local)).toContain("trustedOrigins")
    expect(tenantUrlProblem("http://127.0.0.1:4000/x", { ...local, allowInsecureHttp: false })).toContain("plain http")
  })
})

describe("trustedOrigins option", () => {
  const resolve = (trustedOrigins: unknown, extra: Record<string, unknown> = {}) =>
    Effect.either(Auth0Config.resolve({ ...testOptions, ...extra, trustedOrigins }))

  it.effect("resolves to the tenant's origin followed by the listed origins, normalised", () =>
    Effect.gen(function*() {
      const config = yield* Auth0Config.resolve({ ...testOptions, trustedOrigins: ["login.example.com", "https://auth.example.com/"] })
      expect(config.trustedOrigins).toEqual([ORIGIN, "https://login.example.com", "https://auth.example.com"])
      expect((yield* Auth0Config.resolve(testOptions)).trustedOrigins).toEqual([ORIGIN])
    }))

  it.effect("refuses http, paths and junk, naming the entry", () =>
    Effect.gen(function*() {
      for (const bad of ["http://login.example.com", "https://login.example.com/path", "ftp://x", "https://"]) {
        const result = yield* resolve([bad])
        expect(result._tag).toBe("Left")
        if (result._tag === "Left") expect(result.left).toMatchObject({ _tag: "ConfigurationError", field: "trustedOrigins.0" })
      }
      const loopback = yield* resolve(["http://127.0.0.1:9999"], { allowInsecureHttp: true })
      expect(loopback._tag).toBe("Right")
    }))
})
