/**
 * Pure rules of configuration validation: value-free problem messages, the nearest option name
 * for a typo, cookie attribute and prefix rules, session lifetimes. No services; each is
 * table- or property-tested.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import type { ConfigurationIssue } from "./Errors.js"

/**
 * Levenshtein distance of two strings, case-insensitive (a wrong case is the most common typo:
 * `clientID`, `redirectURI`).
 */
export const editDistance = (a: string, b: string): number => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const current = [i]
    for (let j = 1; j <= y.length; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[y.length]!
}

/**
 * The known option closest to an unknown one, if it is close enough to be a typo: at most
 * 2 edits, or 40% of the option's length for long names, or one name containing the other
 * (`baseURL` for `appBaseUrl`). Ties go to the first known name.
 */
export const nearestOption = (unknown: string, known: ReadonlyArray<string>): string | undefined => {
  let best: { readonly name: string; readonly distance: number } | undefined
  for (const name of known) {
    const distance = editDistance(unknown, name)
    const contains = unknown.length >= 4 &&
      (name.toLowerCase().includes(unknown.toLowerCase()) || unknown.toLowerCase().includes(name.toLowerCase()))
    const close = distance <= Math.max(2, Math.floor(name.length * 0.4)) || contains
    if (close && (best === undefined || distance < best.distance)) best = { name, distance }
  }
  return best?.name
}

/** The problem for one unknown top-level option, with a suggestion when there is one. */
export const unknownOptionProblem = (key: string, known: ReadonlyArray<string>): ConfigurationIssue => {
  const suggestion = nearestOption(key, known)
  return {
    field: key,
    message: `Invalid Auth0 option "${key}": unknown option${suggestion ? `; did you mean "${suggestion}"?` : ""}`
  }
}

/**
 * A Schema issue as a message that names the problem and never the value: `Type` issues print
 * `Expected X, actual <value>`, and the value may be a secret in the wrong place (CWE-532).
 * Messages from our own annotations never contain the value.
 */
export const valueFreeMessage = (message: string): string => {
  const expected = /^Expected ([\s\S]*?), actual [\s\S]*$/.exec(message)
  if (expected) return `expected ${expected[1]}`
  return message
}

/**
 * Every decoding problem, with its path and a value-free message; one per field (an optional
 * option's union adds "expected undefined" beside the real problem).
 */
export const decodeIssues = (error: ParseResult.ParseError): ReadonlyArray<ConfigurationIssue> => {
  const byField = new Map<string, ConfigurationIssue>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const field = issue.path.map(String).join(".") || "(root)"
    if (!byField.has(field)) byField.set(field, { field, message: `Invalid Auth0 option "${field}": ${valueFreeMessage(issue.message)}` })
  }
  return [...byField.values()]
}

/**
 * A cookie attribute value that could inject attributes or split the header: `;`, whitespace,
 * or any control character (RFC 6265 §4.1.1: `path-value` and `domain-value` exclude CTLs and
 * `;`; whitespace is never valid in either).
 */
export const unsafeAttribute = (value: string): boolean => /[\s;\u0000-\u001f\u007f]/.test(value)

/**
 * Cookie name prefixes (RFC 6265bis §4.1.3): `__Secure-` needs Secure; `__Host-` needs Secure,
 * no Domain and Path `/`. Browsers drop a cookie that breaks them, so the session would
 * silently vanish. Returns the problem, or `undefined`.
 */
export const cookiePrefixProblem = (
  name: string,
  cookie: { readonly secure: boolean; readonly domain?: string | undefined; readonly path: string }
): string | undefined => {
  const lower = name.toLowerCase()
  if (lower.startsWith("__host-")) {
    if (!cookie.secure) return "a __Host- cookie needs cookie.secure (RFC 6265bis §4.1.3.2)"
    if (cookie.domain !== undefined) return "a __Host- cookie cannot have cookie.domain (RFC 6265bis §4.1.3.2)"
    if (cookie.path !== "/") return "a __Host- cookie needs cookie.path \"/\" (RFC 6265bis §4.1.3.2)"
  }
  if (lower.startsWith("__secure-") && !cookie.secure) return "a __Secure- cookie needs cookie.secure (RFC 6265bis §4.1.3.1)"
  return undefined
}

/** The absolute lifetime bounds the inactivity one; shorter would end every session early, and silently. */
export const lifetimeProblem = (session: { readonly inactivityDuration: number; readonly absoluteDuration: number }) =>
  session.absoluteDuration < session.inactivityDuration
    ? "must be at least session.inactivityDuration (the absolute lifetime caps the inactivity timeout)"
    : undefined

/** One message for several issues; a single issue keeps its own message. */
export const summary = (issues: ReadonlyArray<ConfigurationIssue>): string =>
  issues.length === 1
    ? issues[0]!.message
    : `${issues.length} invalid Auth0 options:\n${issues.map((issue) => `  - ${issue.message}`).join("\n")}`
