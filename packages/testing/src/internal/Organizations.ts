/**
 * Auth0 Organizations, emulated: organizations with ids (`org_...`), names and members,
 * invitations, the `org_id`/`org_name` claims, and logins refused to non-members
 * (https://auth0.com/docs/manage-users/organizations).
 */
import { randomId } from "./Http.js"
import type { UserRecord } from "./State.js"

export interface Organization {
  readonly id: string
  /** Lowercase, as Auth0 stores organization names. */
  readonly name: string
  readonly displayName: string | undefined
  readonly members: Set<string>
}

export interface Invitation {
  readonly id: string
  readonly organizationId: string
  readonly email: string
  readonly clientId: string
  readonly url: string
  accepted: boolean
}

/** What the emulator knows about organizations; one per emulator instance. */
export interface OrganizationsState {
  readonly byId: Map<string, Organization>
  readonly invitations: Map<string, Invitation>
  /** oidc-provider grant id => the organization its tokens are for. */
  readonly grants: Map<string, string>
}

export const makeOrganizationsState = (): OrganizationsState => ({
  byId: new Map(),
  invitations: new Map(),
  grants: new Map()
})

/** Auth0's rule for organization names: lowercase letters, digits, `-` and `_`, 1 to 50 characters. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,49}$/

/** Creates an organization; `id` defaults to `org_<random>`. Throws on a bad or taken name or id. */
export const createOrganization = (
  orgs: OrganizationsState,
  input: { readonly name: string; readonly id?: string | undefined; readonly displayName?: string | undefined }
): Organization => {
  if (!NAME_PATTERN.test(input.name)) {
    throw new Error(`Organization name "${input.name}" must be lowercase letters, digits, "-" or "_" (at most 50)`)
  }
  const id = input.id ?? `org_${randomId(12)}`
  if (!id.startsWith("org_")) throw new Error(`Organization id "${id}" must start with "org_"`)
  if (orgs.byId.has(id)) throw new Error(`Organization ${id} already exists`)
  if (findOrganization(orgs, input.name)) throw new Error(`An organization named "${input.name}" already exists`)
  const org: Organization = { id, name: input.name, displayName: input.displayName, members: new Set() }
  orgs.byId.set(id, org)
  return org
}

/** By id (exact), else by name (case-insensitively, as Auth0 resolves the `organization` parameter). */
export const findOrganization = (orgs: OrganizationsState, idOrName: string): Organization | undefined =>
  orgs.byId.get(idOrName) ?? [...orgs.byId.values()].find((o) => o.name === idOrName.toLowerCase())

/** Adds a member (idempotent). */
export const addMember = (org: Organization, sub: string): void => {
  org.members.add(sub)
}

/**
 * An invitation, with the link Auth0 sends: the application login URI with `invitation`,
 * `organization` and `organization_name` (https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members).
 */
export const createInvitation = (
  orgs: OrganizationsState,
  org: Organization,
  input: { readonly email: string; readonly clientId: string; readonly loginUri: string }
): Invitation => {
  const id = randomId(16)
  const url = new URL(input.loginUri)
  url.searchParams.set("invitation", id)
  url.searchParams.set("organization", org.id)
  url.searchParams.set("organization_name", org.name)
  const invitation: Invitation = {
    id,
    organizationId: org.id,
    email: input.email,
    clientId: input.clientId,
    url: url.href,
    accepted: false
  }
  orgs.invitations.set(id, invitation)
  return invitation
}

export interface Refusal {
  readonly error: string
  readonly description: string
}

const param = (params: Record<string, unknown>, name: string): string | undefined => {
  const value = params[name]
  return typeof value === "string" && value.length > 0 ? value : undefined
}

/**
 * The organization an authorization request asks for. An unknown one is refused the way Auth0
 * refuses it (`invalid_request`); `undefined` when the request names none.
 */
export const requested = (orgs: OrganizationsState, params: Record<string, unknown>): Organization | Refusal | undefined => {
  const asked = param(params, "organization")
  if (asked === undefined) {
    return param(params, "invitation") === undefined
      ? undefined
      : { error: "invalid_request", description: "parameter organization is required with invitation" }
  }
  return findOrganization(orgs, asked) ?? { error: "invalid_request", description: `parameter organization is invalid: no organization "${asked}"` }
}

export const isRefusal = (value: Organization | Refusal | undefined): value is Refusal =>
  value !== undefined && "error" in value

/**
 * Admits `user` to the organization the request names: a member, or the invitee of a pending
 * invitation to it (who then becomes a member). Anyone else is refused with `access_denied`.
 */
export const admit = (
  orgs: OrganizationsState,
  params: Record<string, unknown>,
  clientId: string,
  user: UserRecord
): Refusal | undefined => {
  const org = requested(orgs, params)
  if (org === undefined) return undefined
  if (isRefusal(org)) return org
  const ticket = param(params, "invitation")
  if (ticket !== undefined) {
    const invitation = orgs.invitations.get(ticket)
    if (!invitation || invitation.organizationId !== org.id || invitation.clientId !== clientId || invitation.accepted) {
      return { error: "access_denied", description: "The invitation is invalid, was already used, or is for another organization" }
    }
    if (invitation.email !== user.claims["email"]) {
      return { error: "access_denied", description: "The invitation was sent to another email address" }
    }
    invitation.accepted = true
    org.members.add(user.sub)
    return undefined
  }
  if (!org.members.has(user.sub)) {
    return { error: "access_denied", description: `User is not a member of organization ${org.id}` }
  }
  return undefined
}

/** The organization claims of tokens issued under `grantId`. */
export const organizationClaims = (orgs: OrganizationsState, grantId: string | undefined): Record<string, string> => {
  const id = grantId === undefined ? undefined : orgs.grants.get(grantId)
  const org = id === undefined ? undefined : orgs.byId.get(id)
  return org ? { org_id: org.id, org_name: org.name } : {}
}
