/**
 * Pure rules of Auth0's Custom Token Exchange (RFC 8693 §2.1 at Auth0): which token type URIs a
 * customer may use. Each `subject_token_type` names one Custom Token Exchange profile, and must
 * be a URI in the customer's own namespace; Auth0 reserves some namespaces for itself.
 *
 * @see https://auth0.com/docs/authenticate/custom-token-exchange
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 * @since 0.1.0
 */

/** The RFC 8693 token-exchange grant. */
export const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"

/** URN namespaces Auth0 reserves (RFC 8141 NIDs, compared case-insensitively): `urn:ietf`, `urn:auth0`, `urn:okta`. */
export const RESERVED_URN_NAMESPACES: ReadonlyArray<string> = ["ietf", "auth0", "okta"]

/** Hosts Auth0 reserves for http(s) token types, with their subdomains: `auth0.com`, `okta.com`. */
export const RESERVED_HOSTS: ReadonlyArray<string> = ["auth0.com", "okta.com"]

/** RFC 8141 §2: `urn:<NID>:<NSS>`, the NID 2 to 32 letters, digits or hyphens, not starting or ending with one. */
const URN = /^urn:([a-z0-9][a-z0-9-]{0,30}[a-z0-9]):\S+$/i

/** Whether the host is a reserved one or below it (`auth0.com`, `www.auth0.com`, but not `notauth0.com`). */
export const isReservedHost = (host: string): boolean => {
  const lower = host.toLowerCase().replace(/\.$/, "")
  return RESERVED_HOSTS.some((reserved) => lower === reserved || lower.endsWith(`.${reserved}`))
}

/**
 * What is wrong with a token type URI for Custom Token Exchange, or `undefined` when Auth0
 * accepts it: a URN (`urn:acme:legacy-token`) or an http(s) URL (`https://acme.com/legacy-token`)
 * outside the reserved namespaces.
 */
export const tokenTypeProblem = (type: string, argument = "subjectTokenType"): string | undefined => {
  if (type.trim() !== type || type.length === 0) return `${argument} must be a URI without surrounding spaces`
  const urn = URN.exec(type)
  if (urn) {
    const nid = urn[1]!.toLowerCase()
    return RESERVED_URN_NAMESPACES.includes(nid)
      ? `${argument} uses the reserved namespace urn:${nid}; use a URI in your own namespace (e.g. urn:yourcompany:token-type)`
      : undefined
  }
  let url: URL
  try {
    url = new URL(type)
  } catch {
    return `${argument} must be a URN (urn:yourcompany:token-type) or an http(s) URL in your own namespace`
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${argument} must be a URN (urn:yourcompany:token-type) or an http(s) URL in your own namespace`
  }
  if (isReservedHost(url.hostname)) {
    return `${argument} is in the reserved namespace ${url.protocol}//${url.hostname.toLowerCase()}; use a URI in your own namespace`
  }
  return undefined
}

/**
 * The actor's token type (RFC 8693 §2.1 `actor_token_type`): any absolute URI, standard ones
 * (`urn:ietf:params:oauth:token-type:jwt`) included. What is wrong, or `undefined`.
 */
export const actorTokenTypeProblem = (type: string): string | undefined => {
  if (URN.test(type)) return undefined
  try {
    new URL(type)
    return type.trim() === type ? undefined : "actorTokenType must be a URI"
  } catch {
    return "actorTokenType must be a URI"
  }
}
