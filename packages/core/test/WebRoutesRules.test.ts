/**
 * The routes' pure rules as properties: routing and 405s (RFC 9110 §15.5.6), the logout
 * same-origin verdict (OWASP CSRF Prevention: Fetch Metadata and Origin), and failure log lines
 * that no input can split or fill with a secret (CWE-117, CWE-532).
 */
import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { AuthorizationError, TokenEndpointError, TransportError } from "../src/Errors.js"
import { failureLine, logoutVerdict, matchRoute, type RoutePaths } from "../src/WebRoutesRules.js"

const APP = "https://app.example.com"
const PATHS: RoutePaths = { login: "/auth/login", callback: "/auth/callback", logout: "/auth/logout", allowLogoutGet: false }
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND"]

describe("matchRoute", () => {
  it.prop(
    "another path is never a route; on a route's path, a method is served or answered 405 with Allow",
    [FastCheck.oneof(FastCheck.constantFrom(PATHS.login, PATHS.callback, PATHS.logout), FastCheck.webPath()), FastCheck.constantFrom(...METHODS), FastCheck.boolean()],
    ([pathname, method, allowLogoutGet]) => {
      const paths = { ...PATHS, allowLogoutGet }
      const match = matchRoute(paths, pathname, method)
      if (![paths.login, paths.callback, paths.logout].includes(pathname)) {
        expect(match).toBeUndefined()
        return
      }
      const served = pathname === paths.logout ? (allowLogoutGet ? ["GET", "POST"] : ["POST"]) : ["GET"]
      expect(match?._tag).toBe(served.includes(method) ? "Route" : "MethodNotAllowed")
      if (match?._tag === "MethodNotAllowed") expect(match.allow).toBe(served.join(", "))
    }
  )
})

describe("logoutVerdict", () => {
  const site = FastCheck.option(FastCheck.constantFrom("same-origin", "same-site", "cross-site", "none", "same-origin, cross-site", ""), { nil: undefined })
  const origin = FastCheck.option(
    FastCheck.oneof(FastCheck.constantFrom(APP, "null", "http://app.example.com", "https://app.example.com:444", `${APP}.evil.example`), FastCheck.webUrl().map((url) => new URL(url).origin)),
    { nil: undefined }
  )

  it.prop(
    "accepts only a same-origin (or unlabelled) request whose Origin, if any, is the app's",
    [FastCheck.constantFrom("GET", "POST"), site, origin],
    ([method, sec, from]) => {
      const headers = new Headers()
      if (sec !== undefined) headers.set("sec-fetch-site", sec)
      if (from !== undefined) headers.set("origin", from)
      const accepted = logoutVerdict(method, headers, APP) === undefined
      const siteOk = sec === undefined || sec === "same-origin" || (method === "GET" && sec === "none")
      expect(accepted).toBe(siteOk && (from === undefined || from === APP))
    }
  )
})

describe("failureLine", () => {
  it.prop(
    "one line, only the kind, a plain code and a hint: whatever the error's code, message or description",
    [FastCheck.string(), FastCheck.string()],
    ([code, secret]) => {
      for (const error of [
        new AuthorizationError({ error: code, errorDescription: secret, message: secret }),
        new TokenEndpointError({ error: code, errorDescription: secret, status: 401, message: secret }),
        new TransportError({ message: secret, method: "POST", url: "https://t/oauth/token", reason: "timeout", cause: new Error(secret) })
      ]) {
        const line = failureLine("callback", error)
        expect(line).not.toMatch(/[\r\n\u2028\u2029]/)
        expect(line.startsWith(`auth0-effect: callback failed: ${error._tag}`)).toBe(true)
        const rest = line.slice(`auth0-effect: callback failed: ${error._tag}`.length)
        // What follows the kind is the code (when it is a plain RFC 6749 code) and a fixed hint.
        const printable = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(code)
        // A TransportError prints its own fixed reason, never the message.
        if (error._tag === "TransportError") expect(rest.startsWith(" timeout")).toBe(true)
        else if (printable) expect(rest.startsWith(` ${code}`)).toBe(true)
        else expect(rest === "" || rest.startsWith(" (")).toBe(true)
      }
    }
  )
})
