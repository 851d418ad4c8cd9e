/**
 * @auth0-effect/hono on Cloudflare Workers' runtime: the fixture app bundled as a Worker from
 * the built packages (dist, as users' bundlers see them) and served by the real `workerd`
 * binary on 127.0.0.1. Fails, never skips, when workerd or the build is missing.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describeHonoRuntime } from "./helpers/honoScenario.js"
import { bundleWorker, startWorkerd } from "./helpers/workerd.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeHonoRuntime({
  name: "workerd",
  startupTimeoutMs: 20_000,
  start: async (config, port) => {
    for (const file of ["dist/index.js", "../core/dist/WebRoutes.js"]) {
      if (!existsSync(join(packageDir, file))) throw new Error(`${file} is missing: build first (\`pnpm build\`, i.e. tsc -b)`)
    }
    const dir = mkdtempSync(join(tmpdir(), "auth0-effect-worker-bundle-"))
    const bundle = join(dir, "worker.js")
    await bundleWorker("test/fixtures/worker.ts", bundle)
    const server = await startWorkerd(bundle, port, config, 15_000)
    return {
      stop: async () => {
        await server.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
})
