/**
 * Client-initiated account linking, emulated the way Auth0's account-linking Action does it
 * (https://auth0.com/docs/manage-users/user-accounts/user-account-linking): an authorize request
 * with `scope` containing `link_account` (or `unlink_account`), the session's `id_token_hint`
 * and a `requested_connection`.
 *
 * - link: the user logs in with an account of the requested connection; its identity moves into
 *   the hinted (primary) user's `identities`, the secondary user stops existing on its own, and
 *   the login completes as the primary user.
 * - unlink: the primary user logs in again; the identity of the requested connection leaves
 *   `identities` and becomes a user of its own again.
 */
import * as jose from "jose"
import type { Refusal } from "./Organizations.js"
import type { UserRecord } from "./State.js"

/** One entry of a user's `identities`, as Auth0's user profile shows it. */
export interface Identity {
  readonly provider: string
  readonly user_id: string
  readonly connection: string
  readonly isSocial: boolean
}

/** The scopes that make an authorize request a linking request. */
export const LINKING_SCOPES: ReadonlyArray<string> = ["link_account", "unlink_account"]

/** primary user's sub => the users linked into it, in link order. */
export type LinkingState = Map<string, Array<UserRecord>>

export const makeLinkingState = (): LinkingState => new Map()

const NON_SOCIAL = new Set(["auth0", "email", "sms", "samlp", "waad", "adfs", "ad", "oidc", "oauth2"])

/** A user's own identity: provider and id from its `sub` (`provider|id`), the connection from its `connection` claim or the provider. */
export const identityOf = (user: UserRecord): Identity => {
  const bar = user.sub.indexOf("|")
  const provider = bar > 0 ? user.sub.slice(0, bar) : "auth0"
  const userId = bar > 0 ? user.sub.slice(bar + 1) : user.sub
  const claimed = user.claims["connection"]
  const connection = typeof claimed === "string" ? claimed : provider === "auth0" ? "Username-Password-Authentication" : provider
  return { provider, user_id: userId, connection, isSocial: !NON_SOCIAL.has(provider) }
}

/** The `identities` of a user: its own first, then the linked ones. */
export const identitiesOf = (linking: LinkingState, user: UserRecord): Array<Identity> => [
  identityOf(user),
  ...(linking.get(user.sub) ?? []).map(identityOf)
]

const scopes = (params: Record<string, unknown>): Array<string> =>
  typeof params["scope"] === "string" ? params["scope"].split(" ") : []

/** Which linking request this authorization is, if any. */
export const linkingAction = (params: Record<string, unknown>): "link" | "unlink" | undefined => {
  const asked = scopes(params)
  if (asked.includes("link_account")) return "link"
  if (asked.includes("unlink_account")) return "unlink"
  return undefined
}

/** The account a login completes as, or why the linking request is refused. */
export type LinkOutcome = { readonly accountId: string } | Refusal

/**
 * Runs the linking part of a login by `user`. oidc-provider has already verified the
 * `id_token_hint` (signature, issuer, audience) before the login page, so its `sub` is trusted.
 */
export const onLogin = (
  linking: LinkingState,
  users: Map<string, UserRecord>,
  params: Record<string, unknown>,
  user: UserRecord
): LinkOutcome => {
  const action = linkingAction(params)
  if (action === undefined) return { accountId: user.sub }
  const hint = typeof params["id_token_hint"] === "string" ? params["id_token_hint"] : undefined
  if (hint === undefined) return { error: "invalid_request", description: `${action}_account requires id_token_hint` }
  let primarySub: unknown
  try {
    primarySub = jose.decodeJwt(hint).sub
  } catch {
    return { error: "invalid_request", description: "id_token_hint is not a JWT" }
  }
  const primary = typeof primarySub === "string" ? users.get(primarySub) : undefined
  if (!primary) return { error: "access_denied", description: "The id_token_hint's user does not exist" }
  const connection = typeof params["requested_connection"] === "string" ? params["requested_connection"] : ""
  if (connection === "") return { error: "invalid_request", description: `${action}_account requires requested_connection` }
  const linked = linking.get(primary.sub) ?? []

  if (action === "link") {
    if (user.sub === primary.sub) {
      return { error: "access_denied", description: "Log in with the account to link, not with the account already logged in" }
    }
    if (identityOf(user).connection !== connection) {
      return { error: "access_denied", description: `The account is not from the requested connection "${connection}"` }
    }
    if (linked.some((u) => identityOf(u).connection === connection)) {
      return { error: "access_denied", description: `An identity of connection "${connection}" is already linked` }
    }
    users.delete(user.sub)
    linking.set(primary.sub, [...linked, user])
    return { accountId: primary.sub }
  }

  if (user.sub !== primary.sub) {
    return { error: "access_denied", description: "Unlinking needs the logged-in user to authenticate again" }
  }
  const index = linked.findIndex((u) => identityOf(u).connection === connection)
  if (index < 0) return { error: "access_denied", description: `No identity of connection "${connection}" is linked` }
  const [secondary] = linked.splice(index, 1)
  if (secondary) users.set(secondary.sub, secondary)
  if (linked.length === 0) linking.delete(primary.sub)
  return { accountId: primary.sub }
}

/** The audience the account-linking Action's requests name (an API identifier, not a URL). */
export const LINKING_AUDIENCE = "my-account"

/**
 * The linking requests name `audience=my-account`, the API an account-linking Action is set up
 * with; oidc-provider takes only absolute URIs as resource indicators, so the emulator drops
 * that audience from a linking request (its access token is of no use to the app anyway).
 * Returns whether `params` changed.
 */
export const withoutLinkingAudience = (params: URLSearchParams): boolean => {
  if (params.get("audience") !== LINKING_AUDIENCE) return false
  if (linkingAction({ scope: params.get("scope") ?? "" }) === undefined) return false
  params.delete("audience")
  return true
}
