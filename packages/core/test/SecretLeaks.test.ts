/**
 * CWE-532, played as the attacker who reads the logs: every flow, with known secrets (client
 * secret in basic and post auth, a private_key_jwt key, refresh and access tokens, a code and
 * its verifier, connect codes, the cookie secret, a logout token, an mfa_token, OTP, oob, binding and
 * recovery codes), against a tenant that is
 * down, hangs, echoes the request back in a 500 (JSON and text), in a 200 of the wrong shape,
 * redirects, or sends a huge body. Each error, with its whole `cause` chain, is serialised with
 * `util.inspect(..., { depth: 20, showHidden: true })`, `JSON.stringify`, `String` and its stack,
 * and the Effect `Cause` is pretty-printed; none may contain any secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as jose from "jose"
import * as util from "node:util"
import * as AccessToken from "../src/AccessToken.js"
import * as AccountLinking from "../src/AccountLinking.js"
import * as Auth0 from "../src/Auth0.js"
import * as BackchannelLogout from "../src/BackchannelLogout.js"
import * as Ciba from "../src/Ciba.js"
import * as ConnectedAccounts from "../src/ConnectedAccounts.js"
import * as DatabaseConnections from "../src/DatabaseConnections.js"
import { Auth0Error } from "../src/Errors.js"
import * as Login from "../src/Login.js"
import * as Mfa from "../src/Mfa.js"
import * as Passwordless from "../src/Passwordless.js"
import * as Revocation from "../src/Revocation.js"
import * as SessionTransfer from "../src/SessionTransfer.js"
import { RequestCookies } from "../src/RequestCookies.js"
import type { SessionData } from "../src/Session.js"
import { StateStore } from "../src/StateStore.js"
import * as TokenExchange from "../src/TokenExchange.js"
import * as TokenVault from "../src/TokenVault.js"
import { TransactionStore } from "../src/TransactionStore.js"
import { basicAuthorization } from "../src/TokenEndpoint.js"
import type { FlowServices } from "./helpers/fakeTenant.js"
import { closedOrigin, type HostileTenant, type Mode, startHostileTenant } from "./helpers/hostileTenant.js"

const CLIENT_ID = "leak-test-client"
const CLIENT_SECRET = "cs-SECRET-client-7d1f0c2a9b8e4f61"
const COOKIE_SECRET = "cookie-SECRET-0123456789abcdefghijklmnopqrstuv"
const REFRESH_TOKEN = "rt-SECRET-refresh-5e2b7a9c0d13"
const ACCESS_TOKEN = "at-SECRET-myaccount-9f8e7d6c5b4a"
const CODE = "code-SECRET-authorization-4c3b2a1"
const CODE_VERIFIER = "verifier-SECRET-login-abcdefghijklmnopqrstuvwxyz0123456789"
const CONNECT_VERIFIER = "verifier-SECRET-connect-abcdefghijklmnopqrstuvwxyz012345678"
const CONNECT_CODE = "connect-code-SECRET-6a5b4c"
const AUTH_SESSION = "auth-session-SECRET-3d2e1f"
const ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.id-token-SECRET.sig"
const PASSWORD = "pw-SECRET-password-8c7d6e5f"
const OTP = "otp-SECRET-2f3e4d"
const SUBJECT_TOKEN = "subject-SECRET-customer-proof-1b2c"
const ACTOR_TOKEN = "actor-SECRET-agent-proof-7e6d"
const AUTH_REQ_ID = "auth-req-SECRET-5a4b3c"
const REDIRECT_URI = "http://127.0.0.1:3000/callback"
const MFA_TOKEN = "mfa-token-SECRET-8b7a6c5d4e3f"
const OOB_CODE = "oob-code-SECRET-1f2e3d4c"
const BINDING_CODE = "binding-SECRET-730519"
const RECOVERY_CODE = "recovery-SECRET-QWERTY234567"
const SENSITIVE = new Set([
  "client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "subject_token", "connect_code", "auth_session",
  "mfa_token", "otp", "oob_code", "binding_code", "recovery_code", "password", "token", "actor_token", "auth_req_id"
])

type Auth = "client_secret_post" | "client_secret_basic" | "private_key_jwt"

let privatePem = ""
let privateJwkD = ""
let logoutToken = ""
let dpopJwk: jose.JWK = {}

beforeAll(async () => {
  const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true })
  privatePem = await jose.exportPKCS8(privateKey)
  privateJwkD = String((await jose.exportJWK(privateKey)).d)
  dpopJwk = await jose.exportJWK((await jose.generateKeyPair("ES256", { extractable: true })).privateKey)
  logoutToken = await new jose.SignJWT({ events: { "http://schemas.openid.net/event/backchannel-logout": {} }, sid: "sid-1", jti: "jti-1" })
    .setProtectedHeader({ alg: "RS256", typ: "logout+jwt", kid: "attacker" })
    .setIssuer("https://example.invalid/")
    .setAudience(CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime("2m")
    .sign(privateKey)
})

const options = (origin: string, auth: Auth) => ({
  domain: origin,
  allowInsecureHttp: true,
  clientId: CLIENT_ID,
  secret: COOKIE_SECRET,
  redirectUri: REDIRECT_URI,
  httpTimeoutMs: 300,
  cookie: { secure: false },
  ...(auth === "private_key_jwt"
    ? { clientAuthMethod: auth, clientAssertionSigningKey: privatePem }
    : { clientAuthMethod: auth, clientSecret: CLIENT_SECRET }),
  // DPoP on for one of the auth methods: proofs (with ath) on every call, the key configured.
  ...(auth === "client_secret_basic" ? { dpop: { privateKey: dpopJwk } } : {})
})

const layerFor = (origin: string, auth: Auth) =>
  Layer.mergeAll(StateStore.memory, TransactionStore.memory, RequestCookies.memory).pipe(
    Layer.provideMerge(Auth0.layer(options(origin, auth))),
    Layer.orDie
  )

const now = () => Math.floor(Date.now() / 1000)

const session = (origin: string): SessionData => ({
  user: { sub: "auth0|victim" },
  idToken: ID_TOKEN,
  refreshToken: REFRESH_TOKEN,
  tokenSets: [{
    audience: `${origin}/me/`,
    accessToken: ACCESS_TOKEN,
    scope: "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts",
    expiresAt: now() + 3600
  }],
  connectionTokenSets: [],
  internal: { createdAt: now() }
})

const loggedIn = (origin: string) => Effect.flatMap(StateStore, (store) => store.set(session(origin)))

/** Every flow that talks to the tenant, each from a fresh app instance with a logged-in user. */
const flows = (origin: string): ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, FlowServices>]> => [
  ["startInteractiveLogin with PAR", Login.startInteractiveLogin({ pushedAuthorizationRequests: true })],
  ["completeInteractiveLogin (code exchange)", Effect.gen(function*() {
    yield* (yield* TransactionStore).set({
      kind: "login",
      state: "state-login",
      codeVerifier: CODE_VERIFIER,
      nonce: "nonce-1",
      redirectUri: REDIRECT_URI,
      scope: "openid",
      createdAt: now()
    })
    return yield* Login.completeInteractiveLogin(`${REDIRECT_URI}?code=${CODE}&state=state-login`)
  })],
  ["completeLinkUser (code exchange)", Effect.gen(function*() {
    yield* loggedIn(origin)
    yield* (yield* TransactionStore).set({
      kind: "link",
      action: "link",
      state: "state-link",
      codeVerifier: CODE_VERIFIER,
      nonce: "nonce-link",
      redirectUri: REDIRECT_URI,
      connection: "google-oauth2",
      sub: "auth0|victim",
      createdAt: now()
    })
    return yield* AccountLinking.completeLinkUser(`${REDIRECT_URI}?code=${CODE}&state=state-link`)
  })],
  ["getAccessToken (refresh)", Effect.zipRight(loggedIn(origin), AccessToken.getAccessToken({ audience: "https://api.example.com" }))],
  ["getAccessTokenForConnection (Token Vault)", Effect.zipRight(loggedIn(origin), TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" }))],
  ["startConnectAccount", Effect.zipRight(loggedIn(origin), ConnectedAccounts.startConnectAccount({ connection: "github" }))],
  ["completeConnectAccount", Effect.gen(function*() {
    yield* loggedIn(origin)
    yield* (yield* TransactionStore).set({
      kind: "connect",
      state: "state-connect",
      codeVerifier: CONNECT_VERIFIER,
      authSession: AUTH_SESSION,
      redirectUri: REDIRECT_URI,
      connection: "github",
      createdAt: now()
    })
    return yield* ConnectedAccounts.completeConnectAccount(`${REDIRECT_URI}?connect_code=${CONNECT_CODE}&state=state-connect`)
  })],
  ["listConnectedAccounts", Effect.zipRight(loggedIn(origin), ConnectedAccounts.listConnectedAccounts())],
  ["listConnectedAccountConnections", Effect.zipRight(loggedIn(origin), ConnectedAccounts.listConnectedAccountConnections())],
  ["deleteConnectedAccount", Effect.zipRight(loggedIn(origin), ConnectedAccounts.deleteConnectedAccount({ connectedAccountId: "cac_1" }))],
  ["handleBackchannelLogout", Effect.suspend(() => BackchannelLogout.handleBackchannelLogout(logoutToken))],
  ["Mfa.listAuthenticators", Mfa.listAuthenticators({ mfaToken: MFA_TOKEN })],
  ["Mfa.enrollAuthenticator", Mfa.enrollAuthenticator({ mfaToken: MFA_TOKEN, authenticatorTypes: ["oob"], oobChannels: ["sms"], phoneNumber: "+14155550123" })],
  ["Mfa.challengeAuthenticator", Mfa.challengeAuthenticator({ mfaToken: MFA_TOKEN, challengeType: "oob", authenticatorId: "sms|dev_1" })],
  ["Mfa.verify (otp)", Effect.zipRight(loggedIn(origin), Mfa.verify({ mfaToken: MFA_TOKEN, factorType: "otp", otp: OTP }))],
  ["Mfa.verify (oob)", Mfa.verify({ mfaToken: MFA_TOKEN, factorType: "oob", oobCode: OOB_CODE, bindingCode: BINDING_CODE })],
  ["Mfa.verify (recovery code)", Mfa.verify({ mfaToken: MFA_TOKEN, factorType: "recovery-code", recoveryCode: RECOVERY_CODE })],
  ["revokeRefreshToken", Effect.zipRight(loggedIn(origin), Revocation.revokeRefreshToken())],
  ["startPasswordless (code)", Passwordless.startPasswordless({ connection: "email", email: "victim@example.com" })],
  ["startPasswordless (link)", Passwordless.startPasswordless({ connection: "email", email: "victim@example.com", send: "link" })],
  ["completePasswordless", Passwordless.completePasswordless({ connection: "sms", phoneNumber: "+14155550100", verificationCode: OTP })],
  ["signUp", DatabaseConnections.signUp({ email: "victim@example.com", password: PASSWORD })],
  ["changePassword", DatabaseConnections.changePassword({ email: "victim@example.com" })],
  ["requestSessionTransferToken", Effect.zipRight(
    loggedIn(origin),
    SessionTransfer.requestSessionTransferToken({ subjectToken: SUBJECT_TOKEN, subjectTokenType: "urn:acme:customer" })
  )],
  ["initiateBackchannelAuthentication", Ciba.initiateBackchannelAuthentication({ loginHint: { sub: "auth0|victim" }, bindingMessage: "Pay invoice 42" })],
  ["backchannelAuthenticationGrant", Ciba.backchannelAuthenticationGrant({ authReqId: AUTH_REQ_ID, interval: 1 })],
  ["customTokenExchange", TokenExchange.customTokenExchange({
    subjectToken: SUBJECT_TOKEN,
    subjectTokenType: "urn:acme:legacy-token",
    actorToken: ACTOR_TOKEN,
    actorTokenType: "urn:acme:agent"
  })]
]

/** Flows whose success is any 2xx, whatever its body: they succeed against a tenant that echoes in a 200. */
const SUCCEED_ON_ANY_200 = new Set([
  "deleteConnectedAccount",
  "revokeRefreshToken",
  "startPasswordless (code)",
  "startPasswordless (link)",
  "changePassword"
])

/** Every way an error can be printed or shipped to a log, for the error and each `cause` below it. */
const renderings = (cause: Cause.Cause<unknown>): Array<string> => {
  const out = [Cause.pretty(cause), util.inspect(cause, { depth: 20, showHidden: true })]
  let current: unknown = Cause.squash(cause)
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    out.push(util.inspect(current, { depth: 20, showHidden: true }))
    try {
      out.push(JSON.stringify(current) ?? "")
    } catch {
      out.push("(not serialisable)")
    }
    out.push(String(current))
    if (current instanceof Error) out.push(current.message, current.stack ?? "")
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return out
}

/** The secrets we know, and every credential the tenant saw on the wire. */
const secrets = (tenant: HostileTenant | undefined): Array<string> => {
  const known = [
    CLIENT_SECRET,
    basicAuthorization(CLIENT_ID, CLIENT_SECRET).slice("Basic ".length),
    COOKIE_SECRET,
    REFRESH_TOKEN,
    ACCESS_TOKEN,
    CODE,
    CODE_VERIFIER,
    CONNECT_VERIFIER,
    CONNECT_CODE,
    AUTH_SESSION,
    ID_TOKEN,
    PASSWORD,
    OTP,
    SUBJECT_TOKEN,
    ACTOR_TOKEN,
    AUTH_REQ_ID,
    logoutToken,
    MFA_TOKEN,
    OTP,
    OOB_CODE,
    BINDING_CODE,
    RECOVERY_CODE,
    privateJwkD,
    String(dpopJwk.d ?? "dpop-key-not-generated"),
    ...privatePem.split("\n").filter((line) => line.length >= 40)
  ]
  for (const request of tenant?.seen ?? []) {
    const authorization = request.headers["authorization"]
    if (authorization) known.push(authorization.split(" ")[1] ?? authorization)
    const proof = request.headers["dpop"]
    if (typeof proof === "string") known.push(proof, ...proof.split("."))
    const type = String(request.headers["content-type"] ?? "")
    if (type.startsWith("application/x-www-form-urlencoded")) {
      for (const [key, value] of new URLSearchParams(request.body)) if (SENSITIVE.has(key)) known.push(value)
    } else if (type.startsWith("application/json") && request.body) {
      for (const [key, value] of Object.entries(JSON.parse(request.body) as Record<string, unknown>)) {
        if (SENSITIVE.has(key) && typeof value === "string") known.push(value)
      }
    }
  }
  return [...new Set(known.filter((s) => s.length >= 8))]
}

const runAll = (origin: string, auth: Auth, tenant: HostileTenant | undefined) =>
  Effect.gen(function*() {
    const failures: Array<{ readonly flow: string; readonly cause: Cause.Cause<unknown> }> = []
    for (const [flow, effect] of flows(origin)) {
      const exit = yield* Effect.exit(Effect.provide(effect, layerFor(origin, auth)))
      if (Exit.isFailure(exit)) failures.push({ flow, cause: exit.cause })
    }
    const known = secrets(tenant)
    const leaks: Array<string> = []
    for (const { flow, cause } of failures) {
      expect(Cause.isDie(cause), `${flow} died: ${Cause.pretty(cause)}`).toBe(false)
      expect(Cause.squash(cause), flow).toBeInstanceOf(Auth0Error)
      for (const text of renderings(cause)) {
        for (const secret of known) if (text.includes(secret)) leaks.push(`${flow}: ${secret.slice(0, 12)}... in ${text.slice(0, 300)}`)
      }
    }
    return { failures, leaks, known }
  })

const AUTHS: ReadonlyArray<Auth> = ["client_secret_post", "client_secret_basic", "private_key_jwt"]
const MODES: ReadonlyArray<Mode> = ["echo-json-500", "echo-text-500", "echo-html-200", "echo-json-200", "redirect-307", "huge", "hang"]

describe("no secret in any error (CWE-532)", () => {
  let tenant: HostileTenant
  beforeAll(async () => {
    tenant = await startHostileTenant()
  })
  afterAll(() => tenant.close())

  for (const auth of AUTHS) {
    it.live(`tenant down (closed port), ${auth}: every flow fails with a TransportError naming the request, and no secret`, () =>
      Effect.gen(function*() {
        const origin = yield* Effect.promise(closedOrigin)
        const { failures, leaks } = yield* runAll(origin, auth, undefined)
        expect(failures.map((f) => f.flow)).toHaveLength(flows(origin).length)
        expect(leaks).toEqual([])
        const error = Cause.squash(failures[0]!.cause)
        expect(error).toMatchObject({
          _tag: "TransportError",
          method: "GET",
          url: `${origin}/.well-known/openid-configuration`,
          reason: "unreachable",
          code: "ECONNREFUSED"
        })
      }), 30_000)

    for (const mode of MODES) {
      it.live(`tenant ${mode}, ${auth}: no secret in any error or cause`, () =>
        Effect.gen(function*() {
          tenant.seen.length = 0
          tenant.mode = mode
          const { failures, leaks, known } = yield* runAll(tenant.origin, auth, tenant)
          // A 200 is a successful delete whatever its body; every other flow fails.
          const expected = flows(tenant.origin).map(([name]) => name)
            .filter((name) => !(mode.endsWith("-200") && SUCCEED_ON_ANY_200.has(name)))
          expect(failures.map((f) => f.flow)).toEqual(expected)
          expect(leaks).toEqual([])
          // The attack reached the tenant: the credentials went out, and came back in the answers.
          const credential = auth === "private_key_jwt" ? "client_assertion" : auth === "client_secret_post" ? "client_secret" : undefined
          const sent = tenant.seen.filter((r) => r.path === "/oauth/token")
          expect(sent.length).toBeGreaterThan(0)
          if (credential) expect(sent.some((r) => new URLSearchParams(r.body).has(credential))).toBe(true)
          else expect(sent.every((r) => String(r.headers["authorization"]).startsWith("Basic "))).toBe(true)
          // With DPoP on (basic), every token request carried a proof, and it is among the secrets checked.
          if (auth === "client_secret_basic") expect(sent.every((r) => typeof r.headers["dpop"] === "string")).toBe(true)
          expect(known.length).toBeGreaterThan(12)
          if (mode === "redirect-307") expect(tenant.count("/trap")).toBe(0)
        }).pipe(Effect.ensuring(Effect.sync(() => {
          tenant.mode = "ok"
        }))), 60_000)
    }
  }
})
