/**
 * Refresh token rotation's breach detection, as Auth0 does it
 * (https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation#automatic-reuse-detection):
 * every token rotated from one login belongs to one family; presenting a token that was already
 * rotated away, later than the client's reuse interval allows, revokes the whole family, so the
 * current token of that family stops working too. An SDK that coordinates its refreshes never
 * presents a rotated-away token: tests count {@link RefreshFamilyState.reuseDetections} to prove it.
 *
 * @internal
 */
import type { RefreshGrant } from "./State.js"

export interface RotatedToken {
  readonly family: string
  readonly grant: RefreshGrant
  /** Seconds since the epoch when it was rotated away. */
  readonly at: number
}

export interface RefreshFamilyState {
  /** Rotated-away refresh tokens, by value. */
  readonly rotated: Map<string, RotatedToken>
  /** Families revoked by a detected reuse. */
  readonly revoked: Set<string>
  /** How many times a rotated-away token was presented outside the reuse interval. */
  reuseDetections: number
}

export const makeRefreshFamilyState = (): RefreshFamilyState => ({ rotated: new Map(), revoked: new Set(), reuseDetections: 0 })

/** The family a grant belongs to: the one it inherited on rotation, else the login's grant, else the token itself. */
export const familyOf = (grant: RefreshGrant, value: string): string => grant.family ?? grant.grantId ?? value

/** What presenting a rotated-away token means: still usable inside the reuse interval, else a breach. */
export const presentRotated = (
  families: RefreshFamilyState,
  rotated: RotatedToken,
  reuseIntervalSeconds: number,
  now: number
): "reusable" | "breach" => {
  if (!families.revoked.has(rotated.family) && now - rotated.at < reuseIntervalSeconds) return "reusable"
  if (!families.revoked.has(rotated.family)) families.reuseDetections++
  families.revoked.add(rotated.family)
  return "breach"
}
