/**
 * Types of the emulator's public options and helpers, kept apart from the modules that implement
 * them: those import oidc-provider's types, which users of @auth0-effect/testing's published
 * declarations must not need.
 */

export interface CibaOptions {
  /** The polling `interval` the tenant answers with; default 5 (Auth0's). Tests use 1 to run fast. */
  intervalSeconds?: number
  /** `expires_in` of a request without `requested_expiry`; default 300. */
  expiresInSeconds?: number
}

/** A backchannel request the test can see, approve or deny. */
export interface BackchannelRequest {
  readonly authReqId: string
  readonly clientId: string
  /** The user the request is for (the login hint's `sub`). */
  readonly sub: string
  readonly bindingMessage: string | undefined
  readonly scope: string
  readonly audience: string | undefined
  readonly authorizationDetails: ReadonlyArray<Record<string, unknown>> | undefined
  /** Epoch seconds. */
  readonly expiresAt: number
  status: "pending" | "approved" | "denied"
}

/** Which request a test means: its auth_req_id, or the newest pending one of a user (sub or email). */
export type BackchannelTarget = string | { readonly authReqId?: string; readonly user?: string }

export interface TokenExchangeRequest {
  readonly subjectToken: string
  readonly subjectTokenType: string
  readonly actorToken: string | undefined
  readonly actorTokenType: string | undefined
  readonly audience: string | undefined
  readonly scope: string | undefined
  readonly organization: string | undefined
  readonly clientId: string
}

/**
 * The validator's verdict: the user the tokens are for (`api.authentication.setUserById`), or a
 * refusal (`api.access.deny`), answered as an OAuth error (default 400 `invalid_request`).
 */
export type TokenExchangeDecision =
  | { readonly sub: string }
  | { readonly error: string; readonly errorDescription?: string; readonly status?: number }

export interface TokenExchangeOptions {
  /** Plays the Custom Token Exchange Action. A throw answers 400 `invalid_request` with its message. */
  validate(request: TokenExchangeRequest): TokenExchangeDecision | Promise<TokenExchangeDecision>
}

export type PasswordPolicy = "none" | "low" | "fair" | "good" | "excellent"
