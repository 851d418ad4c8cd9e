/**
 * What the emulator prints and throws: no oidc-provider warnings on Node 20 (at import, at start,
 * at login), and `login()` errors that quote the page's message, never its CSS.
 */
import { createHash, randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Emulator } from "../src/index.js"
import { loginPage, pageMessage } from "../src/internal/Pages.js"
import { authorizeUrl, exchangeCode, pkce, REDIRECT_URI } from "./helpers.js"

const WARNINGS = ["Unsupported runtime", "in-memory adapter", "already parsed request body", "oidc-provider WARNING"]

/** Records everything written through console.warn/error, process.emitWarning and stderr until `stop()`. */
const captureOutput = () => {
  const lines: Array<string> = []
  const warn = console.warn
  const error = console.error
  const emitWarning = process.emitWarning
  const write = process.stderr.write
  console.warn = (...args: Array<unknown>) => void lines.push(args.map(String).join(" "))
  console.error = (...args: Array<unknown>) => void lines.push(args.map(String).join(" "))
  process.emitWarning = ((warning: string | Error) => void lines.push(String(warning))) as typeof process.emitWarning
  process.stderr.write = ((chunk: unknown) => {
    lines.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  return {
    lines,
    stop: () => {
      console.warn = warn
      console.error = error
      process.emitWarning = emitWarning
      process.stderr.write = write
    }
  }
}

describe("no oidc-provider warnings on Node 20", () => {
  it("importing, starting, logging in (also through PAR) and stopping print none", async () => {
    const capture = captureOutput()
    try {
      // Imported here, under the capture: oidc-provider's runtime check runs at import time.
      const { startEmulator } = await import("../src/index.js")
      const emulator = await startEmulator()
      try {
        await emulator.createUser({ email: "ada@example.com" })
        const { verifier, challenge } = pkce()
        const callback = new URL(await emulator.login(authorizeUrl(emulator, { nonce: "n", state: "s", challenge }), { user: "ada@example.com" }))
        const tokens = await exchangeCode(emulator, callback.searchParams.get("code") ?? "", verifier)
        expect(tokens.status).toBe(200)

        const par = await fetch(`${emulator.origin}/oauth/par`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            response_type: "code",
            client_id: emulator.clientId,
            client_secret: emulator.clientSecret ?? "",
            redirect_uri: REDIRECT_URI,
            scope: "openid offline_access",
            prompt: "login",
            code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
            code_challenge_method: "S256"
          }).toString()
        })
        expect(par.status).toBe(201)
      } finally {
        await emulator.stop()
      }
    } finally {
      capture.stop()
    }
    for (const warning of WARNINGS) expect(capture.lines.filter((line) => line.includes(warning))).toEqual([])
  })
})

describe("login() errors quote the page's message", () => {
  let emulator: Emulator
  beforeAll(async () => {
    const { startEmulator } = await import("../src/index.js")
    emulator = await startEmulator()
    await emulator.createUser({ email: "ada@example.com" })
  })
  afterAll(() => emulator.stop())

  const url = (params: Record<string, string>) => {
    const u = new URL(authorizeUrl(emulator, { nonce: "n", state: "s", challenge: pkce().challenge }))
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
    return u.href
  }

  it("an unknown user says so, before any request", async () => {
    emulator.resetCounts()
    await expect(emulator.login(url({}), { user: "nobody@example.com" })).rejects.toThrow(
      'Unknown user "nobody@example.com": create it with createUser() first'
    )
    expect(emulator.requestCount("/authorize")).toBe(0)
  })

  it("a redirect_uri outside the client's list: the OAuth error and its description, no CSS", async () => {
    const error = await emulator.login(url({ redirect_uri: "http://127.0.0.1:9/elsewhere" }), { user: "ada@example.com" }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    const message = (error as Error).message
    expect(message).toBe(
      "login() stopped at /authorize with HTTP 400: invalid_redirect_uri: redirect_uri did not match any of the client's registered redirect_uris"
    )
    expect(message).not.toMatch(/font-family|[{}]/)
  })

  it("an unknown client", async () => {
    const message = await emulator.login(url({ client_id: "nope" }), { user: "ada@example.com" }).catch((e: Error) => e.message)
    expect(message).toMatch(/^login\(\) stopped at \/authorize with HTTP 400: invalid_client: /)
    expect(message).not.toMatch(/font-family|[{}]/)
  })

  it("the login page's own error (a wrong user typed in the form), unescaped", () => {
    const html = loginPage({ action: "/u/login/x", clientId: "app", users: [], loginHint: undefined, error: "Wrong email or user id." })
    expect(pageMessage(html)).toBe("Log in to app: Wrong email or user id.")
    expect(pageMessage("<html><head><style>body{color:red}</style></head><body><b>Tom &amp; Jerry</b> &lt;3</body></html>")).toBe("Tom & Jerry <3")
  })
})
