// Bundles the compiled adapter (dist/index.js) with everything it imports into dist/bundle.js:
// one minified ESM file, tree-shaken (effect's Schema pulls fast-check in unbundled; the bundle
// leaves it out). Cold start for Promise-API users on serverless; see docs/runtimes.md.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
await build({
  absWorkingDir: root,
  entryPoints: ["dist/index.js"],
  outfile: "dist/bundle.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "linked",
  // Modules bundled as ESM but written for CommonJS may call require(): give them one.
  banner: { js: "import { createRequire as __auth0EffectCreateRequire } from 'node:module'; const require = __auth0EffectCreateRequire(import.meta.url);" },
  logLevel: "warning"
})
