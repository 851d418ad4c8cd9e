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
  expiresAt: Schema.Number
})
export type TokenSet = typeof TokenSet.Type

/** A Token Vault access token for a third-party connection, cached until it expires. */
export const ConnectionTokenSet = Schema.Struct({
  connection: Schema.String,
  loginHint: Schema.optional(Schema.String),
  accessToken: Schema.String,
  scope: Schema.String,
  /** Seconds since the epoch. */
  expiresAt: Schema.Number
})
export type ConnectionTokenSet = typeof ConnectionTokenSet.Type

/** The ID token's claims about the user: `sub` always, the rest as the provider sent them. */
export const UserClaims = Schema.Struct(
  { sub: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type UserClaims = typeof UserClaims.Type

/** Bookkeeping the SDK needs and apps never see. */
export const SessionInternal = Schema.Struct({
  /** The provider's session id (`sid` claim), used by back-channel logout. */
  sid: Schema.optional(Schema.String),
  /** Seconds since the epoch when the user logged in (absolute lifetime starts here). */
  createdAt: Schema.Number
})
export type SessionInternal = typeof SessionInternal.Type

/** Everything a logged-in session holds. */
export const SessionData = Schema.Struct({
  user: UserClaims,
  idToken: Schema.optional(Schema.String),
  refreshToken: Schema.optional(Schema.String),
  tokenSets: Schema.Array(TokenSet),
  connectionTokenSets: Schema.Array(ConnectionTokenSet),
  internal: SessionInternal
})
export type SessionData = typeof SessionData.Type

/** The session as apps see it: {@link SessionData} without `internal`. */
export type Session = Omit<SessionData, "internal">

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

export const Transaction = Schema.Union(LoginTransaction, ConnectTransaction)
export type Transaction = typeof Transaction.Type
