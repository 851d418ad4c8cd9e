// Builds the default entry of @auth0-effect/node: the compiled adapter (dist/index.js) with
// everything it imports (core, effect, @effect/platform, jose) as minified, tree-shaken ESM in
// dist/bundle.js. Unbundled, effect's Schema pulls in fast-check (about 240 modules) and every
// module is resolved and read on its own; the bundle leaves fast-check out. With `splitting`,
// the flows the facade loads on first use (MFA, CIBA, passwordless, connected accounts, ...)
// become chunks in dist/chunks/, so a cold start compiles and runs only the session path.
// The unbundled entry stays as @auth0-effect/node/effect. See docs/runtimes.md.
import { build } from "esbuild"
import { rmSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
rmSync(new URL("../dist/chunks", import.meta.url), { recursive: true, force: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: { bundle: "dist/index.js" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: process.env.BUNDLE_MINIFY !== "0",
  legalComments: "linked",
  metafile: true,
  // Modules bundled as ESM but written for CommonJS may call require(): give them one.
  banner: { js: "import { createRequire as __auth0EffectCreateRequire } from 'node:module'; const require = __auth0EffectCreateRequire(import.meta.url);" },
  logLevel: "warning"
})
// What went where, for docs/benchmarks.md and anyone asking why a chunk is as large as it is.
writeFileSync(new URL("../dist/bundle.meta.json", import.meta.url), JSON.stringify(result.metafile))
