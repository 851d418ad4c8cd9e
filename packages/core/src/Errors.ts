/**
 * Every failure of the SDK is a tagged class that is also `instanceof Auth0Error`, so Effect
 * users can `catchTag` one kind while Promise users can test `instanceof`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/** Marks an instance of {@link Auth0Error} made by any copy of this module (a bundle carries its own). */
const BRAND: unique symbol = Symbol.for("@auth0-effect/core/Auth0Error")
/** The tag a tagged class stands for, read by `instanceof`. */
const TAG: unique symbol = Symbol.for("@auth0-effect/core/Auth0Error/tag")

/** Base of every error this SDK raises. Abstract: construct one of the tagged subclasses. */
export abstract class Auth0Error extends Data.Error<{ readonly message: string; readonly cause?: unknown }> {
  abstract readonly _tag: string

  /**
   * `instanceof` across copies of this package: the prebuilt `@auth0-effect/node` carries its own
   * copy of this module, and an app may also import `@auth0-effect/core/Errors` (or a store's
   * layer may fail with that copy's error). An error of either copy is an instance of the
   * classes of both: `Auth0Error` matches every one, a tagged class the errors with its `_tag`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    if (typeof value !== "object" || value === null || (value as { readonly [BRAND]?: unknown })[BRAND] !== true) return false
    const tag = (this as { readonly [TAG]?: string })[TAG]
    return tag === undefined || (value as { readonly _tag?: unknown })._tag === tag
  }
}
Object.defineProperty(Auth0Error.prototype, BRAND, { value: true })

/** Builds a tagged subclass of {@link Auth0Error}; `name` and `_tag` are the tag. */
export const TaggedAuth0Error = <const Tag extends string>(tag: Tag) => {
  class Tagged extends Auth0Error {
    static readonly [TAG] = tag
    override readonly _tag: Tag = tag
  }
  Tagged.prototype.name = tag
  return Tagged as unknown as new<A extends { readonly message: string }>(
    args: A & { readonly cause?: unknown }
  ) => Auth0Error & { readonly _tag: Tag } & Readonly<A>
}

/** One problem with the configuration: the option's path and what is wrong, never its value. */
export interface ConfigurationIssue {
  readonly field: string
  readonly message: string
}

/**
 * The configuration given to the SDK is invalid. `field` names the first bad option and `issues`
 * lists every problem found (validation reports them all at once). Neither ever holds a value:
 * a secret in the wrong place must not reach a log (CWE-532).
 */
export class ConfigurationError extends TaggedAuth0Error("ConfigurationError")<{
  readonly message: string
  readonly field: string
  readonly issues: ReadonlyArray<ConfigurationIssue>
}> {
  constructor(args: {
    readonly message: string
    readonly field: string
    readonly issues?: ReadonlyArray<ConfigurationIssue> | undefined
    readonly cause?: unknown
  }) {
    super({ ...args, issues: args.issues ?? [{ field: args.field, message: args.message }] })
  }
}

/** A required argument (or callback parameter) is missing. */
export class MissingRequiredArgumentError extends TaggedAuth0Error("MissingRequiredArgumentError")<{
  readonly message: string
  readonly argument: string
}> {}

/** An argument (or callback parameter) is present but not acceptable. */
export class InvalidArgumentError extends TaggedAuth0Error("InvalidArgumentError")<{
  readonly message: string
  readonly argument: string
}> {}

/** No transaction matches the callback's `state`: unknown, expired, or already used. */
export class MissingTransactionError extends TaggedAuth0Error("MissingTransactionError")<{
  readonly message: string
}> {}

/** The flow needs a logged-in session and there is none. */
export class MissingSessionError extends TaggedAuth0Error("MissingSessionError")<{
  readonly message: string
}> {}

/**
 * The authorization server redirected back with `error` (RFC 6749 §4.1.2.1), e.g. the user
 * denied consent. `error` and `errorDescription` are the provider's.
 */
export class AuthorizationError extends TaggedAuth0Error("AuthorizationError")<{
  readonly message: string
  readonly error: string
  readonly errorDescription: string | undefined
}> {}

/** The token endpoint answered with an OAuth error (RFC 6749 §5.2) or a non-2xx status. */
export class TokenEndpointError extends TaggedAuth0Error("TokenEndpointError")<{
  readonly message: string
  readonly status: number
  readonly error: string
  readonly errorDescription: string | undefined
}> {}

/**
 * Account linking could not start or finish: the session has no ID token to send as
 * `id_token_hint` (`no_id_token`), the tenant refused the link or unlink (`refused`, with the
 * callback's OAuth `error`), or the callback's ID token is about another user than the session's
 * (`subject_mismatch`; the session is left as it was).
 */
export class AccountLinkingError extends TaggedAuth0Error("AccountLinkingError")<{
  readonly message: string
  readonly reason: "no_id_token" | "refused" | "subject_mismatch"
  readonly error?: string | undefined
  readonly errorDescription?: string | undefined
}> {}

/** The ID token broke a rule of OIDC Core 3.1.3.7; `reason` says which. */
export class IdTokenValidationError extends TaggedAuth0Error("IdTokenValidationError")<{
  readonly message: string
  readonly reason:
    | "malformed"
    | "signature"
    | "algorithm"
    | "issuer"
    | "audience"
    | "azp"
    | "expired"
    | "issued_at"
    | "not_before"
    | "typ"
    | "nonce"
    | "auth_time"
    | "subject"
    | "organization"
}> {}

/**
 * An access token could not be obtained for the session: no refresh token to renew with, the
 * refresh failed, the server returned a token for another API, or a refreshed ID token is about
 * another user (`subject_mismatch`, OIDC Core §12.2; the session is left as it was).
 */
export class AccessTokenError extends TaggedAuth0Error("AccessTokenError")<{
  readonly message: string
  readonly reason: "missing_refresh_token" | "refresh_failed" | "audience_mismatch" | "subject_mismatch" | "organization_mismatch"
  readonly error?: string | undefined
  readonly errorDescription?: string | undefined
}> {}

/** The Token Vault exchange failed; `error` and `errorDescription` are Auth0's. */
export class AccessTokenForConnectionError extends TaggedAuth0Error("AccessTokenForConnectionError")<{
  readonly message: string
  readonly connection: string
  readonly error: string
  readonly errorDescription: string | undefined
}> {}

/** The My Account API answered with a problem (non-2xx). */
export class MyAccountApiError extends TaggedAuth0Error("MyAccountApiError")<{
  readonly message: string
  readonly status: number
  readonly type: string
  readonly title: string
  readonly detail: string
  readonly validationErrors: ReadonlyArray<{ readonly detail: string; readonly field?: string; readonly pointer?: string }>
  readonly retryAfter?: number | undefined
  /**
   * Set when a 401 carries a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1): its `error`
   * (`invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce` after the one retry), or
   * `dpop_required` when it names none.
   */
  readonly dpopError?: string | undefined
}> {}

/** A back-channel logout token was rejected, or back-channel logout cannot work with this store. */
export class BackchannelLogoutError extends TaggedAuth0Error("BackchannelLogoutError")<{
  readonly message: string
}> {}

/**
 * The request never got a usable answer: connection refused, DNS, TLS, a timeout, a redirect
 * (never followed) or a body over the size cap. It names the request by `method` and `url`
 * (origin and path, no query); its `cause` is a plain description of the platform error (names
 * and codes such as `ECONNREFUSED`), never the request, its headers or its body (CWE-532).
 */
export class TransportError extends TaggedAuth0Error("TransportError")<{
  readonly message: string
  readonly method: string
  /** Origin and path of the request, without query or fragment. */
  readonly url: string
  /**
   * `unreachable` (connection, DNS, TLS), `timeout` (no answer within `httpTimeoutMs`),
   * `redirect` (a 3xx; redirects are never followed), `too_large` (body over the cap).
   */
  readonly reason: "unreachable" | "timeout" | "redirect" | "too_large"
  /** The platform's error code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, ...). */
  readonly code?: string | undefined
  /** The status, for `redirect` and `too_large`. */
  readonly status?: number | undefined
}> {}

/** The server answered 2xx with a body that is not what the protocol says (not JSON, missing fields). */
export class InvalidResponseError extends TaggedAuth0Error("InvalidResponseError")<{
  readonly message: string
  readonly status: number
}> {}

/** OIDC discovery or the JWKS could not be loaded or lacks something a flow needs. */
export class DiscoveryError extends TaggedAuth0Error("DiscoveryError")<{
  readonly message: string
  /**
   * `unavailable`: not a 200; `invalid`: not JSON, wrong shape, wrong issuer, or an endpoint
   * URL that is not https on a trusted origin; `unknown_key`: no JWKS key matches a token's
   * header, even after a refetch.
   */
  readonly reason?: "unavailable" | "invalid" | "unknown_key" | undefined
  /** The discovery member at fault, for `invalid` endpoint URLs (`jwks_uri`, `token_endpoint`, ...). */
  readonly field?: string | undefined
}> {}

/** A session or transaction store failed (backend down, session too large for cookies, ...). */
export class StoreError extends TaggedAuth0Error("StoreError")<{
  readonly message: string
  readonly reason: "unavailable" | "too_large" | "corrupt"
}> {}

/** What the tenant says about the factors a user must present (`mfa_requirements` of `mfa_required`). */
export interface MfaRequirements {
  /** Factors the user has enrolled and can be challenged with (`otp`, `oob`, `recovery-code`, ...). */
  readonly challenge?: ReadonlyArray<{ readonly type: string }> | undefined
  /** Factors the user may enroll, when none is enrolled yet. */
  readonly enroll?: ReadonlyArray<{ readonly type: string }> | undefined
}

/**
 * The token endpoint answered `mfa_required` (a code exchange, a refresh or an MRRT call for an
 * API whose policy asks for MFA): the session is unchanged. `mfaToken` is the credential for the
 * MFA API (`Mfa.listAuthenticators`, `Mfa.challengeAuthenticator`, `Mfa.verify`); it is kept in a
 * private field behind a getter, so `JSON.stringify`, `toJSON` and `util.inspect` never render it (CWE-532).
 * `audience` and `scope` are what the failed request asked for; pass them to `Mfa.verify`.
 */
export class MfaRequiredError extends TaggedAuth0Error("MfaRequiredError")<{
  readonly message: string
  readonly status: number
  readonly error: "mfa_required"
  readonly errorDescription: string | undefined
  readonly mfaRequirements: MfaRequirements | undefined
  /** The API the failed request was for (`"default"` when none). */
  readonly audience: string
  readonly scope: string
  /**
   * When a login's code exchange asked for MFA: the `appState` the login was started with (its
   * transaction is spent). Carry it to your MFA page and use it once `verify` has started the session.
   */
  readonly appState?: unknown
}> {
  // A private field: no rendering (toJSON, JSON.stringify, util.inspect even with showHidden) can reach it.
  readonly #mfaToken: string
  /** The credential for the MFA API; readable by code, never rendered. */
  get mfaToken(): string {
    return this.#mfaToken
  }
  constructor(args: {
    readonly message: string
    readonly status: number
    readonly errorDescription: string | undefined
    readonly mfaRequirements: MfaRequirements | undefined
    readonly audience: string
    readonly scope: string
    readonly appState?: unknown
    readonly mfaToken: string
    readonly cause?: unknown
  }) {
    const { mfaToken, ...rest } = args
    super({ ...rest, error: "mfa_required" })
    this.#mfaToken = mfaToken
  }
}

/**
 * The MFA API (`/mfa/authenticators`, `/mfa/associate`, `/mfa/challenge`) or an MFA grant
 * (`mfa-otp`, `mfa-oob`, `mfa-recovery-code`) answered with an error: `error` and
 * `errorDescription` are Auth0's (`invalid_grant` for a wrong code, `expired_token` for an
 * expired mfa_token, `authorization_pending` while a push notification waits).
 */
export class MfaApiError extends TaggedAuth0Error("MfaApiError")<{
  readonly message: string
  readonly operation: "listAuthenticators" | "enrollAuthenticator" | "challengeAuthenticator" | "verify"
  readonly status: number
  readonly error: string
  readonly errorDescription: string | undefined
}> {}

/**
 * An Authentication API endpoint other than the token endpoint (`/passwordless/start`,
 * `/dbconnections/signup`, `/dbconnections/change_password`) refused the request. `error` is
 * Auth0's code (`invalid_password`, `invalid_signup`, `bad.email`, ...), `errorDescription` its
 * text; for `invalid_password`, `policy` is the connection's password policy as Auth0 words it
 * and `rules` the rules the password broke. Never the password, the email's code or the body.
 */
export class AuthenticationApiError extends TaggedAuth0Error("AuthenticationApiError")<{
  readonly message: string
  readonly status: number
  /** The endpoint's path, e.g. `/dbconnections/signup`. */
  readonly endpoint: string
  readonly error: string
  readonly errorDescription: string | undefined
  readonly policy?: string | undefined
  readonly rules?: ReadonlyArray<{ readonly code: string; readonly message: string; readonly verified: boolean }> | undefined
}> {}

/**
 * A backchannel (CIBA) login ended without tokens: the user rejected it on their device
 * (`reason: "denied"`, the server's `access_denied`), or it expired before they answered
 * (`reason: "expired"`: the server's `expired_token`, or `expires_in` ran out while polling,
 * then `status` is `undefined`). Other token endpoint answers stay {@link TokenEndpointError}s.
 */
export class BackchannelAuthenticationError extends TaggedAuth0Error("BackchannelAuthenticationError")<{
  readonly message: string
  readonly reason: "denied" | "expired"
  readonly error: string
  readonly errorDescription: string | undefined
  readonly status: number | undefined
}> {}
