import type Provider from "oidc-provider"
import type { Configuration, errors as OidcErrors, KoaContextWithOIDC } from "oidc-provider"
import { makeMemoryAdapter } from "./Adapter.js"
import { CIBA_GRANT, CIBA_PATH, cibaFeature, cibaTtl } from "./Ciba.js"
import type { TenantKey } from "./Keys.js"
import { logoutPage, messagePage, errorPage } from "./Pages.js"
import { randomId } from "./Http.js"
import { identitiesOf, LINKING_SCOPES } from "./AccountLinking.js"
import { admit, organizationClaims, requested as requestedOrganization, isRefusal } from "./Organizations.js"
import type { State } from "./State.js"

/**
 * oidc-provider's entry module (lib/index.js) prints "Unsupported runtime" as it is loaded on any
 * Node.js older than 22 LTS. The emulator runs and is tested on Node 20, so it loads the two
 * modules it needs directly, which skips that check without patching node_modules (the version
 * is pinned exactly in package.json). Specifiers in variables: the typed API is oidc-provider's own.
 */
const PROVIDER_MODULE: string = "oidc-provider/lib/provider.js"
const ERRORS_MODULE: string = "oidc-provider/lib/helpers/errors.js"
const { Provider: ProviderClass } = (await import(PROVIDER_MODULE)) as { readonly Provider: typeof Provider }
const errors = (await import(ERRORS_MODULE)) as typeof OidcErrors

/** Scopes that belong to OpenID Connect rather than to an API. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(["openid", "profile", "email", "address", "phone", "offline_access"])

/** Claims released per scope (OIDC Core §5.4); Auth0 returns the same standard set. */
export const CLAIMS_BY_SCOPE: Record<string, ReadonlyArray<string>> = {
  openid: ["sub"],
  email: ["email", "email_verified"],
  profile: [
    "name",
    "nickname",
    "picture",
    "given_name",
    "family_name",
    "middle_name",
    "preferred_username",
    "profile",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at"
  ],
  phone: ["phone_number", "phone_number_verified"],
  address: ["address"]
}

/** Claims of the login rather than the profile: the organization (Auth0) and linked identities. */
export const SESSION_CLAIMS: ReadonlyArray<string> = ["org_id", "org_name", "identities"]

/** Paths of the OIDC endpoints, as Auth0 names them. */
export const ROUTES = {
  authorization: "/authorize",
  token: "/oauth/token",
  pushed_authorization_request: "/oauth/par",
  jwks: "/.well-known/jwks.json",
  userinfo: "/userinfo",
  end_session: "/oidc/logout",
  revocation: "/oauth/revoke",
  backchannel_authentication: CIBA_PATH
} as const

/** The slice of an oidc-provider Grant the emulator touches. */
interface GrantLike {
  addOIDCScope(scope: string): void
  addOIDCClaims(claims: ReadonlyArray<string>): void
  addResourceScope(resource: string, scope: string): void
  save(): Promise<string>
}

/** oidc-provider with Auth0's paths, PKCE S256 required, `audience` mapped to a resource indicator and consent granted automatically. */
export const makeProvider = (state: State, key: TenantKey): Provider => {
  const apiScopes = (audience: string): ReadonlyArray<string> | undefined => state.apis.get(audience)
  const audienceParam = (ctx: KoaContextWithOIDC): string | undefined => {
    const value = (ctx.oidc.params as Record<string, unknown> | undefined)?.["audience"]
    return typeof value === "string" && value.length > 0 ? value : undefined
  }

  const configuration: Configuration = {
    clients: [...state.clients.values()].map((client) => ({
      client_id: client.clientId,
      // The emulator authenticates clients itself (secret post/basic and private_key_jwt for
      // every client, like Auth0) before oidc-provider sees the request.
      token_endpoint_auth_method: "none",
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      grant_types: ["authorization_code", "refresh_token", CIBA_GRANT],
      backchannel_token_delivery_mode: "poll",
      response_types: ["code"],
      dpop_bound_access_tokens: state.dpop.required
    })),
    adapter: makeMemoryAdapter(),
    jwks: { keys: [key.privateJwk as never] },
    cookies: { keys: [randomId(32)] },
    findAccount: (_ctx, sub, token) => {
      const user = state.users.get(sub)
      if (!user) return undefined
      const grantId = (token as { grantId?: string } | undefined)?.grantId
      return {
        accountId: sub,
        claims: () => ({ ...user.claims, sub, identities: identitiesOf(state.linking, user), ...organizationClaims(state.organizations, grantId) })
      }
    },
    claims: {
      ...Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
      // Auth0 adds the organization to every token of an organization login; the emulator shows identities too.
      openid: [...(CLAIMS_BY_SCOPE["openid"] ?? []), ...SESSION_CLAIMS]
    },
    scopes: [...OIDC_SCOPES, ...LINKING_SCOPES],
    conformIdTokenClaims: false,
    // session_transfer_token and login_ticket: one-time logins (internal/SessionTransfer.ts).
    extraParams: ["audience", "organization", "invitation", "requested_connection", "requested_connection_scope", "session_transfer_token", "login_ticket"],
    pkce: { required: () => true },
    responseTypes: ["code"],
    routes: ROUTES,
    ttl: {
      AccessToken: state.accessTokenTtl,
      AuthorizationCode: 600,
      IdToken: 36000,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 30 * 24 * 3600,
      RefreshToken: 30 * 24 * 3600,
      PushedAuthorizationRequest: 600,
      BackchannelAuthenticationRequest: cibaTtl(state)
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
    extraTokenClaims: (_ctx, token) => ({
      azp: token.clientId,
      ...organizationClaims(state.organizations, (token as { grantId?: string }).grantId)
    }),
    interactions: { url: (_ctx, interaction) => `/u/login/${interaction.uid}` },
    // First-party applications skip consent on Auth0: grant whatever was asked for.
    loadExistingGrant: async (ctx) => {
      const oidc = ctx.oidc
      if (!oidc.session?.accountId || !oidc.client) return undefined
      const existing = oidc.result?.["consent"] as { grantId?: string } | undefined
      const grantId = existing?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId)
      // A login to an organization gets a grant of its own, so its tokens carry that organization.
      const organization = requestedOrganization(state.organizations, oidc.params as Record<string, unknown>)
      if (isRefusal(organization)) throw new errors.InvalidRequest(organization.description)
      const user = state.users.get(oidc.session.accountId)
      // The login page admitted (or refused) the user; this covers a login through an existing session.
      if (organization && user && !organization.members.has(user.sub)) {
        const refusal = admit(state.organizations, oidc.params as Record<string, unknown>, oidc.client.clientId, user)
        if (refusal) throw new errors.AccessDenied(refusal.description)
      }
      const sameOrganization = (id: string | undefined) => id !== undefined && state.organizations.grants.get(id) === organization?.id
      const found = grantId && sameOrganization(grantId) ? await oidc.provider.Grant.find(grantId) : undefined
      const grant = (found ??
        new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId })) as unknown as GrantLike
      const requested = [...(oidc.requestParamScopes as Set<string>)]
      grant.addOIDCScope(requested.filter((s) => OIDC_SCOPES.has(s)).join(" "))
      const claims = Object.keys({
        ...((oidc.requestParamClaims as unknown as { id_token?: object; userinfo?: object } | undefined)?.id_token ?? {}),
        ...((oidc.requestParamClaims as unknown as { id_token?: object; userinfo?: object } | undefined)?.userinfo ?? {})
      })
      if (claims.length > 0) grant.addOIDCClaims(claims)
      for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
        const allowed = new Set((server.scope ?? "").split(" "))
        grant.addResourceScope(indicator, requested.filter((s) => allowed.has(s)).join(" "))
      }
      const savedId = await grant.save()
      if (organization) state.organizations.grants.set(savedId, organization.id)
      else state.organizations.grants.delete(savedId)
      return grant as never
    },
    renderError: (ctx, out) => {
      ctx.type = "html"
      ctx.body = errorPage(out.error, out.error_description ?? "")
    },
    enabledJWA: { dPoPSigningAlgValues: ["ES256", "EdDSA", "Ed25519", "RS256", "PS256"] },
    features: {
      devInteractions: { enabled: false },
      // RFC 9449; the nonce secret is shared with internal/Dpop.ts, so one nonce serves the origin.
      dPoP: { enabled: true, nonceSecret: state.dpop.nonceSecret, requireNonce: () => state.dpop.requireNonce },
      ciba: cibaFeature(state) as never,
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = "html"
          ctx.body = logoutPage(form)
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = "html"
          ctx.body = messagePage("Logged out", "You are logged out.")
        }
      },
      resourceIndicators: {
        enabled: true,
        // Auth0 takes the API as `audience`; it becomes oidc-provider's resource indicator.
        defaultResource: (ctx) => audienceParam(ctx) as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const scopes = apiScopes(resource)
          if (!scopes) {
            // Auth0 answers an unknown audience with access_denied, not RFC 8707's invalid_target.
            throw new errors.AccessDenied(`Service not found: ${resource}`)
          }
          return {
            audience: resource,
            scope: scopes.join(" "),
            accessTokenTTL: state.accessTokenTtl,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } }
          }
        }
      }
    }
  }
  const provider = new ProviderClass(state.issuer, configuration)
  // Auth0 puts `sid` in every ID token; oidc-provider only does for back-channel session clients.
  ;(provider.Client as unknown as { prototype: { includeSid: () => boolean } }).prototype.includeSid = () => true
  return provider
}

/**
 * oidc-provider follows OIDC Core §11 and drops `offline_access` unless the prompts include
 * `consent` (lib/actions/authorization/scopes.js); Auth0 issues the refresh token whatever the
 * prompt. Add `consent` to the prompts (it is then granted automatically): `prompt` absent becomes
 * `consent`, `login` becomes `login consent`. `prompt=none` must stay alone (OIDC Core §3.1.2.1),
 * so it is left as is and oidc-provider drops `offline_access` (docs/testing.md says so).
 * Returns whether `params` changed.
 */
export const withOfflineAccessPrompt = (params: URLSearchParams): boolean => {
  const scopes = (params.get("scope") ?? "").split(" ")
  if (!scopes.includes("offline_access")) return false
  const prompts = (params.get("prompt") ?? "").split(" ").filter((p) => p.length > 0)
  if (prompts.includes("consent") || prompts.includes("none")) return false
  params.set("prompt", [...prompts, "consent"].join(" "))
  return true
}
