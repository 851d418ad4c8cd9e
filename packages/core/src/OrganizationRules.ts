/**
 * Pure rules of Auth0 Organizations: what the `organization` parameter may be, and which ID
 * token claim proves the login happened in it
 * (https://auth0.com/docs/manage-users/organizations/using-tokens#validate-tokens).
 *
 * @since 0.2.0
 */

/** Auth0 organization ids start with `org_`; anything else names the organization. */
export const ID_PREFIX = "org_"

/** Whether `organization` is an organization id (`org_...`) rather than a name. */
export const isOrganizationId = (organization: string): boolean => organization.startsWith(ID_PREFIX)

/**
 * An organization name as Auth0 compares it: case-insensitively. NFC first, so one name typed
 * with composed or decomposed accents compares equal (Auth0 stores names lowercase).
 */
export const normalizeName = (name: string): string => name.normalize("NFC").toLowerCase()

/**
 * What is wrong with an `organization` (or `invitation`) parameter value, or `undefined`: it is
 * sent as is in the authorize URL and compared with the token's claims, so it must be a
 * non-empty string without surrounding whitespace.
 */
export const parameterProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return "must be a string"
  if (value.length === 0) return "must not be empty"
  if (value.trim() !== value) return "must not start or end with whitespace"
  return undefined
}

/**
 * Auth0's token validation for a login to `requested`: with an id (`org_...`) the `org_id`
 * claim is present and equal to it; with a name the `org_name` claim is present and equal to it
 * compared case-insensitively ({@link normalizeName}). What is wrong, or `undefined`.
 */
export const claimProblem = (claims: { readonly [claim: string]: unknown }, requested: string): string | undefined => {
  if (isOrganizationId(requested)) {
    const orgId = claims["org_id"]
    if (typeof orgId !== "string") return "org_id is missing, though the login asked for an organization"
    return orgId === requested ? undefined : `org_id "${orgId}" is not the requested organization "${requested}"`
  }
  const orgName = claims["org_name"]
  if (typeof orgName !== "string") return "org_name is missing, though the login asked for an organization"
  return normalizeName(orgName) === normalizeName(requested)
    ? undefined
    : `org_name "${orgName}" is not the requested organization "${requested}"`
}

/** The organization a session belongs to, as its login's ID token named it. */
export interface SessionOrganization {
  readonly id: string
  readonly name?: string | undefined
}

/** The organization of validated ID token claims, if the token names one (`org_id`). */
export const fromClaims = (claims: { readonly [claim: string]: unknown }): SessionOrganization | undefined => {
  const id = claims["org_id"]
  if (typeof id !== "string" || id.length === 0) return undefined
  const name = claims["org_name"]
  return typeof name === "string" ? { id, name } : { id }
}

/**
 * A refreshed ID token belongs to the session's organization: its `org_id` equals the one the
 * session was created with. A session without an organization accepts any token (there is
 * nothing to keep). What is wrong, or `undefined`.
 */
export const refreshProblem = (
  organization: SessionOrganization | undefined,
  claims: { readonly [claim: string]: unknown }
): string | undefined => {
  if (organization === undefined) return undefined
  const orgId = claims["org_id"]
  if (orgId === organization.id) return undefined
  return typeof orgId === "string"
    ? `the refreshed ID token is for organization "${orgId}", the session for "${organization.id}"`
    : `the refreshed ID token has no org_id; the session is for organization "${organization.id}"`
}

/** The parameters of an invitation link (https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members). */
export interface InvitationParams {
  readonly invitation: string
  readonly organization: string
  /** `organization_name`, when the link carries it (for display only; never sent to the tenant). */
  readonly organizationName?: string | undefined
}

/**
 * Reads an invitation link's query: `invitation` and `organization` are required, each a valid
 * parameter ({@link parameterProblem}). The first problem names its parameter.
 */
export const parseInvitation = (
  query: URLSearchParams
): { readonly params: InvitationParams } | { readonly argument: "invitation" | "organization"; readonly problem: string; readonly missing: boolean } => {
  for (const argument of ["invitation", "organization"] as const) {
    const values = query.getAll(argument)
    if (values.length === 0) return { argument, problem: `the invitation URL has no ${argument} parameter`, missing: true }
    if (values.length > 1) return { argument, problem: `the invitation URL has ${argument} more than once`, missing: false }
    const problem = parameterProblem(values[0])
    if (problem !== undefined) return { argument, problem: `${argument} ${problem}`, missing: false }
  }
  const name = query.get("organization_name")
  return {
    params: {
      invitation: query.get("invitation")!,
      organization: query.get("organization")!,
      ...(name !== null && name.length > 0 ? { organizationName: name } : {})
    }
  }
}
