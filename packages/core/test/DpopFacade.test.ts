/**
 * The DPoP facade methods against the emulator with DPoP required: construction refuses a bad
 * key synchronously, a proof verifies, and `fetchWithAccessToken` reaches a DPoP-only API.
 */
import { startEmulator, type Emulator } from "@auth0-effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { EmbeddedJWK, jwtVerify } from "jose"
import * as Dpop from "../src/Dpop.js"
import { ConfigurationError, InvalidArgumentError } from "../src/Errors.js"
import { BaseServerClient, type ServerClientOptions } from "../src/ServerClient.js"
import { webServerClientAdapter, type WebStoreOptions } from "../src/WebCookies.js"

const APP = "http://127.0.0.1:3998"

class WebClient extends BaseServerClient<WebStoreOptions> {
  constructor(options: ServerClientOptions) {
    super(options, webServerClientAdapter)
  }
}

const key = await Effect.runPromise(Dpop.generateKey("EdDSA"))
let emulator: Emulator
let auth0: WebClient

beforeAll(async () => {
  emulator = await startEmulator({
    clients: [{
      clientId: "web-app",
      clientSecret: "web-app-secret",
      redirectUris: [`${APP}/callback`],
      refreshTokenPolicies: [{ audience: "{origin}/me/", scopes: ["read:me:connected_accounts"] }]
    }],
    dpop: { required: true, requireNonce: true, requiredByApis: true }
  })
  await emulator.createUser({ email: "dot@example.com" })
  auth0 = new WebClient({ ...emulator.sdkOptions({ clientId: "web-app" }), dpop: { privateKey: key.privateJwk, alg: "EdDSA" } })
})

afterAll(async () => {
  await auth0?.dispose()
  await emulator?.stop()
})

describe("DPoP facade", () => {
  it("a key of the wrong kind throws a ConfigurationError naming dpop.privateKey at construction", () => {
    const thrown = (dpop: unknown) => {
      try {
        new WebClient({ ...emulator.sdkOptions({ clientId: "web-app" }), dpop } as ServerClientOptions)
      } catch (error) {
        return error
      }
      return undefined
    }
    // An Ed25519 key with the default alg (ES256), and a string that is no PEM.
    for (const dpop of [{ privateKey: key.privateJwk }, { privateKey: "not a key" }]) {
      const error = thrown(dpop)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).field).toBe("dpop.privateKey")
    }
  })

  it("generateDpopProof: an EdDSA proof for the URL; a bad URL rejects with InvalidArgumentError", async () => {
    const proof = await auth0.generateDpopProof({ method: "GET", url: "https://api.example.com/items?page=2" })
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: "dpop+jwt" })
    expect(protectedHeader.alg).toBe("EdDSA")
    expect(payload).toMatchObject({ htm: "GET", htu: "https://api.example.com/items" })
    await expect(auth0.generateDpopProof({ method: "GET", url: "nope" })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it("login, then fetchWithAccessToken reaches a DPoP-only API with the session's bound token", async () => {
    const cookies = new Map<string, string>()
    const call = async <A>(f: (o: WebStoreOptions) => Promise<A>, path = "/"): Promise<A> => {
      const options = {
        request: new Request(new URL(path, APP), { headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } }),
        headers: new Headers()
      }
      try {
        return await f(options)
      } finally {
        for (const line of options.headers.getSetCookie()) {
          const [pair = ""] = line.split(";")
          const eq = pair.indexOf("=")
          if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
          else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
        }
      }
    }
    const url = await call((o) => auth0.startInteractiveLogin({}, o))
    expect(url.searchParams.get("dpop_jkt")).toBe(key.thumbprint)
    const callback = await emulator.login(url.href, { user: "dot@example.com" })
    await call((o) => auth0.completeInteractiveLogin(callback, o), callback)
    const response = await call((o) =>
      auth0.fetchWithAccessToken({
        url: `${emulator.origin}/me/v1/connected-accounts/connections`,
        audience: emulator.myAccountAudience,
        scope: "read:me:connected_accounts"
      }, o))
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body).connections.length).toBeGreaterThan(0)
    const token = await call((o) => auth0.getAccessToken({ audience: emulator.myAccountAudience, scope: "read:me:connected_accounts" }, o))
    expect(token.tokenType).toBe("DPoP")
  })
})
