/**
 * Pure rules of client-initiated account linking: the authorize request an account-linking
 * Action on the tenant answers (`scope` with `link_account` or `unlink_account`, the session's
 * `id_token_hint`, `requested_connection`), as the reference SDKs build it
 * (https://auth0.com/docs/manage-users/user-accounts/user-account-linking).
 *
 * @since 0.2.0
 */

export type Action = "link" | "unlink"

/** The scope of each request: an OIDC request, so an ID token comes back (with the linked identities). */
export const SCOPES: Readonly<Record<Action, string>> = {
  link: "openid link_account",
  unlink: "openid unlink_account"
}

/** The audience the reference SDKs send: the API identifier the account-linking Action is set up with. */
export const AUDIENCE = "my-account"

/**
 * Parameters the SDK sets and callers cannot override: the login's own (state, nonce, PKCE,
 * response type, client, PAR), and what makes this a linking request for this session.
 */
export const RESERVED: ReadonlySet<string> = new Set([
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "response_type",
  "client_id",
  "request_uri",
  "request",
  "scope",
  "id_token_hint",
  "requested_connection",
  "requested_connection_scope"
])

/**
 * What is wrong with a connection name (or a connection scope), or `undefined`: a non-empty
 * string without surrounding whitespace, at most 128 characters (Auth0's connection name limit).
 */
export const connectionProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.trim() !== value) return "must not start or end with whitespace"
  if (value.length > 128) return "must be at most 128 characters"
  return undefined
}

/** The first `authorizationParams` key the SDK owns, if any. */
export const reservedParameter = (params: { readonly [param: string]: unknown }): string | undefined =>
  Object.keys(params).find((key) => RESERVED.has(key))

export interface AuthorizeInput {
  readonly action: Action
  readonly clientId: string
  readonly redirectUri: string
  readonly state: string
  readonly nonce: string
  readonly codeChallenge: string
  readonly idToken: string
  readonly connection: string
  readonly connectionScope?: string | undefined
  readonly organization?: string | undefined
  /** Caller's extra parameters (never a {@link RESERVED} one); `audience` overrides {@link AUDIENCE}. */
  readonly extra: { readonly [param: string]: string }
}

/**
 * The authorize parameters of a link or unlink: the caller's extras without any reserved name,
 * then the SDK's own, so a reserved name can never be overridden. A connection scope is sent for a link only.
 */
export const authorizeParams = (input: AuthorizeInput): Record<string, string> => {
  const params: Record<string, string> = { audience: AUDIENCE }
  for (const [key, value] of Object.entries(input.extra)) if (!RESERVED.has(key)) params[key] = value
  Object.assign(params, {
    client_id: input.clientId,
    response_type: "code",
    redirect_uri: input.redirectUri,
    scope: SCOPES[input.action],
    state: input.state,
    nonce: input.nonce,
    code_challenge: input.codeChallenge,
    code_challenge_method: "S256",
    id_token_hint: input.idToken,
    requested_connection: input.connection
  })
  if (input.action === "link" && input.connectionScope !== undefined) params["requested_connection_scope"] = input.connectionScope
  if (input.organization !== undefined) params["organization"] = input.organization
  return params
}

/**
 * The callback's ID token must be about the session's user: linking folds another identity
 * into the logged-in user, it never switches users. `undefined` when it is.
 */
export const subjectProblem = (sessionSub: string, tokenSub: string): string | undefined =>
  sessionSub === tokenSub ? undefined : "the ID token is about another user than the session's"
