/**
 * The rule for every URL the tenant hands us (discovery endpoints, `jwks_uri`, My Account's
 * `connect_uri`): https on a trusted origin, http only on loopback with `allowInsecureHttp`.
 *
 * @internal
 */
import { isLoopbackHost } from "../Auth0Config.js"

export interface TenantUrlPolicy {
  /** The tenant's origin and the configured `trustedOrigins`, normalised (`https://host[:port]`). */
  readonly trustedOrigins: ReadonlyArray<string>
  readonly allowInsecureHttp: boolean
}

/**
 * Why a tenant-supplied URL must not be used, or `undefined` when it may. An endpoint on another
 * origin would get our client secret (token, PAR) or choose the keys our ID tokens are checked
 * with (JWKS): the mix-up and metadata-injection attacks of RFC 9700 §4.4 and RFC 8414 §3.3 /
 * §6. Endpoints need TLS and carry no fragment (RFC 6749 §3.1, §3.2); a `javascript:` or
 * `data:` URL must never become a redirect (RFC 9700 §4.11).
 */
export const tenantUrlProblem = (value: unknown, policy: TenantUrlPolicy): string | undefined => {
  if (typeof value !== "string") return "is not a string"
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return "is not an absolute URL"
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `has the scheme "${url.protocol.slice(0, 20)}", not https`
  if (url.protocol === "http:" && !(policy.allowInsecureHttp && isLoopbackHost(url.hostname))) {
    return "is plain http (allowed only for loopback hosts with allowInsecureHttp)"
  }
  if (url.username !== "" || url.password !== "") return "carries credentials"
  if (url.hash !== "") return "has a fragment"
  if (!policy.trustedOrigins.includes(url.origin)) {
    return `is on ${url.origin}, which is neither the tenant's origin nor in trustedOrigins`
  }
  return undefined
}
