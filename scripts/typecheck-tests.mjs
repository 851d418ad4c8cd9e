// Type-checks every package's tests and examples (tsconfig.test.json), which `tsc -b` does not build.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const tsc = join("node_modules", "typescript", "bin", "tsc")
let failed = 0
for (const pkg of readdirSync("packages")) {
  const project = join("packages", pkg, "tsconfig.test.json")
  if (!existsSync(project)) continue
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit" })
    console.log(`typecheck ok: ${pkg}`)
  } catch {
    failed++
    console.error(`typecheck FAILED: ${pkg}`)
  }
}
process.exit(failed === 0 ? 0 : 1)
