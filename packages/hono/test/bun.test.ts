/**
 * @auth0-effect/hono on the real Bun (the `bun` npm package, installed for packages/bun): the
 * fixture app runs with `bun run`, resolving @auth0-effect/hono, core and hono through
 * node_modules to the built `dist`. Fails, never skips, when Bun or the build is missing.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { startRuntimeApp } from "../../bun/test/helpers/runtimeApp.js"
import { describeHonoRuntime } from "./helpers/honoScenario.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeHonoRuntime({
  name: "bun",
  startupTimeoutMs: 15_000,
  start: async (config, port) => {
    for (const file of ["dist/index.js", "../core/dist/WebRoutes.js"]) {
      if (!existsSync(`${packageDir}${file}`)) throw new Error(`${file} is missing: build first (\`pnpm build\`, i.e. tsc -b)`)
    }
    return startRuntimeApp({
      name: "bun",
      // The real binary, not node_modules/.bin/bun (a shell wrapper that killing would orphan Bun).
      binary: `${packageDir}../bun/node_modules/bun/bin/bun.exe`,
      args: ["run", "test/fixtures/bun.ts"],
      cwd: packageDir,
      env: { APP_CONFIG: JSON.stringify(config) },
      port,
      startupTimeoutMs: 15_000
    })
  }
})
