/**
 * What a session and a login/connect transaction hold. Both are Schemas, because every store
 * decodes what it reads back (a cookie or a Redis entry is untrusted input).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/** An access token for one API (audience), with the scope the server actually granted. */
export const TokenSet = Schema.Struct({
  audience: Schema.String,
  accessToken: Schema.String,
  /** Space-separated scope as returned by the token endpoint. */
  scope: Schema.String,
  /**
   * The scope asked for, when the server granted less (it dropped scopes outside its policy):
   * a repeat of that request is served by this set rather than asking again.
   */
  requestedScope: Schema.optional(Schema.String),
  /** Seconds since the epoch. */
  expiresAt: Schema.Number,
  /** `DPoP` for a DPoP-bound token (RFC 9449 §5); absent means Bearer (sessions stored before DPoP). */
  tokenType: Schema.optional(Schema.Literal("DPoP", "Bearer"))
})
export type TokenSet = typeof TokenSet.Type

/** A Token Vault access token for a third-party connection, cached until it expires. */
export const ConnectionTokenSet = Schema.Struct({
  connection: Schema.String,
  loginHint: Schema.optional(Schema.String),
  accessToken: Schema.String,
  scope: Schema.String,
  /** Seconds since the epoch. */
  expiresAt: Schema.Number,
  /** `DPoP` for a DPoP-bound token (RFC 9449 §5); absent means Bearer. */
  tokenType: Schema.optional(Schema.Literal("DPoP", "Bearer"))
})
export type ConnectionTokenSet = typeof ConnectionTokenSet.Type

declare global {
  /** Types apps can extend. */
  namespace Auth0Effect {
    /**
     * Your tenant's own claims (e.g. namespaced claims added by an Action), merged into
     * {@link UserClaims} by declaration merging:
     *
     * ```ts
     * declare global {
     *   namespace Auth0Effect {
     *     interface CustomClaims {
     *       readonly "https://example.com/roles"?: ReadonlyArray<string>
     *     }
     *   }
     * }
     * ```
     *
     * These are types only: the SDK does not check them at runtime.
     */
    interface CustomClaims {}
  }
}

/** The OIDC standard claims (OIDC Core §5.1) and Auth0's organization claims, all optional. */
export interface StandardClaims {
  readonly name?: string
  readonly given_name?: string
  readonly family_name?: string
  readonly middle_name?: string
  readonly nickname?: string
  readonly preferred_username?: string
  readonly profile?: string
  readonly picture?: string
  readonly website?: string
  readonly email?: string
  readonly email_verified?: boolean
  readonly gender?: string
  readonly birthdate?: string
  readonly zoneinfo?: string
  readonly locale?: string
  readonly phone_number?: string
  readonly phone_number_verified?: boolean
  /** OIDC Core §5.1.1. */
  readonly address?: { readonly [field: string]: unknown }
  /** Seconds since the epoch in OIDC Core; Auth0 sends an ISO 8601 string. */
  readonly updated_at?: string | number
  /** Auth0 Organizations: the organization the user logged in to. */
  readonly org_id?: string
  readonly org_name?: string
}

/**
 * The ID token's claims about the user: `sub` always, the standard claims typed, your own
 * ({@link Auth0Effect.CustomClaims}) as you declared them, anything else `unknown`.
 */
export type UserClaims =
  & { readonly sub: string }
  & StandardClaims
  & Auth0Effect.CustomClaims
  & { readonly [claim: string]: unknown }

const isString = (value: unknown) => typeof value === "string"
const isBoolean = (value: unknown) => typeof value === "boolean"

/** The runtime type of each standard claim, as {@link StandardClaims} declares it. */
const STANDARD_CLAIM_TYPES: Readonly<Record<keyof StandardClaims, (value: unknown) => boolean>> = {
  name: isString,
  given_name: isString,
  family_name: isString,
  middle_name: isString,
  nickname: isString,
  preferred_username: isString,
  profile: isString,
  picture: isString,
  website: isString,
  email: isString,
  email_verified: isBoolean,
  gender: isString,
  birthdate: isString,
  zoneinfo: isString,
  locale: isString,
  phone_number: isString,
  phone_number_verified: isBoolean,
  address: (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  updated_at: (value) => typeof value === "string" || typeof value === "number",
  org_id: isString,
  org_name: isString
}

/**
 * Drops a standard claim whose value has the wrong type (a provider sending `email_verified:
 * "true"`), so {@link StandardClaims} is true at runtime. Dropping, never failing: a session
 * that does not decode would log the user out for what the provider sent.
 */
export const withStandardTypes = <A extends { readonly [claim: string]: unknown }>(claims: A): A => {
  let out: Record<string, unknown> | undefined
  for (const claim in STANDARD_CLAIM_TYPES) {
    if (claim in claims && !STANDARD_CLAIM_TYPES[claim as keyof StandardClaims](claims[claim])) {
      out ??= { ...claims }
      delete out[claim]
    }
  }
  return (out ?? claims) as A
}

const ClaimsRecord = Schema.Struct(
  { sub: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/** Permissive: any claims with a string `sub`; wrongly typed standard claims are dropped, never refused. */
export const UserClaims: Schema.Schema<UserClaims, typeof ClaimsRecord.Encoded> = Schema.transform(
  ClaimsRecord,
  Schema.typeSchema(ClaimsRecord),
  { strict: true, decode: withStandardTypes, encode: (claims) => claims }
) as unknown as Schema.Schema<UserClaims, typeof ClaimsRecord.Encoded>

/** Bookkeeping the SDK needs and apps never see. */
export const SessionInternal = Schema.Struct({
  /** The provider's session id (`sid` claim), used by back-channel logout. */
  sid: Schema.optional(Schema.String),
  /** Seconds since the epoch when the user logged in (absolute lifetime starts here). */
  createdAt: Schema.Number
})
export type SessionInternal = typeof SessionInternal.Type

/** The organization a session was logged in to (Auth0 Organizations), from its ID token. */
export const SessionOrganization = Schema.Struct({
  /** `org_id`. */
  id: Schema.String,
  /** `org_name`, when the token carried it. */
  name: Schema.optional(Schema.String)
})
export type SessionOrganization = typeof SessionOrganization.Type

/** Everything a logged-in session holds. */
export const SessionData = Schema.Struct({
  user: UserClaims,
  idToken: Schema.optional(Schema.String),
  refreshToken: Schema.optional(Schema.String),
  tokenSets: Schema.Array(TokenSet),
  connectionTokenSets: Schema.Array(ConnectionTokenSet),
  /** The organization of the login; refreshed ID tokens must keep it. */
  organization: Schema.optional(SessionOrganization),
  internal: SessionInternal
})
export type SessionData = typeof SessionData.Type

/** The session as apps see it: {@link SessionData} without `internal`. */
export type Session = Omit<SessionData, "internal">

/**
 * The `beforeSessionSaved` option: called with the session (without the SDK's bookkeeping) and
 * its ID token before every write (login, refresh, Token Vault, any update), it returns what to
 * keep: for example only the claims the app reads, or only the token sets of the APIs it calls
 * from the server. The name and signature follow Auth0's nextjs-auth0 (`beforeSessionSaved(session,
 * idToken)`). The hook cannot change who the session is about: a result with another `user.sub`,
 * or that is not a session, fails the write with `StoreError` (`corrupt`) and the stored session
 * stays as it was. What it drops is gone: a dropped token set is fetched again when next asked for.
 */
export type BeforeSessionSaved = (session: Session, idToken: string | undefined) => Session | PromiseLike<Session>

/** Strips the SDK's bookkeeping. */
export const toPublic = (data: SessionData): Session => {
  const { internal: _internal, ...rest } = data
  return rest
}

/** A login started by `startInteractiveLogin`, kept until its callback. */
export const LoginTransaction = Schema.Struct({
  kind: Schema.Literal("login"),
  state: Schema.String,
  codeVerifier: Schema.String,
  nonce: Schema.String,
  redirectUri: Schema.String,
  audience: Schema.optional(Schema.String),
  scope: Schema.String,
  maxAge: Schema.optional(Schema.Number),
  /** The `organization` sent (id or name); the ID token must prove it. */
  organization: Schema.optional(Schema.String),
  appState: Schema.optional(Schema.Unknown),
  /** Seconds since the epoch. */
  createdAt: Schema.Number
})
export type LoginTransaction = typeof LoginTransaction.Type

/** A connect started by `startConnectAccount`, kept until its callback. */
export const ConnectTransaction = Schema.Struct({
  kind: Schema.Literal("connect"),
  state: Schema.String,
  codeVerifier: Schema.String,
  authSession: Schema.String,
  redirectUri: Schema.String,
  connection: Schema.String,
  appState: Schema.optional(Schema.Unknown),
  /** Seconds since the epoch. */
  createdAt: Schema.Number
})
export type ConnectTransaction = typeof ConnectTransaction.Type

/** An account link or unlink started by `startLinkUser` / `startUnlinkUser`, kept until its callback. */
export const LinkTransaction = Schema.Struct({
  kind: Schema.Literal("link"),
  action: Schema.Literal("link", "unlink"),
  state: Schema.String,
  codeVerifier: Schema.String,
  nonce: Schema.String,
  redirectUri: Schema.String,
  connection: Schema.String,
  /** The session's user when the flow started: the ID token of the callback must be about them. */
  sub: Schema.String,
  /** The session's organization, sent again so the tenant keeps it. */
  organization: Schema.optional(Schema.String),
  appState: Schema.optional(Schema.Unknown),
  /** Seconds since the epoch. */
  createdAt: Schema.Number
})
export type LinkTransaction = typeof LinkTransaction.Type

export const Transaction = Schema.Union(LoginTransaction, ConnectTransaction, LinkTransaction)
export type Transaction = typeof Transaction.Type
