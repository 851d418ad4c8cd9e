/**
 * The tenant's OIDC discovery document (OIDC Discovery 1.0, RFC 8414) and signing keys (JWKS),
 * each fetched on first use and cached with a TTL. An unknown `kid` refetches the JWKS once
 * (at most once per {@link JWKS_REFETCH_COOLDOWN_SECONDS}) so key rotation works without a
 * restart, while a flood of tokens with made-up key ids cannot make us hammer the tenant.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as jose from "jose"
import { createLocalJWKSet } from "jose/jwks/local"
import { JWKSMultipleMatchingKeys, JWKSNoMatchingKey } from "jose/errors"
import { Auth0Config } from "./Auth0Config.js"
import { DiscoveryError, TransportError } from "./Errors.js"
import * as Http from "./internal/http.js"
import { type TenantUrlPolicy, tenantUrlProblem } from "./internal/tenantUrl.js"

/** The fields of the discovery document the SDK uses. */
export const Metadata = Schema.Struct(
  {
    issuer: Schema.String,
    authorization_endpoint: Schema.String,
    token_endpoint: Schema.String,
    jwks_uri: Schema.String,
    userinfo_endpoint: Schema.optional(Schema.String),
    end_session_endpoint: Schema.optional(Schema.String),
    pushed_authorization_request_endpoint: Schema.optional(Schema.String),
    revocation_endpoint: Schema.optional(Schema.String),
    backchannel_authentication_endpoint: Schema.optional(Schema.String),
    id_token_signing_alg_values_supported: Schema.optional(Schema.Array(Schema.String))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type Metadata = typeof Metadata.Type

const Jwks = Schema.Struct({ keys: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })) })

/** Minimum time between two JWKS refetches caused by an unknown `kid`. */
export const JWKS_REFETCH_COOLDOWN_SECONDS = 30

/**
 * How long a failed discovery or JWKS load is remembered: while the tenant is down, every caller
 * in this window gets the same error instead of sending new requests (3 attempts each).
 */
export const FAILED_LOAD_RETRY_AFTER_SECONDS = 5

/** The discovery members that hold URLs we call or redirect to; each must be a trusted https URL. */
export const ENDPOINT_FIELDS = [
  "authorization_endpoint",
  "token_endpoint",
  "jwks_uri",
  "userinfo_endpoint",
  "end_session_endpoint",
  "pushed_authorization_request_endpoint",
  "revocation_endpoint",
  "backchannel_authentication_endpoint"
] as const

export type KeyResolver = (header: jose.JWSHeaderParameters) => Effect.Effect<jose.CryptoKey, DiscoveryError | TransportError>

export interface AuthorizationServerService {
  readonly metadata: Effect.Effect<Metadata, DiscoveryError | TransportError>
  /** The verification key for a JWS header, refetching the JWKS once for an unknown `kid`. */
  readonly keyFor: KeyResolver
}

export class AuthorizationServer extends Context.Tag("@auth0-effect/core/AuthorizationServer")<
  AuthorizationServer,
  AuthorizationServerService
>() {
  /** Discovery at `${origin}/.well-known/openid-configuration`, through the app's HttpClient. */
  static readonly layer: Layer.Layer<AuthorizationServer, never, Auth0Config | HttpClient.HttpClient> = Layer.effect(
    AuthorizationServer,
    Effect.gen(function*() {
      const config = yield* Auth0Config
      const client = yield* HttpClient.HttpClient
      return make({
        discoveryUrl: `${config.origin}/.well-known/openid-configuration`,
        issuer: config.issuer,
        ttlSeconds: config.options.discoveryCacheTtlSeconds,
        timeoutMs: config.options.httpTimeoutMs,
        trustedOrigins: config.trustedOrigins,
        allowInsecureHttp: config.options.allowInsecureHttp
      }, client)
    })
  )
}

interface Cached<A> {
  readonly value: A
  readonly fetchedAt: number
}

interface Failed {
  readonly error: DiscoveryError | TransportError
  readonly failedAt: number
}

export interface MakeOptions {
  readonly discoveryUrl: string
  readonly issuer: string
  readonly ttlSeconds: number
  readonly timeoutMs: number
  /** Origins endpoints may use; default the issuer's origin. */
  readonly trustedOrigins?: ReadonlyArray<string> | undefined
  readonly allowInsecureHttp?: boolean | undefined
}

/**
 * Every endpoint of the document is https on a trusted origin (RFC 8414 §3.3, RFC 9700 §4.4):
 * a document that points `jwks_uri` or `token_endpoint` elsewhere is refused as a whole, naming
 * the member, before any of its URLs is used.
 */
export const checkEndpoints = (metadata: Metadata, policy: TenantUrlPolicy): DiscoveryError | undefined => {
  for (const field of ENDPOINT_FIELDS) {
    const value = metadata[field]
    if (value === undefined) continue
    const problem = tenantUrlProblem(value, policy)
    if (problem !== undefined) {
      return new DiscoveryError({ reason: "invalid", field, message: `OIDC discovery: ${field} ${problem}; it is not used` })
    }
  }
  return undefined
}

/** Builds the service; exposed for tests and custom wiring. */
export const make = (options: MakeOptions, client: HttpClient.HttpClient): AuthorizationServerService => {
  const lock = Effect.unsafeMakeSemaphore(1)
  let metadataCache: Cached<Metadata> | undefined
  let metadataFailure: Failed | undefined
  let jwksCache: Cached<ReturnType<typeof jose.createLocalJWKSet>> | undefined
  let jwksFailure: Failed | undefined
  let lastUnknownKidRefetch = -Infinity
  const ttlMs = options.ttlSeconds * 1000
  const retryAfterMs = FAILED_LOAD_RETRY_AFTER_SECONDS * 1000
  const policy: TenantUrlPolicy = {
    trustedOrigins: options.trustedOrigins ?? [new URL(options.issuer).origin],
    allowInsecureHttp: options.allowInsecureHttp ?? false
  }

  const fetchJson = <A, I>(url: string, schema: Schema.Schema<A, I>, what: string) =>
    Effect.gen(function*() {
      const where = Http.safeUrl(url)
      const response = yield* Http.send(HttpClientRequest.get(url, { acceptJson: true }), options.timeoutMs)
      if (response.status !== 200) {
        return yield* new DiscoveryError({ reason: "unavailable", message: `${what} at ${where} answered ${response.status}` })
      }
      const body = yield* Http.parseJson(response, what).pipe(
        Effect.mapError((e) => new DiscoveryError({ reason: "invalid", message: e.message }))
      )
      return yield* Schema.decodeUnknown(schema)(body).pipe(
        Effect.mapError((e) =>
          new DiscoveryError({ reason: "invalid", message: `${what} at ${where} is not valid: ${Http.schemaProblems(e)}` })
        )
      )
    }).pipe(Effect.provideService(HttpClient.HttpClient, client))

  const loadMetadata = Effect.gen(function*() {
    const metadata = yield* fetchJson(options.discoveryUrl, Metadata, "OIDC discovery")
    // RFC 8414 §3.3: the issuer in the document must be exactly the one we expect.
    if (metadata.issuer !== options.issuer) {
      return yield* new DiscoveryError({
        reason: "invalid",
        field: "issuer",
        message: `Discovery issuer "${metadata.issuer.slice(0, 200)}" does not match the expected issuer "${options.issuer}"`
      })
    }
    const invalid = checkEndpoints(metadata, policy)
    if (invalid !== undefined) return yield* invalid
    return metadata
  })

  const remembered = (failure: Failed | undefined, now: number) =>
    failure !== undefined && now - failure.failedAt < retryAfterMs ? failure.error : undefined

  /** The cached document, a remembered failure, or a fresh load; runs with the lock held. */
  const currentMetadata = (now: number) =>
    Effect.gen(function*() {
      if (metadataCache && now - metadataCache.fetchedAt < ttlMs) return metadataCache.value
      const failed = remembered(metadataFailure, now)
      if (failed !== undefined) return yield* failed
      const loaded = yield* Effect.either(loadMetadata)
      if (loaded._tag === "Left") {
        metadataFailure = { error: loaded.left, failedAt: yield* Clock.currentTimeMillis }
        return yield* loaded.left
      }
      metadataFailure = undefined
      metadataCache = { value: loaded.right, fetchedAt: now }
      return loaded.right
    })

  const metadata: Effect.Effect<Metadata, DiscoveryError | TransportError> = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (metadataCache && now - metadataCache.fetchedAt < ttlMs) return metadataCache.value
    const failed = remembered(metadataFailure, now)
    if (failed !== undefined) return yield* failed
    return yield* lock.withPermits(1)(Effect.flatMap(Clock.currentTimeMillis, currentMetadata))
  })

  const loadJwks = (force: boolean) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (!force && jwksCache && now - jwksCache.fetchedAt < ttlMs) return jwksCache.value
      const failed = force ? undefined : remembered(jwksFailure, now)
      if (failed !== undefined) return yield* failed
      const meta = yield* currentMetadata(now)
      const jwks = yield* Effect.either(fetchJson(meta.jwks_uri, Jwks, "JWKS"))
      if (jwks._tag === "Left") {
        jwksFailure = { error: jwks.left, failedAt: yield* Clock.currentTimeMillis }
        return yield* jwks.left
      }
      jwksFailure = undefined
      const value = createLocalJWKSet(jwks.right as unknown as jose.JSONWebKeySet)
      jwksCache = { value, fetchedAt: now }
      return value
    }))

  const resolveFrom = (set: ReturnType<typeof jose.createLocalJWKSet>, header: jose.JWSHeaderParameters) =>
    Effect.tryPromise({
      try: () => set(header, { payload: "", signature: "" } as unknown as jose.FlattenedJWSInput),
      catch: (error) => error
    })

  const keyFor: KeyResolver = (header) =>
    Effect.gen(function*() {
      const first = yield* Effect.either(resolveFrom(yield* loadJwks(false), header))
      if (first._tag === "Right") return first.right as jose.CryptoKey
      const now = yield* Clock.currentTimeMillis
      if (
        first.left instanceof JWKSNoMatchingKey &&
        now - lastUnknownKidRefetch >= JWKS_REFETCH_COOLDOWN_SECONDS * 1000
      ) {
        lastUnknownKidRefetch = now
        const second = yield* Effect.either(resolveFrom(yield* loadJwks(true), header))
        if (second._tag === "Right") return second.right as jose.CryptoKey
        return yield* keyError(second.left, header)
      }
      return yield* keyError(first.left, header)
    })

  return { metadata, keyFor }
}

const keyError = (error: unknown, header: jose.JWSHeaderParameters) =>
  new DiscoveryError({
    reason: "unknown_key",
    message: error instanceof JWKSMultipleMatchingKeys
      ? `Several JWKS keys match kid "${header.kid ?? ""}"`
      : `No key in the JWKS matches kid "${header.kid ?? "(none)"}" and alg "${header.alg ?? "(none)"}"`,
    cause: error instanceof Error ? error.name : undefined
  })
