/**
 * @auth0-effect/bun on the real Bun (from the `bun` npm package): the fixture app is started
 * with `bun run test/fixtures/app.ts`; Bun resolves `@auth0-effect/bun` (and core) through
 * node_modules to the built `dist`. Fails, never skips, when Bun or the build is missing.
 */
import { fileURLToPath } from "node:url"
import { describeRuntime } from "./helpers/runtimeApp.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeRuntime({
  name: "bun",
  // The real binary, not node_modules/.bin/bun: that is a shell wrapper, and killing it would leave Bun running.
  binary: `${packageDir}node_modules/bun/bin/bun.exe`,
  args: ["run"],
  packageDir,
  requiredFiles: [`${packageDir}dist/index.js`, `${packageDir}../core/dist/WebRoutes.js`],
  startupTimeoutMs: 15_000
})
