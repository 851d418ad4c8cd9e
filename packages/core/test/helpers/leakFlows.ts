/**
 * Every flow with known secrets, against any tenant origin: the setup SecretLeaks.test.ts attacks
 * (errors) and the OpenTelemetry secret scan reuses (spans, metrics, logs).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as jose from "jose"
import * as AccessToken from "../../src/AccessToken.js"
import * as AccountLinking from "../../src/AccountLinking.js"
import * as Auth0 from "../../src/Auth0.js"
import * as BackchannelLogout from "../../src/BackchannelLogout.js"
import * as Ciba from "../../src/Ciba.js"
import * as ConnectedAccounts from "../../src/ConnectedAccounts.js"
import * as DatabaseConnections from "../../src/DatabaseConnections.js"
import * as Login from "../../src/Login.js"
import * as Mfa from "../../src/Mfa.js"
import * as Passwordless from "../../src/Passwordless.js"
import * as Revocation from "../../src/Revocation.js"
import * as SessionTransfer from "../../src/SessionTransfer.js"
import { RequestCookies } from "../../src/RequestCookies.js"
import type { SessionData } from "../../src/Session.js"
import { StateStore } from "../../src/StateStore.js"
import * as TokenExchange from "../../src/TokenExchange.js"
import * as TokenVault from "../../src/TokenVault.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { basicAuthorization } from "../../src/TokenEndpoint.js"
import type { FlowServices } from "./fakeTenant.js"
import type { HostileTenant } from "./hostileTenant.js"

export const CLIENT_ID = "leak-test-client"
export const CLIENT_SECRET = "cs-SECRET-client-7d1f0c2a9b8e4f61"
export const COOKIE_SECRET = "cookie-SECRET-0123456789abcdefghijklmnopqrstuv"
export const REFRESH_TOKEN = "rt-SECRET-refresh-5e2b7a9c0d13"
export const ACCESS_TOKEN = "at-SECRET-myaccount-9f8e7d6c5b4a"
export const CODE = "code-SECRET-authorization-4c3b2a1"
export const CODE_VERIFIER = "verifier-SECRET-login-abcdefghijklmnopqrstuvwxyz0123456789"
export const CONNECT_VERIFIER = "verifier-SECRET-connect-abcdefghijklmnopqrstuvwxyz012345678"
export const CONNECT_CODE = "connect-code-SECRET-6a5b4c"
export const AUTH_SESSION = "auth-session-SECRET-3d2e1f"
export const ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.id-token-SECRET.sig"
export const PASSWORD = "pw-SECRET-password-8c7d6e5f"
export const OTP = "otp-SECRET-2f3e4d"
export const SUBJECT_TOKEN = "subject-SECRET-customer-proof-1b2c"
export const ACTOR_TOKEN = "actor-SECRET-agent-proof-7e6d"
export const AUTH_REQ_ID = "auth-req-SECRET-5a4b3c"
export const REDIRECT_URI = "http://127.0.0.1:3000/callback"
export const MFA_TOKEN = "mfa-token-SECRET-8b7a6c5d4e3f"
export const OOB_CODE = "oob-code-SECRET-1f2e3d4c"
export const BINDING_CODE = "binding-SECRET-730519"
export const RECOVERY_CODE = "recovery-SECRET-QWERTY234567"
export const SENSITIVE = new Set([
  "client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "subject_token", "connect_code", "auth_session",
  "mfa_token", "otp", "oob_code", "binding_code", "recovery_code", "password", "token", "actor_token", "auth_req_id"
])

export type Auth = "client_secret_post" | "client_secret_basic" | "private_key_jwt"

export let privatePem = ""
export let privateJwkD = ""
export let logoutToken = ""
export let dpopJwk: jose.JWK = {}

/** Makes the keys the flows sign with (a private_key_jwt key, a DPoP key) and a logout token. */
export const prepareKeys = async () => {
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
}

export const options = (origin: string, auth: Auth) => ({
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

export const layerFor = (origin: string, auth: Auth) =>
  Layer.mergeAll(StateStore.memory, TransactionStore.memory, RequestCookies.memory).pipe(
    Layer.provideMerge(Auth0.layer(options(origin, auth))),
    Layer.orDie
  )

export const now = () => Math.floor(Date.now() / 1000)

export const session = (origin: string): SessionData => ({
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

export const loggedIn = (origin: string) => Effect.flatMap(StateStore, (store) => store.set(session(origin)))

/** Every flow that talks to the tenant, each from a fresh app instance with a logged-in user. */
export const flows = (origin: string): ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, FlowServices>]> => [
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

/** The secrets we know, and every credential the tenant saw on the wire. */
export const secrets = (tenant: HostileTenant | undefined): Array<string> => {
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
