/**
 * Session transfer against the emulator: a logged-in agent mints a session transfer token for a
 * customer (the agent's ID token is the actor), the redirect carries it to the target's login,
 * and the target's /authorize logs the customer in without a prompt, once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InvalidArgumentError, MissingSessionError, TokenEndpointError } from "../../src/Errors.js"
import * as Login from "../../src/Login.js"
import * as SessionTransfer from "../../src/SessionTransfer.js"
import { StateStore } from "../../src/StateStore.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { appLayer, emulatorOptions, login, withEmulator } from "./harness.js"

const SUBJECT_TYPE = "urn:auth0-emulator:user"
const TARGET_LOGIN = "http://127.0.0.1:3000/auth/login"
const readSession = Effect.flatMap(StateStore, (store) => store.get)

describe("session transfer tokens", () => {
  it.scopedLive("an agent's STT logs the customer into the target app without a prompt, once", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "agent@example.com" }))
      const { sub: customer } = yield* Effect.promise(() => emulator.createUser({ email: "customer@example.com" }))
      const layer = appLayer(emulator)
      const { browser: agent } = yield* login(emulator, "agent@example.com").pipe(Effect.provide(layer))
      const before = Option.getOrThrow(yield* agent.request(readSession).pipe(Effect.provide(layer)))

      const result = yield* agent.request(SessionTransfer.requestSessionTransferToken({
        subjectToken: "customer@example.com",
        subjectTokenType: SUBJECT_TYPE
      })).pipe(Effect.provide(layer))
      expect(result.issuedTokenType).toBe(SessionTransfer.SESSION_TRANSFER_TOKEN_TYPE)
      expect(result.expiresIn).toBe(60)
      // The agent's session is neither changed nor ended.
      expect(Option.getOrThrow(yield* agent.request(readSession).pipe(Effect.provide(layer)))).toEqual(before)

      const redirect = yield* SessionTransfer.buildSessionTransferRedirect(TARGET_LOGIN, result, { organization: "org_123" })
      expect(redirect.origin + redirect.pathname).toBe(TARGET_LOGIN)
      expect(redirect.searchParams.get("organization")).toBe("org_123")
      const stt = redirect.searchParams.get("session_transfer_token")!
      expect(stt).toBe(result.sessionTransferToken)

      // The target's login route forwards the token to /authorize.
      const target = makeCookieBrowser()
      const authorize = yield* target.request(Login.startInteractiveLogin({ authorizationParams: { session_transfer_token: stt } }))
        .pipe(Effect.provide(layer))
      const callback = yield* Effect.promise(() => emulator.login(authorize.toString(), {}))
      yield* target.request(Login.completeInteractiveLogin(callback)).pipe(Effect.provide(layer))
      const session = Option.getOrThrow(yield* target.request(readSession).pipe(Effect.provide(layer)))
      expect(session.user.sub).toBe(customer)

      const again = yield* target.request(Login.startInteractiveLogin({ authorizationParams: { session_transfer_token: stt } }))
        .pipe(Effect.provide(layer))
      const refused = yield* Effect.flip(
        Effect.tryPromise({ try: () => emulator.login(again.toString(), {}), catch: (e) => (e as Error).message })
      )
      expect(refused).toContain("already used")
    }))

  it.scopedLive("no session and no actor fails before any request; the tenant's refusal is a TokenEndpointError", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "agent@example.com" }))
      const layer = appLayer(emulator)
      const stranger = makeCookieBrowser()
      const missing = yield* Effect.flip(stranger.request(SessionTransfer.requestSessionTransferToken({
        subjectToken: "customer@example.com",
        subjectTokenType: SUBJECT_TYPE
      })).pipe(Effect.provide(layer)))
      expect(missing).toBeInstanceOf(MissingSessionError)
      const reserved = yield* Effect.flip(stranger.request(SessionTransfer.requestSessionTransferToken({
        subjectToken: "x",
        subjectTokenType: SUBJECT_TYPE,
        extra: { audience: "https://elsewhere" }
      })).pipe(Effect.provide(layer)))
      expect((reserved as InvalidArgumentError).argument).toBe("extra.audience")
      expect(emulator.requestCount("/oauth/token")).toBe(0)

      const { browser: agent } = yield* login(emulator, "agent@example.com").pipe(Effect.provide(layer))
      const rejected = yield* Effect.flip(agent.request(SessionTransfer.requestSessionTransferToken({
        subjectToken: "nobody@example.com",
        subjectTokenType: SUBJECT_TYPE
      })).pipe(Effect.provide(layer)))
      expect((rejected as TokenEndpointError).error).toBe("access_denied")
    }))

  it.effect("the redirect refuses plain http to a non-loopback host, credentials in the URL, and an empty token", () =>
    Effect.gen(function*() {
      const result = { sessionTransferToken: "stt_x" }
      for (const target of ["http://app.example.com/login", "https://u:p@app.example.com/login", "not a url"]) {
        const error = yield* Effect.flip(SessionTransfer.buildSessionTransferRedirect(target, result))
        expect(error.argument).toBe("targetLoginUrl")
      }
      const empty = yield* Effect.flip(SessionTransfer.buildSessionTransferRedirect("https://app.example.com/login", { sessionTransferToken: "" }))
      expect(empty.argument).toBe("result.sessionTransferToken")
      const url = yield* SessionTransfer.buildSessionTransferRedirect("https://app.example.com/login?returnTo=%2Fhome", { sessionTransferToken: "a b+c" })
      expect(url.searchParams.get("returnTo")).toBe("/home")
      expect(url.searchParams.get("session_transfer_token")).toBe("a b+c")
    }))
})
