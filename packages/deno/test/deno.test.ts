/**
 * @auth0-effect/deno on the real Deno (from the `deno` npm package): the fixture app is started
 * from packages/deno with the narrowest permissions it needs. Deno 2 sees package.json and the
 * pnpm-made node_modules and resolves `@auth0-effect/deno` (and core) to the built `dist` by
 * itself (node_modules "manual" mode); no --allow-read is needed to load modules. Fails, never
 * skips, when Deno or the build is missing.
 */
import { fileURLToPath } from "node:url"
import { describeRuntime } from "../../bun/test/helpers/runtimeApp.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeRuntime({
  name: "deno",
  // The binary itself, not node_modules/.bin/deno (a wrapper that runs it through node).
  binary: `${packageDir}node_modules/deno/deno`,
  args: [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    "--allow-env=PORT,AUTH0_DOMAIN,AUTH0_CLIENT_ID,AUTH0_CLIENT_SECRET,AUTH0_SECRET,API_AUDIENCE"
  ],
  packageDir,
  requiredFiles: [`${packageDir}dist/index.js`, `${packageDir}../core/dist/WebRoutes.js`],
  startupTimeoutMs: 25_000
})
