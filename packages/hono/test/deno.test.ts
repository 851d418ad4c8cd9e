/**
 * @auth0-effect/hono on the real Deno (the `deno` npm package, installed for packages/deno),
 * with the narrowest permissions (and `--sloppy-imports`, for the fixtures' own `./app.js` import of
 * a `.ts` file): the fixture app resolves @auth0-effect/hono, core and hono
 * through packages/hono's package.json and node_modules to the built `dist`. Fails, never
 * skips, when Deno or the build is missing.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { startRuntimeApp } from "../../bun/test/helpers/runtimeApp.js"
import { describeHonoRuntime } from "./helpers/honoScenario.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeHonoRuntime({
  name: "deno",
  startupTimeoutMs: 25_000,
  start: async (config, port) => {
    for (const file of ["dist/index.js", "../core/dist/WebRoutes.js"]) {
      if (!existsSync(`${packageDir}${file}`)) throw new Error(`${file} is missing: build first (\`pnpm build\`, i.e. tsc -b)`)
    }
    return startRuntimeApp({
      name: "deno",
      // The binary itself, not node_modules/.bin/deno (a wrapper that runs it through node).
      binary: `${packageDir}../deno/node_modules/deno/deno`,
      args: ["run", "--no-prompt", "--sloppy-imports", "--allow-net=127.0.0.1", "--allow-env=APP_CONFIG", "test/fixtures/deno.ts"],
      cwd: packageDir,
      env: { APP_CONFIG: JSON.stringify(config) },
      port,
      startupTimeoutMs: 25_000
    })
  }
})
