/**
 * The provider's error redirect read from a callback URL: anyone can send one, so the error's
 * message quotes only RFC 6749 text (§4.1.2.1), while its fields keep what was sent.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as CallbackUrl from "../src/CallbackUrl.js"

const errorOf = (query: Record<string, string>) =>
  Effect.runSync(
    Effect.map(CallbackUrl.parse(`/cb?${new URLSearchParams(query)}`, ["error", "error_description"]), (callback) =>
      CallbackUrl.providerError(callback, "Login"))
  )

describe("CallbackUrl.providerError", () => {
  it("quotes RFC 6749 text as it came", () => {
    const error = errorOf({ error: "access_denied", error_description: "User did not authorize the request" })
    expect(error?.message).toBe("Login failed: access_denied (User did not authorize the request)")
    expect(error?.error).toBe("access_denied")
  })

  it("never quotes a line break, a control character or a long value; the fields keep them", () => {
    const forged = "denied\r\n2026-12-02 INFO admin logged in"
    const error = errorOf({ error: "access_denied", error_description: forged })
    expect(error?.message).toBe("Login failed: access_denied ((not shown: not RFC 6749 text))")
    expect(error?.errorDescription).toBe(forged)
    expect(errorOf({ error: "x".repeat(257) })?.message).toBe("Login failed: (not shown: not RFC 6749 text)")
  })

  it("property: whatever the callback carries, the message is one line of printable ASCII, at most 600 characters", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ unit: "binary", maxLength: 400 }), FastCheck.string({ unit: "binary", maxLength: 400 }), (error, description) => {
        if (error === "") return
        const message = errorOf({ error, error_description: description })?.message ?? ""
        expect(message).toMatch(/^[\x20-\x7E]*$/)
        expect(message.length).toBeLessThanOrEqual(600)
      })
    )
  })
})
