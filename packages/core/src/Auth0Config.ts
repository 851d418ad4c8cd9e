/**
 * The SDK's configuration: decoded from untrusted input with a Schema, checked across fields,
 * and resolved once into what the flows need (origin, expected issuer, client authentication).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as CookieNames from "./CookieNames.js"
import {
  cookiePrefixProblem,
  decodeIssues,
  lifetimeProblem,
  summary,
  unknownOptionProblem,
  unsafeAttribute
} from "./Auth0ConfigRules.js"
import { ConfigurationError, type ConfigurationIssue } from "./Errors.js"
import type { BeforeSessionSaved } from "./Session.js"
import { importOnce, keyProblem, type SigningKey } from "./internal/signingKey.js"
import { ALGORITHMS as DpopAlgorithms } from "./DpopRules.js"
import { dpopKeyProblem, makeDpopConfig, type DpopConfig } from "./internal/dpopKey.js"

const Secret = Schema.String.pipe(
  Schema.minLength(32, { message: () => "must be at least 32 characters" })
)

/** Scopes for login and MRRT: one string for the default audience, or a map audience => scopes. */
const ScopeOption = Schema.Union(
  Schema.String,
  Schema.Record({ key: Schema.String, value: Schema.String })
)

const Seconds = Schema.Number.pipe(Schema.positive({ message: () => "must be a positive number of seconds" }))

/** The `beforeSessionSaved` hook: any function (what it returns is checked on every write). */
const BeforeSessionSavedOption = Schema.declare(
  (input: unknown): input is BeforeSessionSaved => typeof input === "function",
  { identifier: "BeforeSessionSaved", message: () => "must be a function (session, idToken) => session" }
)

/** A cookie-name token (RFC 6265 §4.1.1): what may start a transaction cookie's name. */
const CookieNameToken = Schema.String.pipe(
  Schema.pattern(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { message: () => "must be a cookie-name token (RFC 6265 §4.1.1)" })
)

const CookieFields = {
  /** Secure is on unless set false (only for http on localhost). */
  secure: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  sameSite: Schema.optionalWith(Schema.Literal("lax", "strict", "none"), { default: () => "lax" as const }),
  domain: Schema.optional(Schema.NonEmptyTrimmedString),
  path: Schema.optionalWith(Schema.String, { default: () => "/" }),
  /**
   * Most bytes the SDK's cookies (session chunks, transactions) may take in the `Cookie` request
   * header; a write past it fails with `StoreError` `too_large` (servers refuse large headers:
   * Node answers 431 past 16 KiB for all headers).
   */
  maxHeaderBytes: Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1024)), { default: () => 8192 })
}

/**
 * The `cookie` options. The session name and transaction prefix default to `__Host-` names
 * when the cookies are Secure, without Domain and on Path `/` (see `CookieNames`).
 */
const CookieSettings = Schema.transform(
  Schema.Struct({
    /** Cookie name of the session (chunks append `.0`, `.1`, ...). Default `__Host-a0_session` or `__a0_session`. */
    name: Schema.optional(Schema.NonEmptyTrimmedString),
    /** Prefix of transaction cookies (`${prefix}${state}`). Default `__Host-a0_tx.` or `__a0_tx.`. */
    transactionPrefix: Schema.optional(CookieNameToken),
    ...CookieFields
  }),
  Schema.Struct({ name: Schema.String, transactionPrefix: Schema.String, ...CookieFields }).pipe(Schema.typeSchema),
  {
    strict: true,
    decode: ({ name, transactionPrefix, ...rest }) => ({
      ...rest,
      name: name ?? CookieNames.defaultSessionName(rest),
      transactionPrefix: transactionPrefix ?? CookieNames.defaultTransactionPrefix(rest)
    }),
    encode: (settings) => settings
  }
)

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
  /**
   * DPoP (RFC 9449): the key that signs proofs, a private JWK or a PKCS#8 PEM, and its algorithm
   * (default ES256). Give the same key to every instance. Off when absent. See docs/dpop.md.
   */
  dpop: Schema.optional(Schema.Struct({
    privateKey: Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })),
    alg: Schema.optionalWith(Schema.Literal(...DpopAlgorithms), { default: () => "ES256" as const })
  })),
  /** Encrypts cookies. The first secret encrypts; every listed secret decrypts (rotation). */
  secret: Schema.Union(Secret, Schema.NonEmptyArray(Secret)),
  redirectUri: Schema.optional(Schema.String),
  /** Default organization (Auth0 Organizations: an `org_...` id or a name) for every login; `authorizationParams.organization` overrides it. */
  organization: Schema.optional(Schema.NonEmptyTrimmedString),
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
  cookie: Schema.optionalWith(CookieSettings, { default: () => Schema.decodeSync(CookieSettings)({}) }),
  session: Schema.optionalWith(
    Schema.Struct({
      /** Extend the session on each use (inactivity timeout), up to the absolute lifetime. */
      rolling: Schema.optionalWith(Schema.Boolean, { default: () => true }),
      inactivityDuration: Schema.optionalWith(Seconds, { default: () => 60 * 60 * 24 }),
      absoluteDuration: Schema.optionalWith(Seconds, { default: () => 60 * 60 * 24 * 3 })
    }),
    { default: () => ({ rolling: true, inactivityDuration: 60 * 60 * 24, absoluteDuration: 60 * 60 * 24 * 3 }) }
  ),
  /**
   * Filters what a session keeps before every write (login, refresh, any update): claims, token
   * sets, connection tokens. See `Session.BeforeSessionSaved`.
   */
  beforeSessionSaved: Schema.optional(BeforeSessionSavedOption)
}) {}

/** The options as apps write them (the encoded side of {@link Auth0Options}): defaults optional. */
export type Auth0Input = Schema.Schema.Encoded<typeof Auth0Options>

export type ClientAuth =
  | { readonly method: "client_secret_post" | "client_secret_basic"; readonly secret: string }
  | {
    readonly method: "private_key_jwt"
    readonly key: string | Record<string, unknown>
    readonly alg: Auth0Options["clientAssertionSigningAlg"]
    /** The key, imported once (shape checked at resolve, imported when the layer is built). */
    readonly signingKey: Effect.Effect<SigningKey, ConfigurationError>
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
  /** DPoP's key and nonce cache; `undefined` when DPoP is off. */
  readonly dpop: DpopConfig | undefined
}

export const DEFAULT_SCOPE = "openid profile email offline_access"

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/** Whether a host name is a loopback address. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK.has(hostname.toLowerCase())

const issue = (field: string, problem: string): ConfigurationIssue => ({
  field,
  message: `Invalid Auth0 option "${field}": ${problem}`
})

const fail = (field: string, problem: string) => new ConfigurationError(issue(field, problem))

/** One error for every issue found; `field` is the first one's. */
const failAll = (issues: ReadonlyArray<ConfigurationIssue>) =>
  new ConfigurationError({ field: issues[0]!.field, message: summary(issues), issues })

/** `domain` as an origin: https for host names; http only for loopback with allowInsecureHttp. */
export const resolveOrigin = (domain: string, allowInsecureHttp: boolean): Effect.Effect<string, ConfigurationError> =>
  Effect.suspend(() => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(domain) ? domain : `https://${domain}`
    let url: URL
    try {
      url = new URL(withScheme)
    } catch {
      return Effect.fail(fail("domain", "is not a host name or origin"))
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

/** The top-level options the Schema knows (read from it, so options added to it are known). */
const KNOWN_OPTIONS: ReadonlyArray<string> = Object.keys(Auth0Options.fields)

/** Unknown top-level options: a typo (`baseURL`, `clientID`) would otherwise be ignored silently. */
export const unknownOptions = (input: unknown): ReadonlyArray<ConfigurationIssue> =>
  typeof input === "object" && input !== null && !Array.isArray(input)
    ? Object.keys(input).filter((key) => !KNOWN_OPTIONS.includes(key)).map((key) => unknownOptionProblem(key, KNOWN_OPTIONS))
    : []

/**
 * Decodes untrusted input, reporting every problem at once (unknown options and decoding
 * issues); messages name the field and the problem, never a value.
 */
export const decodeOptions = (input: unknown): Effect.Effect<Auth0Options, ConfigurationError> =>
  Effect.suspend(() => {
    const unknown = unknownOptions(input)
    return Schema.decodeUnknown(Auth0Options)(input, { errors: "all", onExcessProperty: "ignore" }).pipe(
      Effect.mapError((error) => failAll([...decodeIssues(error), ...unknown])),
      Effect.filterOrFail(() => unknown.length === 0, () => failAll(unknown))
    )
  })

const resolveClientAuth = (options: Auth0Options): ClientAuth | ConfigurationIssue => {
  const method = options.clientAuthMethod ??
    (options.clientAssertionSigningKey !== undefined ? "private_key_jwt" : "client_secret_post")
  if (method === "private_key_jwt") {
    const key = options.clientAssertionSigningKey
    if (key === undefined) return issue("clientAssertionSigningKey", "is required for private_key_jwt")
    const alg = options.clientAssertionSigningAlg
    const problem = keyProblem(key, alg)
    if (problem !== undefined) return issue("clientAssertionSigningKey", problem)
    return { method, key, alg, signingKey: importOnce(key, alg) }
  }
  if (options.clientSecret === undefined) {
    return issue("clientSecret", `is required for ${method} (or give clientAssertionSigningKey)`)
  }
  return { method, secret: options.clientSecret }
}

const urlProblem = (value: string): string | undefined => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return "is not an absolute URL"
  }
  if (url.protocol === "https:") return undefined
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined
  return "must be an https URL (http only for loopback hosts)"
}

/** Cross-field rules of the cookie options (attribute injection, prefixes, SameSite=None). */
const cookieIssues = (cookie: Auth0Options["cookie"]): Array<ConfigurationIssue> => {
  const issues: Array<ConfigurationIssue> = []
  // Browsers drop SameSite=None cookies that are not Secure: the session would silently vanish.
  if (cookie.sameSite === "none" && !cookie.secure) {
    issues.push(issue("cookie.sameSite", "\"none\" requires cookie.secure (browsers drop insecure SameSite=None cookies)"))
  }
  if (unsafeAttribute(cookie.path)) {
    issues.push(issue("cookie.path", "must not contain \";\", whitespace or control characters (RFC 6265 §4.1.1)"))
  } else if (!cookie.path.startsWith("/")) {
    issues.push(issue("cookie.path", "must start with \"/\" (RFC 6265 §5.2.4)"))
  }
  if (cookie.domain !== undefined && unsafeAttribute(cookie.domain)) {
    issues.push(issue("cookie.domain", "must not contain \";\", whitespace or control characters (RFC 6265 §4.1.1)"))
  }
  const prefix = cookiePrefixProblem(cookie.name, cookie)
  if (prefix !== undefined) issues.push(issue("cookie.name", prefix))
  const txPrefix = cookiePrefixProblem(cookie.transactionPrefix, cookie)
  if (txPrefix !== undefined) issues.push(issue("cookie.transactionPrefix", txPrefix))
  return issues
}

/** SDK-owned authorization parameters (state, nonce, PKCE, response type, redirect URI). */
const authorizationParamIssue = (key: string): ConfigurationIssue | undefined => {
  if (key === "redirect_uri") {
    return issue("authorizationParams.redirect_uri", "is set by the SDK from the redirectUri option: use redirectUri instead")
  }
  if (key === "state" || key === "nonce" || key === "code_challenge" || key === "response_type") {
    return issue(`authorizationParams.${key}`, "is set by the SDK and cannot be configured")
  }
  return undefined
}

/** `trustedOrigins`, each an origin as `domain` is (https; http only on loopback with allowInsecureHttp). */
const resolveTrustedOrigins = (options: Auth0Options, origin: string, issues: Array<ConfigurationIssue>) =>
  Effect.gen(function*() {
    const origins = [origin]
    for (const [index, entry] of options.trustedOrigins.entries()) {
      const resolved = yield* Effect.either(resolveOrigin(entry, options.allowInsecureHttp))
      if (resolved._tag === "Left") {
        for (const found of resolved.left.issues) {
          issues.push(issue(`trustedOrigins.${index}`, found.message.replace(/^Invalid Auth0 option "domain": /, "")))
        }
      } else if (!origins.includes(resolved.right)) origins.push(resolved.right)
    }
    return origins
  })

/**
 * Decodes and resolves the configuration, synchronously: every problem is reported at once in
 * one {@link ConfigurationError}. A private_key_jwt key is checked for shape here and imported
 * by {@link resolveAndImport}.
 */
export const resolve = (input: unknown): Effect.Effect<ResolvedConfig, ConfigurationError> =>
  Effect.gen(function*() {
    const options = yield* decodeOptions(input)
    const issues: Array<ConfigurationIssue> = []
    const origin = yield* resolveOrigin(options.domain, options.allowInsecureHttp).pipe(
      Effect.catchAll((error) => {
        issues.push(...error.issues)
        return Effect.succeed("https://invalid.invalid")
      })
    )
    const clientAuth = resolveClientAuth(options)
    const trustedOrigins = yield* resolveTrustedOrigins(options, origin, issues)
    if (!("method" in clientAuth)) issues.push(clientAuth)
    const redirectProblem = options.redirectUri === undefined ? undefined : urlProblem(options.redirectUri)
    if (redirectProblem !== undefined) issues.push(issue("redirectUri", redirectProblem))
    issues.push(...cookieIssues(options.cookie))
    const lifetime = lifetimeProblem(options.session)
    if (lifetime !== undefined) issues.push(issue("session.absoluteDuration", lifetime))
    const { audience, scope, ...rest } = options.authorizationParams
    const scopes = new Map<string, string>()
    if (typeof scope === "string") scopes.set(audience ?? "", scope)
    else if (scope !== undefined) for (const [aud, s] of Object.entries(scope)) scopes.set(aud, s)
    const extra: Record<string, string> = {}
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue
      const owned = authorizationParamIssue(key)
      if (owned !== undefined) issues.push(owned)
      else if (typeof value === "string") extra[key] = value
      else {
        try {
          extra[key] = JSON.stringify(value)
        } catch {
          issues.push(issue(`authorizationParams.${key}`, "must be a string or JSON-serializable (no BigInt, no cycles)"))
        }
      }
    }
    const dpopProblem = options.dpop === undefined ? undefined : dpopKeyProblem(options.dpop.privateKey, options.dpop.alg)
    if (dpopProblem !== undefined) issues.push(issue("dpop.privateKey", dpopProblem))
    if (issues.length > 0 || !("method" in clientAuth)) return yield* failAll(issues)
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
      trustedOrigins,
      dpop: options.dpop === undefined ? undefined : makeDpopConfig(options.dpop.privateKey, options.dpop.alg)
    } satisfies ResolvedConfig
  })

/** Imports a private_key_jwt key (once), so a key that does not import fails the layer's build. */
export const importKey = (config: ResolvedConfig): Effect.Effect<ResolvedConfig, ConfigurationError> =>
  Effect.zipRight(
    config.clientAuth.method === "private_key_jwt" ? Effect.asVoid(config.clientAuth.signingKey) : Effect.void,
    // The DPoP key too: a key that does not import fails the build, never a request.
    config.dpop === undefined ? Effect.succeed(config) : Effect.as(config.dpop.key, config)
  )

/** {@link resolve}, then {@link importKey}: what the `Auth0Config` layer does. */
export const resolveAndImport = (input: unknown): Effect.Effect<ResolvedConfig, ConfigurationError> =>
  Effect.flatMap(resolve(input), importKey)

export class Auth0Config extends Context.Tag("@auth0-effect/core/Auth0Config")<Auth0Config, ResolvedConfig>() {
  /**
   * Decodes `input` (typed as the options apps write, decoded at runtime all the same); the layer
   * fails with a {@link ConfigurationError} listing every bad field.
   */
  static readonly fromInput = (input: Auth0Input): Layer.Layer<Auth0Config, ConfigurationError> =>
    Layer.effect(Auth0Config, resolveAndImport(input))
}
