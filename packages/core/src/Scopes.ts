/**
 * Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive, order-insensitive sets.
 *
 * @since 0.1.0
 */

/** The distinct scope tokens of a scope string, in first-seen order. */
export const parse = (scope: string | undefined): ReadonlyArray<string> => {
  if (!scope) return []
  return Array.from(new Set(scope.split(/\s+/).filter((s) => s.length > 0)))
}

/** Joins scope lists into one scope string without duplicates, keeping first-seen order. */
export const merge = (...scopes: ReadonlyArray<string | undefined>): string =>
  Array.from(new Set(scopes.flatMap((s) => parse(s)))).join(" ")

/** Whether `granted` includes every token of `requested`. */
export const covers = (granted: string, requested: string): boolean => {
  const have = new Set(parse(granted))
  return parse(requested).every((s) => have.has(s))
}

/** Same set of tokens, whatever the order. */
export const equals = (a: string, b: string): boolean => covers(a, b) && covers(b, a)

/** A login scope: always contains `openid` (OIDC Core §3.1.2.1). */
export const forLogin = (...scopes: ReadonlyArray<string | undefined>): string => merge("openid", ...scopes)

/**
 * The scope to request for an audience: the configured defaults for that audience merged with
 * what the caller asked for (the MRRT defaults of the configuration's scope map).
 */
export const forAudience = (
  configured: ReadonlyMap<string, string>,
  audience: string | undefined,
  requested: string | undefined
): string => merge(configured.get(audience ?? ""), requested)
