/**
 * Runs the core flows against the local Auth0 emulator (oidc-provider underneath) the way an
 * app would: real HTTP, real cookie stores, a small browser that carries cookies between
 * requests.
 */
import { startEmulator, type Emulator, type EmulatorOptions } from "@auth0-effect/testing"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Auth0 from "../../src/Auth0.js"
import * as Login from "../../src/Login.js"
import { StateStore } from "../../src/StateStore.js"
import { TransactionStore } from "../../src/TransactionStore.js"
import { type CookieBrowser, makeCookieBrowser } from "../helpers/cookieBrowser.js"

export const APP_CALLBACK = "http://127.0.0.1:3000/callback"
export const API = "https://api.example.com"
export const OTHER_API = "https://other.example.com"
export const CLIENT_SECRET = "app-client-secret-0123456789"

export const emulatorOptions = (overrides: Partial<EmulatorOptions> = {}): EmulatorOptions => ({
  apis: [
    { audience: API, scopes: ["read:items", "write:items"] },
    { audience: OTHER_API, scopes: ["read:other", "write:other"] }
  ],
  clients: [{
    clientId: "app",
    clientSecret: CLIENT_SECRET,
    redirectUris: [APP_CALLBACK],
    postLogoutRedirectUris: ["http://127.0.0.1:3000/"],
    refreshTokenPolicies: [
      { audience: API, scopes: ["read:items", "write:items"] },
      { audience: OTHER_API, scopes: ["read:other"] }
    ]
  }],
  ...overrides
})

export const sdkOptions = (emulator: Emulator, overrides: Record<string, unknown> = {}) => ({
  ...emulator.sdkOptions({ clientId: "app", redirectUri: APP_CALLBACK }),
  ...overrides
})

/** The SDK's services with cookie stores, for one app instance. */
export const appLayer = (emulator: Emulator, overrides: Record<string, unknown> = {}) =>
  Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(
    Layer.provideMerge(Auth0.layer(sdkOptions(emulator, overrides))),
    Layer.orDie
  )

export const withEmulator = (options: EmulatorOptions) =>
  Effect.acquireRelease(Effect.promise(() => startEmulator(options)), (e) => Effect.promise(() => e.stop()))

/** Logs `user` in through the emulator; returns the browser holding the session cookies. */
export const login = (
  emulator: Emulator,
  user: string,
  options: Login.StartInteractiveLoginOptions = {},
  browser: CookieBrowser = makeCookieBrowser()
) =>
  Effect.gen(function*() {
    const url = yield* browser.request(Login.startInteractiveLogin(options))
    const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user }))
    const result = yield* browser.request(Login.completeInteractiveLogin(callback))
    return { browser, result }
  })
