/**
 * The SDK's configuration: decoded from untrusted input with a Schema, checked across fields,
 * and resolved once into what the flows need (origin, expected issuer, client authentication).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ConfigurationError } from "./Errors.js"

const Secret = Schema.String.pipe(
  Schema.minLength(32, { message: () => "must be at least 32 characters" })
)

/** Scopes for login and MRRT: one string for the default audience, or a map audience => scopes. */
const ScopeOption = Schema.Union(
  Schema.String,
  Schema.Record({ key: Schema.String, value: Schema.String })
)

const Seconds = Schema.Number.pipe(Schema.positive({ message: () => "must be a positive number of seconds" }))

/** The options apps pass in. */
export class Auth0Options extends Schema.Class<Auth0Options>("Auth0Options")({
  /** `tenant.auth0.com` (https implied) or a full origin such as `https://login.example.com`. */
  domain: Schema.NonEmptyTrimmedString,
  clientId: Schema.NonEmptyTrimmedString,
  clientSecret: Schema.optional(Schema.NonEmptyString),
  /** How the client authenticates at the token endpoint. Default: client_secret_post with a secret, private_key_jwt with a key. */
  clientAuthMethod: Schema.optional(Schema.Literal("client_secret_post", "client_secret_basic", "private_key_jwt")),
  /** Private key for private_key_jwt: a JWK object or a PKCS#8 PEM string. */
  clientAssertionSigningKey: Schema.optional(
    Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  ),
  clientAssertionSigningAlg: Schema.optionalWith(
    Schema.Literal("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"),
    { default: () => "RS256" as const }
  ),
  /** Encrypts cookies. The first secret encrypts; every listed secret decrypts (rotation). */
  secret: Schema.Union(Secret, Schema.NonEmptyArray(Secret)),
  redirectUri: Schema.optional(Schema.String),
  authorizationParams: Schema.optionalWith(
    Schema.Struct(
      {
        audience: Schema.optional(Schema.NonEmptyString),
        scope: Schema.optional(ScopeOption)
      },
      Schema.Record({ key: Schema.String, value: Schema.Unknown })
    ),
    { default: () => ({}) }
  ),
  /** Send authorization requests through PAR (RFC 9126). */
  pushedAuthorizationRequests: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** Allow `http://` for loopback hosts only (local provider, tests). Never in production. */
  allowInsecureHttp: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /**
   * Origins, besides the tenant's, that discovery endpoints, the JWKS and My Account's
   * `connect_uri` may point to (a custom domain next to the canonical one). Each is an https
   * origin such as `https://login.example.com` (http only on loopback with allowInsecureHttp).
   */
  trustedOrigins: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** Per-attempt timeout of every HTTP request. */
  httpTimeoutMs: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 10_000 }),
  /** Leeway for ID token `exp`/`iat` checks. */
  clockToleranceSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { default: () => 60 }),
  /** An access token this close to expiry counts as expired. */
  tokenRefreshLeewaySeconds: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { default: () => 30 }),
  /** Discovery document and JWKS are cached this long. */
  discoveryCacheTtlSeconds: Schema.optionalWith(Seconds, { default: () => 600 }),
  cookie: Schema.optionalWith(
    Schema.Struct({
      /** Cookie name of the session (chunks append `.0`, `.1`, ...). */
      name: Schema.optionalWith(Schema.NonEmptyTrimmedString, { default: () => "__a0_session" }),
      /** Secure is on unless set false (only for http on localhost). */
      secure: Schema.optionalWith(Schema.Boolean, { default: () => true }),
      sameSite: Schema.optionalWith(Schema.Literal("lax", "strict", "none"), { default: () => "lax" as const }),
      domain: Schema.optional(Schema.NonEmptyTrimmedString),
      path: Schema.optionalWith(Schema.String, { default: () => "/" })
    }),
    { default: () => ({ name: "__a0_session", secure: true, sameSite: "lax" as const, path: "/" }) }
  ),
  session: Schema.optionalWith(
    Schema.Struct({
      /** Extend the session on each use (inactivity timeout), up to the absolute lifetime. */
      rolling: Schema.optionalWith(Schema.Boolean, { default: () => true }),
      inactivityDuration: Schema.optionalWith(Seconds, { default: () => 60 * 60 * 24 }),
      absoluteDuration: Schema.optionalWith(Seconds, { default: () => 60 * 60 * 24 * 3 })
    }),
    { default: () => ({ rolling: true, inactivityDuration: 60 * 60 * 24, absoluteDuration: 60 * 60 * 24 * 3 }) }
  )
}) {}

export type ClientAuth =
  | { readonly method: "client_secret_post" | "client_secret_basic"; readonly secret: string }
  | {
    readonly method: "private_key_jwt"
    readonly key: string | Record<string, unknown>
    readonly alg: Auth0Options["clientAssertionSigningAlg"]
  }

/** The configuration the flows read: the options plus what is derived from them once. */
export interface ResolvedConfig {
  readonly options: Auth0Options
  readonly clientId: string
  /** `https://tenant.auth0.com` (no trailing slash). */
  readonly origin: string
  /** The issuer the ID token must carry exactly: `${origin}/`. */
  readonly issuer: string
  readonly secrets: ReadonlyArray<string>
  readonly clientAuth: ClientAuth
  readonly redirectUri: string | undefined
  /** Default audience for login and getAccessToken. */
  readonly audience: string | undefined
  /** Configured scope per audience ("" key: no audience). */
  readonly scopes: ReadonlyMap<string, string>
  /** My Account API base URL and audience. */
  readonly myAccount: { readonly baseUrl: string; readonly audience: string }
  /** Extra authorization parameters passed on every login (not audience/scope). */
  readonly extraAuthorizationParams: Readonly<Record<string, string>>
  /** Origins tenant-supplied URLs may use: the tenant's `origin` first, then `trustedOrigins`. */
  readonly trustedOrigins: ReadonlyArray<string>
}

export const DEFAULT_SCOPE = "openid profile email offline_access"

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/** Whether a host name is a loopback address. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK.has(hostname.toLowerCase())

const fail = (field: string, problem: string) =>
  new ConfigurationError({ field, message: `Invalid Auth0 option "${field}": ${problem}` })

/** `domain` as an origin: https for host names; http only for loopback with allowInsecureHttp. */
export const resolveOrigin = (domain: string, allowInsecureHttp: boolean): Effect.Effect<string, ConfigurationError> =>
  Effect.suspend(() => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(domain) ? domain : `https://${domain}`
    let url: URL
    try {
      url = new URL(withScheme)
    } catch {
      return Effect.fail(fail("domain", `"${domain}" is not a host name or origin`))
    }
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      return Effect.fail(fail("domain", "must be a host name or an origin, without path, query or credentials"))
    }
    if (url.protocol === "https:") return Effect.succeed(url.origin)
    if (url.protocol === "http:") {
      if (!isLoopbackHost(url.hostname)) {
        return Effect.fail(fail("domain", "http is allowed only for loopback hosts (127.0.0.1, localhost, ::1)"))
      }
      if (!allowInsecureHttp) {
        return Effect.fail(fail("domain", "http requires allowInsecureHttp: true (local development and tests only)"))
      }
      return Effect.succeed(url.origin)
    }
    return Effect.fail(fail("domain", `unsupported scheme "${url.protocol}"`))
  })

/** Decode untrusted input; the first issue names the field. */
export const decodeOptions = (input: unknown): Effect.Effect<Auth0Options, ConfigurationError> =>
  Schema.decodeUnknown(Auth0Options)(input, { errors: "all", onExcessProperty: "ignore" }).pipe(
    Effect.mapError((error) => {
      const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
      const field = first?.path.map(String).join(".") || "(root)"
      return new ConfigurationError({
        field,
        message: `Invalid Auth0 option "${field}": ${first?.message ?? "invalid"}`,
        cause: ParseResult.TreeFormatter.formatErrorSync(error)
      })
    })
  )

const resolveClientAuth = (options: Auth0Options): Effect.Effect<ClientAuth, ConfigurationError> => {
  const method = options.clientAuthMethod ??
    (options.clientAssertionSigningKey !== undefined ? "private_key_jwt" : "client_secret_post")
  if (method === "private_key_jwt") {
    if (options.clientAssertionSigningKey === undefined) {
      return Effect.fail(fail("clientAssertionSigningKey", "is required for private_key_jwt"))
    }
    return Effect.succeed({ method, key: options.clientAssertionSigningKey, alg: options.clientAssertionSigningAlg })
  }
  if (options.clientSecret === undefined) {
    return Effect.fail(fail("clientSecret", `is required for ${method} (or give clientAssertionSigningKey)`))
  }
  return Effect.succeed({ method, secret: options.clientSecret })
}

const checkUrl = (field: string, value: string | undefined) =>
  Effect.suspend(() => {
    if (value === undefined) return Effect.void
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return Effect.fail(fail(field, `"${value}" is not an absolute URL`))
    }
    if (url.protocol === "https:") return Effect.void
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return Effect.void
    return Effect.fail(fail(field, "must be an https URL (http only for loopback hosts)"))
  })

/** `trustedOrigins`, each an origin as `domain` is (https; http only on loopback with allowInsecureHttp). */
const resolveTrustedOrigins = (options: Auth0Options, origin: string) =>
  Effect.gen(function*() {
    const origins = [origin]
    for (const [index, entry] of options.trustedOrigins.entries()) {
      const resolved = yield* resolveOrigin(entry, options.allowInsecureHttp).pipe(
        Effect.mapError((e) =>
          fail(`trustedOrigins.${index}`, e.message.replace(`Invalid Auth0 option "domain": `, ""))
        )
      )
      if (!origins.includes(resolved)) origins.push(resolved)
    }
    return origins
  })

/** Decodes and resolves the configuration. */
export const resolve = (input: unknown): Effect.Effect<ResolvedConfig, ConfigurationError> =>
  Effect.gen(function*() {
    const options = yield* decodeOptions(input)
    const origin = yield* resolveOrigin(options.domain, options.allowInsecureHttp)
    const clientAuth = yield* resolveClientAuth(options)
    const trustedOrigins = yield* resolveTrustedOrigins(options, origin)
    yield* checkUrl("redirectUri", options.redirectUri)
    // Browsers drop SameSite=None cookies that are not Secure: the session would silently vanish.
    if (options.cookie.sameSite === "none" && !options.cookie.secure) {
      return yield* fail("cookie.sameSite", "\"none\" requires cookie.secure (browsers drop insecure SameSite=None cookies)")
    }
    const { audience, scope, ...rest } = options.authorizationParams
    const scopes = new Map<string, string>()
    if (typeof scope === "string") scopes.set(audience ?? "", scope)
    else if (scope !== undefined) for (const [aud, s] of Object.entries(scope)) scopes.set(aud, s)
    const extra: Record<string, string> = {}
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue
      if (key === "redirect_uri" || key === "state" || key === "nonce" || key === "code_challenge" || key === "response_type") {
        return yield* fail(`authorizationParams.${key}`, "is set by the SDK and cannot be configured")
      }
      extra[key] = typeof value === "string" ? value : JSON.stringify(value)
    }
    return {
      options,
      clientId: options.clientId,
      origin,
      issuer: `${origin}/`,
      secrets: typeof options.secret === "string" ? [options.secret] : options.secret,
      clientAuth,
      redirectUri: options.redirectUri,
      audience,
      scopes,
      myAccount: { baseUrl: `${origin}/me/v1`, audience: `${origin}/me/` },
      extraAuthorizationParams: extra,
      trustedOrigins
    } satisfies ResolvedConfig
  })

export class Auth0Config extends Context.Tag("@auth0-effect/core/Auth0Config")<Auth0Config, ResolvedConfig>() {
  /** Decodes `input`; the layer fails with a {@link ConfigurationError} naming the bad field. */
  static readonly fromInput = (input: unknown): Layer.Layer<Auth0Config, ConfigurationError> =>
    Layer.effect(Auth0Config, resolve(input))
}
