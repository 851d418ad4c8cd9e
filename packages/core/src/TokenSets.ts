/**
 * Choosing and updating the access tokens a session holds, one set per audience and scope.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Scopes from "./Scopes.js"
import type { TokenSet } from "./Session.js"

/** Whether the token is still usable at `nowSeconds`, counting `leewaySeconds` as expired. */
export const isFresh = (set: { readonly expiresAt: number }, nowSeconds: number, leewaySeconds: number): boolean =>
  set.expiresAt - leewaySeconds > nowSeconds

/**
 * The stored token for `audience` whose scope covers `scope`, unexpired (with leeway); among
 * several, the one with the fewest scopes (least privilege), then the longest-lived.
 */
export const select = (
  sets: ReadonlyArray<TokenSet>,
  request: { readonly audience: string; readonly scope: string; readonly nowSeconds: number; readonly leewaySeconds: number }
): Option.Option<TokenSet> => {
  let best: TokenSet | undefined
  let bestSize = Infinity
  for (const set of sets) {
    if (set.audience !== request.audience) continue
    if (!isFresh(set, request.nowSeconds, request.leewaySeconds)) continue
    if (!Scopes.covers(set.scope, request.scope)) continue
    const size = Scopes.parse(set.scope).length
    if (size < bestSize || (size === bestSize && best !== undefined && set.expiresAt > best.expiresAt)) {
      best = set
      bestSize = size
    }
  }
  return Option.fromNullable(best)
}

/**
 * Adds a freshly issued token set: sets of the same audience whose scope it covers are
 * replaced (the new one is at least as capable and newer), and expired sets are dropped.
 */
export const upsert = (sets: ReadonlyArray<TokenSet>, fresh: TokenSet, nowSeconds: number): Array<TokenSet> => [
  ...sets.filter((set) =>
    set.expiresAt > nowSeconds && !(set.audience === fresh.audience && Scopes.covers(fresh.scope, set.scope))
  ),
  fresh
]
