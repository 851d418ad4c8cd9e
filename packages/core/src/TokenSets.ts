/**
 * Choosing and updating the access tokens a session holds, one set per audience and scope.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import { authorizationScheme } from "./DpopRules.js"
import * as Scopes from "./Scopes.js"
import type { TokenSet } from "./Session.js"

/**
 * The `tokenType` member to store for a token response's `token_type`: `{ tokenType: "DPoP" }`
 * for a DPoP-bound token (RFC 9449 §5), nothing for Bearer (a stored set without it is Bearer).
 */
export const tokenTypeField = (tokenType: string | undefined): { readonly tokenType?: "DPoP" } =>
  authorizationScheme(tokenType) === "DPoP" ? { tokenType: "DPoP" } : {}

/** Whether the token is still usable at `nowSeconds`, counting `leewaySeconds` as expired. */
export const isFresh = (set: { readonly expiresAt: number }, nowSeconds: number, leewaySeconds: number): boolean =>
  set.expiresAt - leewaySeconds > nowSeconds

/**
 * Whether `set` answers a request for `scope`: it covers the scope, or it is what the server
 * granted when asked for exactly this scope (RFC 6749 §3.3: the server may issue less than
 * asked; asking the same again before the token expires would get the same answer).
 */
export const serves = (set: TokenSet, scope: string): boolean =>
  Scopes.covers(set.scope, scope) || (set.requestedScope !== undefined && Scopes.equals(set.requestedScope, scope))

/**
 * The stored token for `audience` that serves `scope` ({@link serves}), unexpired (with leeway);
 * among several, the one with the fewest scopes (least privilege), then the longest-lived.
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
    if (!serves(set, request.scope)) continue
    const size = Scopes.parse(set.scope).length
    if (size < bestSize || (size === bestSize && best !== undefined && set.expiresAt > best.expiresAt)) {
      best = set
      bestSize = size
    }
  }
  return Option.fromNullable(best)
}

/**
 * The set to store for a token the server issued for `requested`: with `requestedScope` only
 * when it granted less than asked, so that {@link serves} remembers the refusal.
 */
export const issued = (fields: Omit<TokenSet, "requestedScope">, requested: string): TokenSet =>
  Scopes.covers(fields.scope, requested) ? fields : { ...fields, requestedScope: requested }

/** Whether `fresh` can stand in for `old`: same audience, serves every request `old` served, and lives as long. */
export const supersedes = (fresh: TokenSet, old: TokenSet): boolean =>
  fresh.audience === old.audience &&
  fresh.expiresAt >= old.expiresAt &&
  Scopes.covers(fresh.scope, old.scope) &&
  (old.requestedScope === undefined || serves(fresh, old.requestedScope))

/**
 * Adds a freshly issued token set: sets it {@link supersedes} are replaced, expired sets are
 * dropped, and a set with the same access token is not stored twice.
 */
export const upsert = (sets: ReadonlyArray<TokenSet>, fresh: TokenSet, nowSeconds: number): Array<TokenSet> => [
  ...sets.filter((set) => set.expiresAt > nowSeconds && set.accessToken !== fresh.accessToken && !supersedes(fresh, set)),
  fresh
]
