/**
 * Builds a Worker from the fixture app and our built packages (esbuild, Web platform only: a
 * Node built-in anywhere on the import graph fails the build, naming the module) and serves it
 * with the real `workerd` binary from the `workerd` npm package.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const packageDir = fileURLToPath(new URL("../..", import.meta.url))
export const WORKERD = join(packageDir, "node_modules", "workerd", "bin", "workerd")

/** Bundles `entry` for workerd; fails on any `node:` (or other Node built-in) import. */
export const bundleWorker = async (entry: string, outfile: string): Promise<void> => {
  const result = await build({
    absWorkingDir: packageDir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    // "neutral": no Node built-ins resolve, so one on the Web path is a build error.
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    target: "es2022",
    logLevel: "silent",
    metafile: true
  })
  const nodeInputs = Object.keys(result.metafile.inputs).filter((input) => /(^|\/)node:/.test(input))
  if (nodeInputs.length > 0) throw new Error(`Node built-ins in the Worker bundle: ${nodeInputs.join(", ")}`)
}

/** A capnp string literal (the same escapes as JSON's). */
const capnpString = (value: string) => JSON.stringify(value)

export interface WorkerdServer {
  readonly stop: () => Promise<void>
  readonly output: () => string
}

/** Writes a workerd config serving `bundle` on 127.0.0.1:`port` with `config` as the `CONFIG` JSON binding, and starts workerd. */
export const startWorkerd = async (bundle: string, port: number, config: unknown, timeoutMs: number): Promise<WorkerdServer> => {
  if (!existsSync(WORKERD)) throw new Error(`workerd not found at ${WORKERD}: run \`pnpm install\` (it comes from npm)`)
  const dir = mkdtempSync(join(tmpdir(), "auth0-effect-workerd-"))
  writeFileSync(join(dir, "worker.js"), (await import("node:fs")).readFileSync(bundle))
  writeFileSync(join(dir, "config.capnp"), [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (`,
    `  services = [`,
    `    (name = "main", worker = .worker),`,
    // The emulator is on loopback: the default "internet" service only reaches public addresses.
    `    (name = "internet", network = (allow = ["public", "private", "local"])),`,
    `  ],`,
    `  sockets = [(name = "http", address = ${capnpString(`127.0.0.1:${port}`)}, http = (), service = "main")],`,
    `);`,
    `const worker :Workerd.Worker = (`,
    `  modules = [(name = "worker.js", esModule = embed "worker.js")],`,
    `  compatibilityDate = "2025-09-01",`,
    `  bindings = [(name = "CONFIG", json = ${capnpString(JSON.stringify(config))})],`,
    `);`
  ].join("\n"))
  const child: ChildProcess = spawn(WORKERD, ["serve", join(dir, "config.capnp"), "--verbose"], { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 3_000))])
      if (!done) child.kill("SIGKILL")
    }
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  // Ready once it answers HTTP (workerd prints nothing when it listens).
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`workerd exited with ${child.exitCode}:\n${output}`)
    }
    try {
      await fetch(`http://127.0.0.1:${port}/__ready`)
      return { stop, output: () => output }
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`workerd did not answer within ${timeoutMs} ms:\n${output}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
