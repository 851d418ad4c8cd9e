/**
 * Examples for docs/testing.md. Type-checked by tsconfig.test.json and run by test/examples.test.ts.
 * In your project, import from "@auth0-effect/testing" instead of "../src/index.js".
 */
import { createHash, randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import { EmulatorService, startEmulator, type Emulator } from "../src/index.js"

const REDIRECT_URI = "http://127.0.0.1:3000/auth/callback"

// --- Start (Promise) ----------------------------------------------------------------------------
export const startForTests = async (): Promise<Emulator> => {
  const emulator = await startEmulator({
    clients: [
      {
        clientId: "my-app",
        clientSecret: "my-app-secret",
        redirectUris: ["http://127.0.0.1:3000/auth/callback"],
        postLogoutRedirectUris: ["http://127.0.0.1:3000/"],
        // MRRT: this refresh token may also get tokens for the billing API and the My Account API.
        refreshTokenPolicies: [
          { audience: "https://billing.example.com/", scopes: ["read:billing"] },
          { audience: "{origin}/me/", scopes: ["create:me:connected_accounts", "read:me:connected_accounts", "delete:me:connected_accounts"] }
        ]
      }
    ],
    apis: [
      { audience: "https://api.example.com", scopes: ["read:data", "write:data"] },
      { audience: "https://billing.example.com/", scopes: ["read:billing", "write:billing"] }
    ]
  })
  return emulator
}

// --- Start (Effect Layer) -----------------------------------------------------------------------
export const discoveryIssuer: Effect.Effect<string, unknown> = Effect.gen(function* () {
  const emulator = yield* EmulatorService
  const doc = yield* Effect.promise(() =>
    fetch(`${emulator.origin}/.well-known/openid-configuration`).then((r) => r.json() as Promise<{ issuer: string }>)
  )
  return doc.issuer
}).pipe(Effect.provide(EmulatorService.layer())) // stopped when the layer's scope closes

// --- Users and login ----------------------------------------------------------------------------
const pkce = () => {
  const verifier = randomBytes(32).toString("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") }
}

/** Logs a user in without a browser and exchanges the code, as your SDK would. */
export const logIn = async (emulator: Emulator) => {
  const { sub } = await emulator.createUser({ email: "ada@example.com", name: "Ada Lovelace" })
  const { verifier, challenge } = pkce()
  const authorize = new URL("/authorize", emulator.origin)
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: "my-app",
    redirect_uri: REDIRECT_URI,
    scope: "openid profile email offline_access read:data",
    audience: "https://api.example.com",
    state: "xyz",
    nonce: "n-0S6_WzA2Mj",
    code_challenge: challenge,
    code_challenge_method: "S256"
  }).toString()
  // Resolves with the callback URL: http://127.0.0.1:3000/auth/callback?code=...&state=xyz&iss=...
  const callback = new URL(await emulator.login(authorize.href, { user: "ada@example.com" }))
  const code = callback.searchParams.get("code") // exchange it at /oauth/token with your code_verifier
  const tokens = await fetch(`${emulator.origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: code ?? "",
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      client_id: "my-app",
      client_secret: "my-app-secret"
    })
  }).then((r) => r.json() as Promise<{ access_token: string; id_token: string; refresh_token: string; scope: string }>)
  return { sub, tokens }
}

/** MRRT: the login refresh token buys a token for another API; scopes outside the policy are dropped. */
export const billingToken = async (emulator: Emulator, refresh_token: string) => {
  const billing = await fetch(`${emulator.origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token,
      client_id: "my-app",
      client_secret: "my-app-secret",
      audience: "https://billing.example.com/",
      scope: "read:billing write:billing" // => scope "read:billing": write:billing is not in the policy
    })
  })
  return billing.json() as Promise<{ access_token: string; scope: string }>
}

// --- Connected Accounts and Token Vault ---------------------------------------------------------
export const connectGoogleAndCallCalendar = async (emulator: Emulator, refreshToken: string) => {
  // A form POST of `params` with the client's credentials.
  const form = (params: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: "my-app", client_secret: "my-app-secret", ...params })
  })
  const myAccount = await fetch(
    `${emulator.origin}/oauth/token`,
    form({ grant_type: "refresh_token", refresh_token: refreshToken, audience: emulator.myAccountAudience })
  ).then((r) => r.json() as Promise<{ access_token: string }>)
  const me = (path: string, body: unknown) =>
    fetch(`${emulator.origin}/me/v1/connected-accounts${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${myAccount.access_token}`, "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then((r) => r.json() as Promise<Record<string, unknown>>)

  const { verifier, challenge } = pkce()
  const started = (await me("/connect", {
    connection: "google-oauth2",
    redirect_uri: "http://127.0.0.1:3000/connect/callback",
    state: "connect-state",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scopes: ["openid", "https://www.googleapis.com/auth/calendar.readonly"]
  })) as { auth_session: string; connect_uri: string; connect_params: { ticket: string } }
  // The fake Google consent page; `{ deny: true }` comes back with error=access_denied instead.
  const callback = new URL(await emulator.connect(`${started.connect_uri}?ticket=${started.connect_params.ticket}`))
  const connectCode = callback.searchParams.get("connect_code") // then POST /complete with your code_verifier
  await me("/complete", {
    auth_session: started.auth_session,
    connect_code: connectCode,
    redirect_uri: "http://127.0.0.1:3000/connect/callback",
    code_verifier: verifier
  })
  // Token Vault: the refresh token buys Google's access token ...
  const vault = await fetch(
    `${emulator.origin}/oauth/token`,
    form({
      grant_type: "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
      subject_token: refreshToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
      requested_token_type: "http://auth0.com/oauth/token-type/federated-connection-access-token",
      connection: "google-oauth2"
    })
  ).then((r) => r.json() as Promise<{ access_token: string }>)
  // ... which the fake Google Calendar API accepts.
  const events = await fetch(emulator.thirdPartyApiUrl("google-oauth2", "calendar/events"), {
    headers: { authorization: `Bearer ${vault.access_token}` }
  })
  return events.status // 200
}

// --- Back-channel logout ------------------------------------------------------------------------
export const backchannelLogout = async () => {
  const received: Array<string> = []
  const app = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString()))
    req.on("end", () => {
      received.push(new URLSearchParams(body).get("logout_token") ?? "")
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve))
  const port = (app.address() as AddressInfo).port
  const emulator = await startEmulator({
    clients: [{ clientId: "my-app", clientSecret: "s", redirectUris: [REDIRECT_URI], backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` }]
  })
  try {
    const status = await emulator.sendBackchannelLogout({ sub: "auth0|123", sid: "session-1" })
    // For negative tests: a token your app must reject (expired, wrong aud, with nonce, ...).
    const expired = await emulator.makeLogoutToken({ sid: "session-1", expiresIn: -60 })
    return { status, received: received.length, expired }
  } finally {
    await emulator.stop()
    await new Promise<void>((resolve) => app.close(() => resolve()))
  }
}

// --- Faults and counters ------------------------------------------------------------------------
export const faultsAndCounters = async (emulator: Emulator) => {
  emulator.resetCounts()
  emulator.fault("/oauth/token", { times: 2, status: 503 }) // the next two token requests fail
  emulator.fault("/me/v1/connected-accounts/accounts", { delayMs: 2_000 }) // slow, then served
  emulator.fault("/.well-known/jwks.json", { status: 200, body: "{not json", contentType: "application/json" })
  // ... exercise your SDK ...
  const tokenCalls = emulator.requestCount("/oauth/token") // every token request
  const refreshCalls = emulator.requestCount("/oauth/token", "refresh_token") // per grant_type
  emulator.resetCounts()
  return { tokenCalls, refreshCalls }
}

// --- Crafted tokens -----------------------------------------------------------------------------
/** The next code exchange answers an ID token that expired 10 seconds ago, signed with the tenant key. */
export const expiredIdToken = async (emulator: Emulator, nonce: string) => {
  const iat = Math.floor(Date.now() / 1000)
  const idToken = await emulator.signToken({ iss: emulator.issuer, aud: "app", sub: "auth0|x", nonce, iat, exp: iat - 10 })
  emulator.fault("/oauth/token", { status: 200, contentType: "application/json", body: JSON.stringify({ access_token: "at", id_token: idToken }) })
  return idToken
}
