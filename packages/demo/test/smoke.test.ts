/**
 * The demo without a browser: it starts in-process and answers, `pnpm demo`'s entry point is
 * built and runs, POSTs need the app's own Origin, and `returnTo` cannot leave the app.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer, request as httpRequest } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Demo, startDemo } from "../src/demo.js"
import { safeReturnTo } from "../src/returnTo.js"

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url))

let demo: Demo
beforeAll(async () => {
  demo = await startDemo({ port: 0 })
})
afterAll(async () => {
  await demo?.stop()
})

describe("startDemo", () => {
  it("answers / with 200 and a login link", async () => {
    const response = await fetch(demo.url)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(await response.text()).toContain(`<a href="/login" id="login"`)
  })

  it("sends a logged-out visitor of a protected page to login, keeping the page as returnTo", async () => {
    const response = await fetch(new URL("/calendar", demo.url), { redirect: "manual" })
    expect(response.status).toBe(302)
    expect(response.headers.get("location")).toBe("/login?returnTo=%2Fcalendar")
  })

  it("treats a request path starting with // as a path on this app", async () => {
    // fetch would normalise the path, so a raw request sends it as is.
    const response = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const target = new URL(demo.url)
      const request = httpRequest({ host: target.hostname, port: target.port, path: "//evil.example.com/callback" }, (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, location: res.headers.location })
      })
      request.on("error", reject)
      request.end()
    })
    expect(response).toEqual({ status: 404, location: undefined })
  })

  it("refuses a state-changing POST from another origin", async () => {
    for (const origin of ["https://evil.example.com", undefined]) {
      const response = await fetch(new URL("/disconnect", demo.url), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
        body: "id=abc"
      })
      expect(response.status).toBe(403)
    }
  })

  it("answers an invalid back-channel logout token with 400 and the typed error", async () => {
    const response = await fetch(new URL("/backchannel-logout", demo.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "logout_token=not-a-jwt"
    })
    expect(response.status).toBe(400)
    expect((await response.json() as { error_description: string }).error_description).toMatch(/^BackchannelLogoutError: /)
  })

  it("accepts a valid back-channel logout token from the emulator", async () => {
    expect(await demo.emulator.sendBackchannelLogout({ sub: "auth0|ada" })).toBe(200)
  })

  it("picks a free port when the requested one is taken", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const taken = (blocker.address() as AddressInfo).port
    const other = await startDemo({ port: taken })
    try {
      expect(other.portFallback).toBe(true)
      expect(new URL(other.url).port).not.toBe(String(taken))
      expect((await fetch(other.url)).status).toBe(200)
    } finally {
      await other.stop()
      blocker.close()
    }
  })
})

describe("pnpm demo", () => {
  it("runs dist/main.js (built by tsc -b), prints the URL and stops on SIGTERM", async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run \`tsc -b\` first`).toBe(true)
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s:\n${output}`)), 20_000)
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString()
        const match = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)))
    })
    expect((await fetch(url)).status).toBe(200)
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  }, 30_000)
})

describe("safeReturnTo", () => {
  it.each([
    ["/profile", "/profile"],
    ["/api-token?scope=read:messages#top", "/api-token?scope=read:messages#top"],
    ["https://evil.example.com", "/"],
    ["//evil.example.com/x", "/"],
    ["/\\evil.example.com", "/"],
    ["/\t/evil.example.com", "/"],
    ["javascript:alert(1)", "/"],
    ["profile", "/"],
    ["", "/"],
    [undefined, "/"],
    [42, "/"],
    ["/.//evil.example.com", "/"]
  ])("%j => %j", (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected)
  })
})
