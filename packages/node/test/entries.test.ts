/**
 * The package's entries: `@auth0-effect/node` is the prebuilt bundle (its own copy of effect and
 * core, rarely used flows in chunks loaded on first use), `@auth0-effect/node/effect` the plain
 * compiled adapter on the app's own effect. Checked on the built `dist` (`pnpm build`), in fresh
 * processes resolving the package by its name, as an app would.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as CoreErrors from "@auth0-effect/core/Errors"
import { StateStore } from "@auth0-effect/core/StateStore"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { IncomingMessage, ServerResponse } from "node:http"
import type * as Adapter from "../src/index.js"

const PACKAGE = fileURLToPath(new URL("..", import.meta.url))
const BUNDLE = join(PACKAGE, "dist", "bundle.js")
const RECORDER = fileURLToPath(new URL("fixtures/record-loads.mjs", import.meta.url))
const OPTIONS = {
  domain: "http://127.0.0.1:9",
  allowInsecureHttp: true,
  clientId: "c",
  clientSecret: "s",
  secret: "entries-test-secret-0123456789abcdef",
  redirectUri: "http://localhost:3000/auth/callback"
}

/** Runs `script` as an ES module in packages/node (the package resolves itself by name); the modules it loaded, and its stdout. */
const coldRun = (script: string) => {
  const record = join(mkdtempSync(join(tmpdir(), "auth0-effect-entries-")), "loads.txt")
  const result = spawnSync(process.execPath, ["--import", RECORDER, "--input-type=module", "-e", script], {
    cwd: PACKAGE,
    env: { ...process.env, RECORD_LOADS: record, OPTIONS: JSON.stringify(OPTIONS) },
    encoding: "utf8"
  })
  if (result.status !== 0) throw new Error(`the script failed (${result.status}): ${result.stderr}`)
  const loaded = existsSync(record) ? readFileSync(record, "utf8").split("\n").filter((line) => line.length > 0) : []
  return { stdout: result.stdout.trim(), loaded }
}

const START = `
const { ServerClient } = await import("@auth0-effect/node")
const { IncomingMessage, ServerResponse } = await import("node:http")
const auth0 = new ServerClient(JSON.parse(process.env.OPTIONS))
const req = new IncomingMessage(null)
req.headers = {}
const user = await auth0.getUser({ req, res: new ServerResponse(req) })
`

const storeOptions = () => {
  const req = new IncomingMessage(null as never)
  req.headers = {}
  return { req, res: new ServerResponse(req) }
}

beforeAll(() => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`pnpm build\` (tsc -b, then the esbuild bundle)`)
})

describe("entries", () => {
  it("the default import is the bundle and /effect the compiled adapter", () => {
    const { stdout } = coldRun(`console.log(import.meta.resolve("@auth0-effect/node"), import.meta.resolve("@auth0-effect/node/effect"))`)
    const [main, effect] = stdout.split(" ")
    expect(main).toMatch(/\/packages\/node\/dist\/bundle\.js$/)
    expect(effect).toMatch(/\/packages\/node\/dist\/index\.js$/)
  })

  it("a cold start on the default entry loads no fast-check, no effect module of its own and no flow chunk", () => {
    const { stdout, loaded } = coldRun(`${START}\nconsole.log("user", String(user))`)
    expect(stdout).toBe("user undefined")
    expect(loaded.filter((url) => /fast-check|pure-rand|\/node_modules\//.test(url))).toEqual([])
    const chunks = loaded.filter((url) => url.includes("/dist/chunks/"))
    expect(chunks.length).toBeGreaterThan(0)
    for (const flow of ["Ciba", "Mfa", "Passwordless", "TokenExchange", "ConnectedAccounts", "AccountLinking", "Login"]) {
      expect(chunks.filter((url) => url.includes(`/chunks/${flow}-`))).toEqual([])
    }
  })

  it("a rarely used flow loads its chunk on first use and still rejects with a typed error", () => {
    const { stdout, loaded } = coldRun(`${START}
const { MissingRequiredArgumentError } = await import("@auth0-effect/node")
const error = await auth0.loginBackchannel({ bindingMessage: "Approve" }).catch((e) => e)
console.log(error instanceof MissingRequiredArgumentError, error._tag, error.argument)`)
    expect(stdout).toBe("true MissingRequiredArgumentError loginHint.sub")
    expect(loaded.filter((url) => url.includes("/chunks/Ciba-"))).toHaveLength(1)
  })
})

describe("the bundle next to the app's own effect and core", () => {
  let bundle: typeof Adapter
  beforeAll(async () => {
    const path: string = BUNDLE
    bundle = (await import(path)) as typeof Adapter
    expect(bundle.MissingSessionError).not.toBe(CoreErrors.MissingSessionError)
  })

  it("its errors are instances of the classes of @auth0-effect/core, and the other way round", async () => {
    const auth0 = new bundle.ServerClient(OPTIONS)
    const error = await auth0.requireUser(storeOptions()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(bundle.MissingSessionError)
    expect(error).toBeInstanceOf(CoreErrors.MissingSessionError)
    expect(error).toBeInstanceOf(CoreErrors.Auth0Error)
    expect(error).not.toBeInstanceOf(CoreErrors.StoreError)
    const core = new CoreErrors.StoreError({ message: "down", reason: "unavailable" })
    expect(core).toBeInstanceOf(bundle.StoreError)
    expect(core).toBeInstanceOf(bundle.Auth0Error)
    expect(core).not.toBeInstanceOf(bundle.MissingSessionError)
    await auth0.dispose()
  })

  it("takes layers built with @auth0-effect/core and runs its programs", async () => {
    const auth0 = new bundle.ServerClient({ ...OPTIONS, sessionStore: StateStore.memory })
    const options = storeOptions()
    expect(await auth0.getUser(options)).toBeUndefined()
    expect(await auth0.run(Effect.succeed(42), options)).toBe(42)
    const error = await auth0.run(AccessToken.getAccessToken({}), options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(bundle.MissingSessionError)
    expect(error).toBeInstanceOf(CoreErrors.MissingSessionError)
    await auth0.dispose()
  })

  it("an impostor is no Auth0Error: a plain Error with a tag, a branded object of another tag", () => {
    expect(Object.assign(new Error("x"), { _tag: "MissingSessionError" })).not.toBeInstanceOf(bundle.MissingSessionError)
    expect(null).not.toBeInstanceOf(CoreErrors.Auth0Error)
    expect(new CoreErrors.MissingSessionError({ message: "m" })).not.toBeInstanceOf(bundle.MissingTransactionError)
  })
})
