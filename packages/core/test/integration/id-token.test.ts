/**
 * OIDC Core 3.1.3.7 against a real tenant: discovery and JWKS come from the emulator, the code
 * exchange answers with an ID token crafted for each case (signed with the tenant key unless the
 * case says otherwise), and each must fail with its specific reason while the session stays.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Login from "../../src/Login.js"
import * as UserSession from "../../src/UserSession.js"
import { makeCookieBrowser } from "../helpers/cookieBrowser.js"
import { appLayer, emulatorOptions, withEmulator } from "./harness.js"

type Claims = Record<string, unknown>

const cases: ReadonlyArray<{
  readonly name: string
  readonly claims: (base: Claims) => Claims
  readonly foreignKey?: boolean
  readonly unsigned?: boolean
  readonly maxAge?: number
  readonly typ?: string
  readonly reason: string
}> = [
  { name: "signed by a key not in the tenant's JWKS", claims: (c) => c, foreignKey: true, reason: "signature" },
  { name: "unsigned (alg none)", claims: (c) => c, unsigned: true, reason: "algorithm" },
  { name: "from another issuer", claims: (c) => ({ ...c, iss: "https://evil.example.com/" }), reason: "issuer" },
  { name: "for another audience", claims: (c) => ({ ...c, aud: "someone-else" }), reason: "audience" },
  { name: "for several audiences without azp", claims: (c) => ({ ...c, aud: ["app", "api"] }), reason: "azp" },
  { name: "authorized for another party", claims: (c) => ({ ...c, azp: "someone-else" }), reason: "azp" },
  { name: "expired", claims: (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 3600 }), reason: "expired" },
  { name: "issued in the future", claims: (c) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 3600 }), reason: "issued_at" },
  { name: "with another nonce", claims: (c) => ({ ...c, nonce: "not-the-one-we-sent" }), reason: "nonce" },
  { name: "without auth_time although max_age was sent", claims: (c) => c, maxAge: 300, reason: "auth_time" },
  { name: "with an auth_time older than max_age", claims: (c) => ({ ...c, auth_time: Math.floor(Date.now() / 1000) - 3600 }), maxAge: 300, reason: "auth_time" },
  { name: "without sub", claims: ({ sub: _sub, ...c }) => c, reason: "subject" },
  { name: "not valid before an hour from now (nbf)", claims: (c) => ({ ...c, nbf: Math.floor(Date.now() / 1000) + 3600 }), reason: "not_before" },
  { name: "typed as a logout token", claims: (c) => c, typ: "logout+jwt", reason: "typ" },
  { name: "typed as a JWT access token", claims: (c) => c, typ: "at+jwt", reason: "typ" },
  { name: "typed as a DPoP proof", claims: (c) => c, typ: "dpop+jwt", reason: "typ" }
]

describe("ID token validation against the emulator's discovery and JWKS", () => {
  it.scopedLive("each broken ID token fails with its reason; a well-formed crafted one passes", () =>
    Effect.gen(function*() {
      const emulator = yield* withEmulator(emulatorOptions())
      yield* Effect.promise(() => emulator.createUser({ email: "ida@example.com" }))
      yield* Effect.gen(function*() {
        const browser = makeCookieBrowser()
        const attempt = (
          claims: (base: Claims) => Claims,
          options: { foreignKey?: boolean; unsigned?: boolean; maxAge?: number; typ?: string } = {}
        ) =>
          Effect.gen(function*() {
            const url = yield* browser.request(Login.startInteractiveLogin(
              options.maxAge !== undefined ? { authorizationParams: { max_age: options.maxAge } } : {}
            ))
            const callback = yield* Effect.promise(() => emulator.login(url.toString(), { user: "ida@example.com" }))
            const now = Math.floor(Date.now() / 1000)
            const base: Claims = {
              iss: emulator.issuer,
              aud: "app",
              sub: "auth0|crafted",
              nonce: url.searchParams.get("nonce"),
              iat: now,
              exp: now + 600
            }
            const payload = claims(base)
            const idToken = options.unsigned
              ? `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`
              : yield* Effect.promise(() => emulator.signToken(payload, {
                foreignKey: options.foreignKey ?? false,
                ...(options.typ !== undefined ? { typ: options.typ } : {})
              }))
            emulator.fault("/oauth/token", {
              status: 200,
              contentType: "application/json; charset=utf-8",
              body: JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 600, id_token: idToken })
            })
            return yield* browser.request(Login.completeInteractiveLogin(callback))
          })

        for (const c of cases) {
          const error = yield* Effect.flip(attempt(c.claims, c))
          expect(error, c.name).toMatchObject({ _tag: "IdTokenValidationError", reason: c.reason })
          expect(Option.isNone(yield* browser.request(UserSession.getUser)), c.name).toBe(true)
        }
        // The same harness with nothing broken logs in: the failures above are the claims'.
        yield* attempt((c) => c)
        expect(Option.getOrThrow(yield* browser.request(UserSession.getUser)).sub).toBe("auth0|crafted")
        // An explicit typ JWT, and an nbf already passed, log in too.
        yield* attempt((c) => ({ ...c, sub: "auth0|typed", nbf: Math.floor(Date.now() / 1000) - 5 }), { typ: "JWT" })
        expect(Option.getOrThrow(yield* browser.request(UserSession.getUser)).sub).toBe("auth0|typed")
      }).pipe(Effect.provide(appLayer(emulator)))
    }))
})
