/**
 * Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0, poll mode) as Auth0 serves it
 * (https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-initiated-backchannel-authentication-flow):
 * oidc-provider's `features.ciba` behind `/bc-authorize`, with Auth0's `iss_sub` login hint,
 * its binding-message rule, `interval` in the answer and Rich Authorization Requests
 * (`authorization_details`, RFC 9396) echoed in the token response. The user's phone is played by
 * the test: `approveBackchannel` / `denyBackchannel`.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type Provider from "oidc-provider"
import type { errors as OidcErrors, KoaContextWithOIDC } from "oidc-provider"
import { authenticateClient } from "./ClientAuth.js"
import { mediaType, nowSeconds, sendOAuthError, withBody } from "./Http.js"
import type { State, UserRecord } from "./State.js"
import type { BackchannelRequest, BackchannelTarget, CibaOptions } from "./PublicTypes.js"
export type { BackchannelRequest, BackchannelTarget, CibaOptions } from "./PublicTypes.js"

const ERRORS_MODULE: string = "oidc-provider/lib/helpers/errors.js"
const errors = (await import(ERRORS_MODULE)) as typeof OidcErrors

/** Auth0's path of the backchannel authentication endpoint. */
export const CIBA_PATH = "/bc-authorize"
/** The CIBA grant type (CIBA Core §10.1). */
export const CIBA_GRANT = "urn:openid:params:grant-type:ciba"

/**
 * Auth0's binding_message rule: 1 to 64 characters, letters, digits, whitespace and `+-_.,:#`.
 * Auth0 requires the parameter.
 */
export const BINDING_MESSAGE = /^[A-Za-z0-9\s+\-_.,:#]{1,64}$/
/** Auth0's default lifetime of a backchannel request (seconds), and the longest `requested_expiry` it grants. */
export const DEFAULT_EXPIRY_SECONDS = 300
export const MAX_EXPIRY_SECONDS = 3600


export interface CibaState {
  readonly interval: number
  readonly defaultExpiry: number
  readonly requests: Map<string, BackchannelRequest>
  /** How many of the next polls answer `slow_down`. */
  slowDown: number
}

export const makeCibaState = (options: CibaOptions = {}): CibaState => ({
  interval: options.intervalSeconds ?? 5,
  defaultExpiry: options.expiresInSeconds ?? DEFAULT_EXPIRY_SECONDS,
  requests: new Map(),
  slowDown: 0
})

/**
 * RFC 9396 §2: `authorization_details` is a JSON array of objects, each with a string `type`.
 * The parsed array, or a description of what is wrong.
 */
export const parseAuthorizationDetails = (raw: string): Array<Record<string, unknown>> | string => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return "authorization_details is not JSON"
  }
  if (!Array.isArray(parsed)) return "authorization_details must be a JSON array"
  for (const entry of parsed) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return "each authorization detail must be an object"
    if (typeof (entry as Record<string, unknown>)["type"] !== "string") return "each authorization detail needs a string type"
  }
  return parsed as Array<Record<string, unknown>>
}

const paramOf = (ctx: KoaContextWithOIDC, name: string): string | undefined => {
  const value = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name]
  return typeof value === "string" && value.length > 0 ? value : undefined
}

const bodyOf = (ctx: KoaContextWithOIDC, name: string): string | undefined => {
  const value = (ctx.oidc as unknown as { body?: Record<string, unknown> }).body?.[name]
  return typeof value === "string" && value.length > 0 ? value : undefined
}

/** oidc-provider's `features.ciba`: poll mode, Auth0's login hint and binding message. */
export const cibaFeature = (state: State) => ({
  enabled: true,
  deliveryModes: ["poll"],
  /** Auth0's login_hint: `{"format":"iss_sub","iss":"<issuer>","sub":"<user id>"}` as a JSON string. */
  processLoginHint: async (_ctx: KoaContextWithOIDC, loginHint: string) => {
    let hint: unknown
    try {
      hint = JSON.parse(loginHint)
    } catch {
      throw new errors.InvalidRequest("login_hint must be a JSON object in the iss_sub format")
    }
    const { format, iss, sub } = (typeof hint === "object" && hint !== null ? hint : {}) as Record<string, unknown>
    if (format !== "iss_sub") throw new errors.InvalidRequest('login_hint format must be "iss_sub"')
    if (iss !== state.issuer) throw new errors.InvalidRequest(`login_hint iss must be "${state.issuer}"`)
    if (typeof sub !== "string" || sub.length === 0) throw new errors.InvalidRequest("login_hint sub is missing")
    return sub
  },
  processLoginHintToken: async () => {
    throw new errors.InvalidRequest("login_hint_token is not supported; use login_hint")
  },
  verifyUserCode: async () => undefined,
  validateRequestContext: async () => undefined,
  validateBindingMessage: async (_ctx: KoaContextWithOIDC, bindingMessage: string | undefined) => {
    if (bindingMessage === undefined || bindingMessage === "") {
      throw new errors.InvalidRequest("binding_message is required")
    }
    if (!BINDING_MESSAGE.test(bindingMessage)) {
      throw new errors.InvalidBindingMessage(
        "binding_message must be 1 to 64 letters, digits, whitespace or +-_.,:#"
      )
    }
  },
  triggerAuthenticationDevice: async (
    ctx: KoaContextWithOIDC,
    request: { readonly jti: string; readonly scope?: string; readonly resource?: string | ReadonlyArray<string>; readonly exp?: number },
    account: { readonly accountId: string },
    client: { readonly clientId: string }
  ) => {
    const details = bodyOf(ctx, "authorization_details")
    const parsed = details === undefined ? undefined : parseAuthorizationDetails(details)
    const resource = Array.isArray(request.resource) ? request.resource[0] : request.resource
    state.ciba.requests.set(request.jti, {
      authReqId: request.jti,
      clientId: client.clientId,
      sub: account.accountId,
      bindingMessage: paramOf(ctx, "binding_message"),
      scope: request.scope ?? "",
      audience: typeof resource === "string" ? resource : undefined,
      authorizationDetails: Array.isArray(parsed) ? parsed : undefined,
      expiresAt: request.exp ?? nowSeconds() + state.ciba.defaultExpiry,
      status: "pending"
    })
  }
})

/** `ttl.BackchannelAuthenticationRequest`: `requested_expiry` when given (at most an hour), else the default. */
export const cibaTtl = (state: State) => (ctx: KoaContextWithOIDC | undefined): number => {
  const requested = Number(ctx ? paramOf(ctx, "requested_expiry") : undefined)
  return Number.isSafeInteger(requested) && requested > 0 ? Math.min(requested, MAX_EXPIRY_SECONDS) : state.ciba.defaultExpiry
}

/** Rewrites a JSON body on its way out (status 200 only). */
const rewriteJson = (res: ServerResponse, change: (body: Record<string, unknown>) => void): void => {
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: Array<unknown>) => ServerResponse
  res.end = ((chunk?: unknown, ...rest: Array<unknown>) => {
    if (res.statusCode === 200 && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
      try {
        const body = JSON.parse(chunk.toString()) as Record<string, unknown>
        change(body)
        const text = JSON.stringify(body)
        res.setHeader("content-length", Buffer.byteLength(text))
        return end(text, ...rest.filter((r) => typeof r === "function"))
      } catch {
        // not JSON: leave it alone
      }
    }
    return end(chunk, ...rest)
  }) as typeof res.end
}

/**
 * POST /bc-authorize: the emulator authenticates the client (as at /oauth/token), checks
 * `authorization_details`, then oidc-provider handles the request; Auth0's answer also carries
 * `interval`.
 */
export const handleBackchannelAuthorize = async (
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
  forward: (req: IncomingMessage, res: ServerResponse) => unknown
): Promise<void> => {
  const params = mediaType(req) === "application/json" ? jsonForm(raw) : new URLSearchParams(raw)
  const auth = await authenticateClient(state, params, req.headers.authorization)
  if (!auth.ok) {
    return sendOAuthError(res, auth.status, auth.error, auth.description, auth.basic ? { "www-authenticate": 'Basic realm="auth0-emulator"' } : {})
  }
  const details = params.get("authorization_details")
  if (details !== null) {
    const parsed = parseAuthorizationDetails(details)
    if (typeof parsed === "string") return sendOAuthError(res, 400, "invalid_authorization_details", parsed)
  }
  for (const name of ["client_secret", "client_assertion", "client_assertion_type"]) params.delete(name)
  params.set("client_id", auth.client.clientId)
  delete req.headers.authorization
  req.headers["content-type"] = "application/x-www-form-urlencoded"
  rewriteJson(res, (body) => {
    body["interval"] = state.ciba.interval
  })
  forward(withBody(req, params.toString()), res)
}

const jsonForm = (raw: string): URLSearchParams => {
  const params = new URLSearchParams()
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>
    for (const [k, v] of Object.entries(parsed)) {
      if (v !== undefined && v !== null) params.set(k, typeof v === "object" ? JSON.stringify(v) : String(v))
    }
  } catch {
    // an empty form: oidc-provider names what is missing
  }
  return params
}

/**
 * A poll of the CIBA grant at /oauth/token, before oidc-provider answers it: `slow_down` when the
 * test asked for it (returns true: answered), else the success body gets the request's
 * `authorization_details` (returns false: oidc-provider answers).
 */
export const interceptCibaPoll = (state: State, params: URLSearchParams, res: ServerResponse): boolean => {
  if (state.ciba.slowDown > 0) {
    state.ciba.slowDown -= 1
    sendOAuthError(res, 400, "slow_down", "You are polling faster than allowed. Try again in 5 seconds.")
    return true
  }
  const request = state.ciba.requests.get(params.get("auth_req_id") ?? "")
  if (request?.authorizationDetails !== undefined) {
    const details = request.authorizationDetails
    rewriteJson(res, (body) => {
      body["authorization_details"] = details
    })
  }
  return false
}


const findRequest = (
  state: State,
  target: BackchannelTarget,
  findUser: (user: string) => UserRecord | undefined
): BackchannelRequest => {
  const { authReqId, user } = typeof target === "string" ? { authReqId: target, user: undefined } : target
  if (authReqId !== undefined) {
    const found = state.ciba.requests.get(authReqId)
    if (!found) throw new Error(`No backchannel request ${authReqId}`)
    if (found.status !== "pending") throw new Error(`Backchannel request ${authReqId} is already ${found.status}`)
    return found
  }
  if (user === undefined) throw new Error("Name the backchannel request by authReqId or user")
  const sub = findUser(user)?.sub ?? user
  const found = [...state.ciba.requests.values()].filter((r) => r.sub === sub && r.status === "pending").at(-1)
  if (!found) throw new Error(`No pending backchannel request for ${user}`)
  return found
}

interface GrantLike {
  addOIDCScope(scope: string): void
  addResourceScope(resource: string, scope: string): void
  save(): Promise<string>
}

/** The user approves on their device: a grant for what was asked, handed to oidc-provider. */
export const approveBackchannel = async (
  state: State,
  provider: Provider,
  target: BackchannelTarget,
  findUser: (user: string) => UserRecord | undefined,
  oidcScopes: ReadonlySet<string>
): Promise<void> => {
  const request = findRequest(state, target, findUser)
  const grant = new provider.Grant({ accountId: request.sub, clientId: request.clientId }) as unknown as GrantLike
  const scopes = request.scope.split(" ").filter((s) => s.length > 0)
  grant.addOIDCScope(scopes.filter((s) => oidcScopes.has(s)).join(" "))
  if (request.audience !== undefined) {
    const allowed = new Set(state.apis.get(request.audience) ?? [])
    grant.addResourceScope(request.audience, scopes.filter((s) => allowed.has(s)).join(" "))
  }
  const grantId = await grant.save()
  await provider.backchannelResult(request.authReqId, grantId, { authTime: nowSeconds() })
  request.status = "approved"
}

/** The user refuses on their device: the next poll answers `access_denied`. */
export const denyBackchannel = async (
  state: State,
  provider: Provider,
  target: BackchannelTarget,
  findUser: (user: string) => UserRecord | undefined
): Promise<void> => {
  const request = findRequest(state, target, findUser)
  await provider.backchannelResult(request.authReqId, new errors.AccessDenied("The user rejected the request"))
  request.status = "denied"
}
