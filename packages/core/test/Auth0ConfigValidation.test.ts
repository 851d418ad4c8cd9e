/**
 * Configuration validation as an attacker and a newcomer meet it: secrets never echoed
 * (CWE-532), cookie attributes that could inject or break prefixes, every problem at once,
 * typos with a suggestion, lifetimes, and a signing key checked where it is configured.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { exportJWK, exportPKCS8, generateKeyPair } from "jose"
import { inspect } from "node:util"
import * as Auth0 from "../src/Auth0.js"
import { Auth0Config, type Auth0Input, resolve, resolveAndImport } from "../src/Auth0Config.js"
import { editDistance, nearestOption } from "../src/Auth0ConfigRules.js"
import { ConfigurationError } from "../src/Errors.js"

const valid = {
  domain: "tenant.auth0.com",
  clientId: "client",
  clientSecret: "client-secret-value",
  secret: "s".repeat(32)
}

/** Everything a log line could show of an error: inspect (with cause) and JSON (with cause). */
const serialised = (error: ConfigurationError) =>
  [
    inspect(error, { depth: 10 }),
    JSON.stringify(error),
    JSON.stringify({ message: error.message, cause: error.cause, issues: error.issues }),
    inspect(error.cause, { depth: 10 }),
    error.message
  ].join("\n")

const KNOWN_OPTIONS = ["domain", "clientId", "clientSecret", "secret", "redirectUri", "cookie", "session", "authorizationParams"]

describe("ConfigurationError never carries a secret (CWE-532)", () => {
  const LONG = "rotation-secret-LONG-0123456789-abcdefgh"
  const SHORT = "short-secret-XYZ"
  const CLIENT = "client-secret-KNOWN-77"
  const KEY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-KNOWN-PEM-BODY"
  const D = "private-d-member-KNOWN-abc"
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, ReadonlyArray<string>]> = [
    ["one short secret among several", { secret: [LONG, SHORT] }, [LONG, SHORT]],
    ["a short secret alone", { secret: SHORT }, [SHORT]],
    ["a secret of the wrong type", { secret: { value: LONG } }, [LONG]],
    ["a clientSecret of the wrong type (array)", { clientSecret: [CLIENT] }, [CLIENT, valid.secret]],
    ["a clientSecret of the wrong type (object)", { clientSecret: { secret: CLIENT } }, [CLIENT]],
    ["an empty clientSecret next to a short secret", { clientSecret: "", secret: SHORT }, [SHORT]],
    ["a PEM that is not PKCS#8", { clientAssertionSigningKey: `-----BEGIN PRIVATE KEY-----\n${KEY}\n-----END PRIVATE KEY-----\n` }, [KEY]],
    ["a key that is no PEM at all", { clientAssertionSigningKey: KEY }, [KEY]],
    ["a JWK of the wrong type", { clientAssertionSigningKey: { kty: "EC", crv: "P-256", d: D, x: "x", y: "y" } }, [D]],
    ["a key of the wrong type", { clientAssertionSigningKey: [KEY] }, [KEY]],
    ["a wrong option beside a secret", { domain: 42, secret: [LONG, SHORT] }, [LONG, SHORT]],
    ["a secret under a typo", { clientSecert: CLIENT }, [CLIENT]]
  ]
  for (const [name, override, secrets] of cases) {
    it.effect(`${name}: the field is named, no value is printed`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolve({ ...valid, ...override }))
        expect(error).toBeInstanceOf(ConfigurationError)
        const text = serialised(error)
        for (const secret of secrets) expect(text).not.toContain(secret)
        expect(error.issues.length).toBeGreaterThan(0)
      }))
  }
})

describe("cookie options that would inject attributes or break a prefix are refused", () => {
  const refused: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["a path with ;", { path: "/; Domain=evil.example" }, "cookie.path"],
    ["a path with CR LF", { path: "/\r\nSet-Cookie: x=y" }, "cookie.path"],
    ["a path with a space", { path: "/a b" }, "cookie.path"],
    ["a path with a NUL", { path: "/a\u0000" }, "cookie.path"],
    ["a relative path", { path: "app" }, "cookie.path"],
    ["a domain with ;", { domain: "example.com; SameSite=None" }, "cookie.domain"],
    ["a domain with LF", { domain: "example.com\nx" }, "cookie.domain"],
    ["a domain with a tab", { domain: "exa\tmple.com" }, "cookie.domain"],
    ["__Host- with a Domain", { name: "__Host-a0", domain: "example.com" }, "cookie.name"],
    ["__Host- with a Path other than /", { name: "__Host-a0", path: "/app" }, "cookie.name"],
    ["__Host- without Secure", { name: "__Host-a0", secure: false }, "cookie.name"],
    ["__host- (any case) without Secure", { name: "__host-a0", secure: false }, "cookie.name"],
    ["__Secure- without Secure", { name: "__Secure-a0", secure: false }, "cookie.name"]
  ]
  for (const [name, cookie, field] of refused) {
    it.effect(`refuses ${JSON.stringify(name)}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolve({ ...valid, cookie }))
        expect(error.field).toBe(field)
        expect(error.message).toContain(field)
      }))
  }

  it.effect("accepts the prefixes used as RFC 6265bis allows", () =>
    Effect.gen(function*() {
      yield* resolve({ ...valid, cookie: { name: "__Host-a0" } })
      yield* resolve({ ...valid, cookie: { name: "__Secure-a0", domain: "example.com", path: "/app" } })
      yield* resolve({ ...valid, cookie: { name: "a0", secure: false, path: "/app", domain: "localhost" } })
    }))

  it.prop(
    "no path containing ; or a control character is accepted",
    [FastCheck.string(), FastCheck.constantFrom(";", "\r", "\n", "\u0000", "\u007f", " ", "\t"), FastCheck.string()],
    ([before, bad, after]) => {
      const exit = Effect.runSyncExit(resolve({ ...valid, cookie: { path: `/${before}${bad}${after}` } }))
      expect(exit._tag).toBe("Failure")
    }
  )
})

describe("every problem at once", () => {
  it.effect("lists decoding, unknown-option and cross-field problems together; field is the first", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({ ...valid, clientId: "", httpTimeoutMs: -1, baseURL: "https://app" }))
      expect(error.issues.map((issue) => issue.field).sort()).toEqual(["baseURL", "clientId", "httpTimeoutMs"])
      expect(error.field).toBe(error.issues[0]!.field)
      for (const issue of error.issues) expect(error.message).toContain(issue.field)
      expect(error.message).toMatch(/^3 invalid Auth0 options/)
    }))

  it.effect("cross-field problems are reported together", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({
        ...valid,
        domain: "http://tenant.example.com",
        redirectUri: "/callback",
        cookie: { sameSite: "none", secure: false, path: "/;x" },
        session: { inactivityDuration: 7200, absoluteDuration: 3600 },
        authorizationParams: { state: "fixed" }
      }))
      expect(error.issues.map((issue) => issue.field)).toEqual([
        "domain",
        "redirectUri",
        "cookie.sameSite",
        "cookie.path",
        "session.absoluteDuration",
        "authorizationParams.state"
      ])
    }))

  it.effect("refuses absoluteDuration below inactivityDuration, accepts equal", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({ ...valid, session: { inactivityDuration: 100, absoluteDuration: 99 } }))
      expect(error.field).toBe("session.absoluteDuration")
      expect(error.message).toMatch(/inactivityDuration/)
      yield* resolve({ ...valid, session: { inactivityDuration: 100, absoluteDuration: 100 } })
      // The default inactivity (1 day) is above a 1 hour absolute lifetime.
      expect((yield* Effect.flip(resolve({ ...valid, session: { absoluteDuration: 3600 } }))).field).toBe("session.absoluteDuration")
    }))

  it.effect("authorizationParams.redirect_uri says to use redirectUri", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({ ...valid, authorizationParams: { redirect_uri: "https://app.example.com/cb" } }))
      expect(error.field).toBe("authorizationParams.redirect_uri")
      expect(error.message).toMatch(/use redirectUri/)
    }))

  it.effect("a BigInt in authorizationParams is a ConfigurationError, not a TypeError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve({ ...valid, authorizationParams: { custom: { n: 1n } } }))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error.field).toBe("authorizationParams.custom")
    }))
})

describe("unknown options", () => {
  const table: ReadonlyArray<readonly [string, string | undefined]> = [
    ["baseURL", undefined],
    ["clientID", "clientId"],
    ["redirectURI", "redirectUri"],
    ["redirectUrl", "redirectUri"],
    ["client_secret", "clientSecret"],
    ["secrets", "secret"],
    ["cookies", "cookie"],
    ["sesion", "session"],
    ["authorizationParameters", "authorizationParams"],
    ["zzzzzzzzzzzz", undefined]
  ]
  for (const [typo, suggestion] of table) {
    it.effect(`"${typo}" is refused${suggestion ? ` with "did you mean ${suggestion}"` : ""}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(resolve({ ...valid, [typo]: "x" }))
        expect(error.field).toBe(typo)
        expect(error.message).toMatch(/unknown option/)
        if (suggestion) expect(error.message).toContain(`did you mean "${suggestion}"`)
        else expect(error.message).not.toMatch(/did you mean/)
      }))
  }

  it("suggests an option that contains the typo (baseURL for a baseUrl-like option)", () => {
    expect(nearestOption("baseURL", ["domain", "appBaseUrl"])).toBe("appBaseUrl")
  })

  const option = FastCheck.constantFrom(...KNOWN_OPTIONS)
  const letter = FastCheck.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
  /** One edit: insert, delete, substitute, or change case. */
  const typo = FastCheck.tuple(option, FastCheck.nat(), letter, FastCheck.constantFrom("insert", "delete", "substitute", "case")).map(
    ([name, at, char, edit]) => {
      const i = at % name.length
      const typed = edit === "insert"
        ? name.slice(0, i) + char + name.slice(i)
        : edit === "delete"
        ? name.slice(0, i) + name.slice(i + 1)
        : edit === "substitute"
        ? name.slice(0, i) + char + name.slice(i + 1)
        : name.slice(0, i) + (name[i] === name[i]!.toUpperCase() ? name[i]!.toLowerCase() : name[i]!.toUpperCase()) + name.slice(i + 1)
      return { name, typed }
    }
  ).filter(({ typed }) => !KNOWN_OPTIONS.includes(typed))

  it.prop("one edit away from an option, a suggestion at most as far as that option", [typo], ([{ name, typed }]) => {
    const suggestion = nearestOption(typed, KNOWN_OPTIONS)
    expect(suggestion).toBeDefined()
    expect(editDistance(typed, suggestion!)).toBeLessThanOrEqual(editDistance(typed, name))
  })

  it.prop("edit distance is a metric: symmetric, zero only for equal (ignoring case), triangle", [
    FastCheck.string({ maxLength: 12 }),
    FastCheck.string({ maxLength: 12 }),
    FastCheck.string({ maxLength: 12 })
  ], ([a, b, c]) => {
    expect(editDistance(a, b)).toBe(editDistance(b, a))
    expect(editDistance(a, b) === 0).toBe(a.toLowerCase() === b.toLowerCase())
    expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c))
  })

  it.prop("digits-only names are never taken for an option", [FastCheck.stringMatching(/^[0-9]{6,16}$/)], ([name]) => {
    expect(nearestOption(name, KNOWN_OPTIONS)).toBeUndefined()
  })
})

describe("clientAssertionSigningKey is checked at configuration", () => {
  it.effect("a key that is not a private key for the algorithm fails resolve, without a code exchange", () =>
    Effect.gen(function*() {
      const { privateKey, publicKey } = yield* Effect.promise(() => generateKeyPair("ES256", { extractable: true }))
      const pem = yield* Effect.promise(() => exportPKCS8(privateKey))
      const jwk = yield* Effect.promise(() => exportJWK(privateKey))
      const publicJwk = yield* Effect.promise(() => exportJWK(publicKey))
      const ok = (key: unknown, alg = "ES256") => resolve({ ...valid, clientSecret: undefined, clientAssertionSigningKey: key, clientAssertionSigningAlg: alg })
      yield* ok(pem)
      yield* ok(jwk)
      const problems = [
        [pem, "RS256", /EC key/],
        [pem, "ES384", /P-384/],
        [publicJwk, "ES256", /public JWK/],
        [jwk, "RS256", /kty/],
        ["-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "RS256", /PKCS#8/],
        ["not a key", "RS256", /PKCS#8/]
      ] as const
      for (const [key, alg, message] of problems) {
        const error = yield* Effect.flip(ok(key, alg))
        expect(error.field).toBe("clientAssertionSigningKey")
        expect(error.message).toMatch(message)
      }
    }))

  it.effect("a well-formed key that does not import fails the layer's build, once", () =>
    Effect.gen(function*() {
      const { privateKey } = yield* Effect.promise(() => generateKeyPair("ES256", { extractable: true }))
      const jwk = yield* Effect.promise(() => exportJWK(privateKey))
      // Right shape, but d is not a P-256 scalar of the right length: WebCrypto refuses it.
      const broken = { ...jwk, d: "AAAA" }
      const input = { ...valid, clientSecret: undefined, clientAssertionSigningKey: broken, clientAssertionSigningAlg: "ES256" }
      yield* resolve(input)
      const error = yield* Effect.flip(resolveAndImport(input))
      expect(error.field).toBe("clientAssertionSigningKey")
      expect(serialised(error)).not.toContain(jwk.d)
      const fromLayer = yield* Effect.flip(Effect.provide(Auth0Config, Auth0Config.fromInput(input as Auth0Input)))
      expect(fromLayer.field).toBe("clientAssertionSigningKey")
    }))
})

describe("types", () => {
  it("Auth0.layer and Auth0Config.fromInput take the options' encoded type", () => {
    expectTypeOf(Auth0.layer).parameter(0).toEqualTypeOf<Auth0Input>()
    expectTypeOf(Auth0Config.fromInput).parameter(0).toEqualTypeOf<Auth0Input>()
    expectTypeOf<{ domain: string; clientId: string; secret: string }>().toMatchTypeOf<Auth0Input>()
    // @ts-expect-error a number is not a domain
    Auth0Config.fromInput({ ...valid, domain: 1 })
    // @ts-expect-error unknown options do not compile
    Auth0Config.fromInput({ ...valid, baseURL: "https://app.example.com" })
  })
})
