/**
 * CWE-532, played as the attacker who reads the logs: every flow, with known secrets (client
 * secret in basic and post auth, a private_key_jwt key, refresh and access tokens, a code and
 * its verifier, connect codes, the cookie secret, a logout token, an mfa_token, OTP, oob, binding and
 * recovery codes), against a tenant that is
 * down, hangs, echoes the request back in a 500 (JSON and text), in a 200 of the wrong shape,
 * redirects, or sends a huge body. Each error, with its whole `cause` chain, is serialised with
 * `util.inspect(..., { depth: 20, showHidden: true })`, `JSON.stringify`, `String` and its stack,
 * and the Effect `Cause` is pretty-printed; none may contain any secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as util from "node:util"
import { Auth0Error } from "../src/Errors.js"
import { closedOrigin, type HostileTenant, type Mode, startHostileTenant } from "./helpers/hostileTenant.js"
import { type Auth, flows, layerFor, prepareKeys, secrets } from "./helpers/leakFlows.js"

beforeAll(prepareKeys)

/** Flows whose success is any 2xx, whatever its body: they succeed against a tenant that echoes in a 200. */
const SUCCEED_ON_ANY_200 = new Set([
  "deleteConnectedAccount",
  "revokeRefreshToken",
  "startPasswordless (code)",
  "startPasswordless (link)",
  "changePassword"
])

/** Every way an error can be printed or shipped to a log, for the error and each `cause` below it. */
const renderings = (cause: Cause.Cause<unknown>): Array<string> => {
  const out = [Cause.pretty(cause), util.inspect(cause, { depth: 20, showHidden: true })]
  let current: unknown = Cause.squash(cause)
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    out.push(util.inspect(current, { depth: 20, showHidden: true }))
    try {
      out.push(JSON.stringify(current) ?? "")
    } catch {
      out.push("(not serialisable)")
    }
    out.push(String(current))
    if (current instanceof Error) out.push(current.message, current.stack ?? "")
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return out
}


const runAll = (origin: string, auth: Auth, tenant: HostileTenant | undefined) =>
  Effect.gen(function*() {
    const failures: Array<{ readonly flow: string; readonly cause: Cause.Cause<unknown> }> = []
    // Each flow on its own layer, side by side (a hanging or closed tenant costs each one its timeouts).
    const exits = yield* Effect.forEach(
      flows(origin),
      ([flow, effect]) => Effect.map(Effect.exit(Effect.provide(effect, layerFor(origin, auth))), (exit) => ({ flow, exit })),
      { concurrency: 16 }
    )
    for (const { flow, exit } of exits) if (Exit.isFailure(exit)) failures.push({ flow, cause: exit.cause })
    const known = secrets(tenant)
    const leaks: Array<string> = []
    for (const { flow, cause } of failures) {
      expect(Cause.isDie(cause), `${flow} died: ${Cause.pretty(cause)}`).toBe(false)
      expect(Cause.squash(cause), flow).toBeInstanceOf(Auth0Error)
      for (const text of renderings(cause)) {
        for (const secret of known) if (text.includes(secret)) leaks.push(`${flow}: ${secret.slice(0, 12)}... in ${text.slice(0, 300)}`)
      }
    }
    return { failures, leaks, known }
  })

const AUTHS: ReadonlyArray<Auth> = ["client_secret_post", "client_secret_basic", "private_key_jwt"]
const MODES: ReadonlyArray<Mode> = ["echo-json-500", "echo-text-500", "echo-html-200", "echo-json-200", "redirect-307", "huge", "hang"]

describe("no secret in any error (CWE-532)", () => {
  let tenant: HostileTenant
  beforeAll(async () => {
    tenant = await startHostileTenant()
  })
  afterAll(() => tenant.close())

  for (const auth of AUTHS) {
    it.live(`tenant down (closed port), ${auth}: every flow fails with a TransportError naming the request, and no secret`, () =>
      Effect.gen(function*() {
        const origin = yield* Effect.promise(closedOrigin)
        const { failures, leaks } = yield* runAll(origin, auth, undefined)
        expect(failures.map((f) => f.flow)).toHaveLength(flows(origin).length)
        expect(leaks).toEqual([])
        const error = Cause.squash(failures[0]!.cause)
        expect(error).toMatchObject({
          _tag: "TransportError",
          method: "GET",
          url: `${origin}/.well-known/openid-configuration`,
          reason: "unreachable",
          code: "ECONNREFUSED"
        })
      }), 30_000)

    for (const mode of MODES) {
      it.live(`tenant ${mode}, ${auth}: no secret in any error or cause`, () =>
        Effect.gen(function*() {
          tenant.seen.length = 0
          tenant.mode = mode
          const { failures, leaks, known } = yield* runAll(tenant.origin, auth, tenant)
          // A 200 is a successful delete whatever its body; every other flow fails.
          const expected = flows(tenant.origin).map(([name]) => name)
            .filter((name) => !(mode.endsWith("-200") && SUCCEED_ON_ANY_200.has(name)))
          expect(failures.map((f) => f.flow)).toEqual(expected)
          expect(leaks).toEqual([])
          // The attack reached the tenant: the credentials went out, and came back in the answers.
          const credential = auth === "private_key_jwt" ? "client_assertion" : auth === "client_secret_post" ? "client_secret" : undefined
          const sent = tenant.seen.filter((r) => r.path === "/oauth/token")
          expect(sent.length).toBeGreaterThan(0)
          if (credential) expect(sent.some((r) => new URLSearchParams(r.body).has(credential))).toBe(true)
          else expect(sent.every((r) => String(r.headers["authorization"]).startsWith("Basic "))).toBe(true)
          // With DPoP on (basic), every token request carried a proof, and it is among the secrets checked.
          if (auth === "client_secret_basic") expect(sent.every((r) => typeof r.headers["dpop"] === "string")).toBe(true)
          expect(known.length).toBeGreaterThan(12)
          if (mode === "redirect-307") expect(tenant.count("/trap")).toBe(0)
        }).pipe(Effect.ensuring(Effect.sync(() => {
          tenant.mode = "ok"
        }))), 60_000)
    }
  }
})
