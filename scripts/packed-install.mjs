// Installs the packages the way a user does today: `pnpm pack` EVERY public package found under
// packages/ (any package.json without `private: true`), then fresh projects outside the workspace
// install the tarballs. Run after the build (`npm run build`); needs the npm registry.
//   0. Each packed package.json is fit for a registry: no workspace-only `@auth0-effect/source`
//      export condition or `workspace:` range left (pnpm applies `publishConfig.exports`), and
//      description, engines.node, types, files, sideEffects set, license "MIT", repository.url
//      set and repository.directory its folder; every export target, a README.md and the root's
//      LICENSE (the same text) are in the tarball, the build info is not. pnpm packs the
//      workspace root's LICENSE into a package that has none of its own, as it applies
//      `publishConfig.exports`: publish with pnpm, which this check runs.
// For the lowest and the latest supported effect 3.x (the peer range in packages/core/package.json):
//   1. type-checks an app that merges its own Layer with ours (strict, our .d.ts files checked too),
//   2. runs that app and logs a user in against the emulator (one effect copy at runtime),
//   3. runs a Promise-only app on @auth0-effect/node, with npm's auto-installed effect peer.
// Then a project installed without peers (`--legacy-peer-deps`: no effect at all) runs the
// Promise-only app on the single-file bundle, @auth0-effect/node/bundle.
// Then every tarball in one app, the same app file on three runtimes: it type-checks an import of
// every subpath the packages export (derived from their exports maps), and imports them all,
// constructs each adapter's ServerClient and logs a user in through @auth0-effect/hono:
//   4. installed with npm, run on Node (@hono/node-server),
//   5. the same node_modules, run on Deno (its package.json/node_modules resolution),
//   6. installed with `bun install`, run on Bun (Bun.serve).
//
// Usage: node scripts/packed-install.mjs [--fitness-only] [effect@x.y.z,@effect/platform@a.b.c ...]
// (--fitness-only: pack and run step 0 only; no registry needed.)
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(fileURLToPath(new URL("..", import.meta.url)))
const fixtures = join(root, "scripts", "packed-install")
const PUBLISHED = readdirSync(join(root, "packages")).filter((dir) => {
  const manifest = join(root, "packages", dir, "package.json")
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).private !== true
})
const FITNESS_ONLY = process.argv.includes("--fitness-only")
const matrixArgs = process.argv.slice(2).filter((arg) => arg !== "--fitness-only")
// The tested ends of the peer range: keep in step with peerDependencies in packages/*/package.json.
const MATRIX = matrixArgs.length > 0
  ? matrixArgs.map((spec) => spec.split(","))
  : [
    ["effect@3.19.13", "@effect/platform@0.94.0"],
    ["effect@3.22.4", "@effect/platform@0.97.2"]
  ]

const run = (command, args, cwd, env = {}) =>
  execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env }, encoding: "utf8" })
const npm = (args, cwd) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], cwd)

for (const pkg of PUBLISHED) {
  if (!existsSync(join(root, "packages", pkg, "dist", "index.js"))) throw new Error(`packages/${pkg} is not built: run npm run build first`)
}
if (!existsSync(join(root, "packages", "node", "dist", "bundle.js"))) throw new Error("no bundle: run npm run build first")

const work = mkdtempSync(join(tmpdir(), "auth0-effect-packed-"))
const tarballs = join(work, "tarballs")
mkdirSync(tarballs)
for (const pkg of PUBLISHED) {
  run("npx", ["-y", "pnpm@10.34.9", "pack", "--pack-destination", tarballs], join(root, "packages", pkg))
}
const manifestOf = (pkg) => JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8"))
const tarballName = (name, version) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`
const tarball = (pkg) => {
  const { name, version } = manifestOf(pkg)
  return join(tarballs, tarballName(name, version))
}
const BUN = join(root, "packages", "bun", "node_modules", "bun", "bin", "bun.exe")
const DENO = join(root, "packages", "deno", "node_modules", "deno", "deno")
for (const binary of [BUN, DENO]) if (!existsSync(binary)) throw new Error(`${binary} is missing: run pnpm install`)

/** The packed package.json, the tarball's file list (paths without `package/`), and a packed file's text. */
const packed = (pkg) => {
  const file = tarball(pkg)
  const manifest = JSON.parse(run("tar", ["-xzf", file, "-O", "package/package.json"], tarballs))
  const files = new Set(run("tar", ["-tzf", file], tarballs).trim().split("\n").map((f) => f.replace(/^package\//, "")))
  const text = (path) => run("tar", ["-xzf", file, "-O", `package/${path}`], tarballs)
  return { manifest, files, text }
}
const LICENSE = readFileSync(join(root, "LICENSE"), "utf8")

/** Export targets of an exports map entry (strings under any condition), `null` entries skipped. */
const targetsOf = (entry) =>
  entry === null ? [] : typeof entry === "string" ? [entry] : Object.values(entry).flatMap(targetsOf)

/** What is unfit for a registry in a packed package, as a list of problems. */
const registryProblems = (pkg) => {
  const { manifest, files, text: packedText } = packed(pkg)
  const text = JSON.stringify(manifest)
  const problems = []
  if (text.includes("@auth0-effect/source")) problems.push("the @auth0-effect/source export condition leaks (set publishConfig.exports)")
  if (text.includes("workspace:")) problems.push("a workspace: range is left")
  for (const field of ["license", "description", "repository", "engines", "types", "files", "exports"]) {
    if (manifest[field] === undefined) problems.push(`no "${field}"`)
  }
  if (manifest.engines?.node === undefined) problems.push("no engines.node")
  if (manifest.sideEffects === undefined) problems.push(`no "sideEffects"`)
  if (manifest.license !== "MIT") problems.push(`license is ${JSON.stringify(manifest.license)}, not "MIT"`)
  if (typeof manifest.repository?.url !== "string" || manifest.repository.url === "") problems.push("no repository.url")
  if (manifest.repository?.directory !== `packages/${pkg}`) {
    problems.push(`repository.directory is ${JSON.stringify(manifest.repository?.directory)}, not "packages/${pkg}"`)
  }
  if (!files.has("README.md")) problems.push("no README.md in the tarball")
  if (!files.has("LICENSE")) problems.push("no LICENSE in the tarball")
  else if (packedText("LICENSE") !== LICENSE) problems.push("the packed LICENSE is not the root's LICENSE")
  for (const file of files) if (file.endsWith(".tsbuildinfo")) problems.push(`${file} is packed`)
  for (const [key, entry] of Object.entries(manifest.exports ?? {})) {
    if (key.includes("*")) continue
    for (const target of targetsOf(entry)) if (!files.has(target.replace(/^\.\//, ""))) problems.push(`exports["${key}"] -> ${target} is not in the tarball`)
  }
  return problems
}

/** Every subpath a user can import, from the packed exports map (a `./*` pattern expands over the packed files). */
const subpathsOf = (pkg) => {
  const { manifest, files } = packed(pkg)
  return Object.entries(manifest.exports ?? {}).flatMap(([key, entry]) => {
    if (entry === null) return []
    const specifier = (rest) => rest === "" ? manifest.name : `${manifest.name}/${rest}`
    if (!key.includes("*")) return [specifier(key.slice(2))]
    const target = typeof entry === "string" ? entry : entry.import ?? entry.default
    const [before, after] = target.replace(/^\.\//, "").split("*")
    const [keyBefore, keyAfter] = key.slice(2).split("*")
    return [...files]
      .filter((f) => f.startsWith(before) && f.endsWith(after) && !f.slice(before.length, f.length - after.length).includes("/"))
      .map((f) => specifier(`${keyBefore}${f.slice(before.length, f.length - after.length)}${keyAfter}`))
      .filter((s) => !/\/internal\//.test(s.slice(manifest.name.length)))
  })
}

const unfit = PUBLISHED.flatMap((pkg) => registryProblems(pkg).map((problem) => `${manifestOf(pkg).name}: ${problem}`))
if (unfit.length > 0) throw new Error(`packed packages unfit for a registry:\n  ${unfit.join("\n  ")}`)
console.log(`ok: ${PUBLISHED.length} packed packages fit for a registry (${PUBLISHED.join(", ")})`)
if (FITNESS_ONLY) {
  rmSync(work, { recursive: true, force: true })
  process.exit(0)
}

const freePort = () =>
  new Promise((done, fail) => {
    const server = createServer().once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })

const { startEmulator } = await import(join(root, "packages", "testing", "dist", "index.js"))

/** Starts `command file` (default: this node) as an app on `port`, logs a user in through it like a browser, returns what /me says. */
const loginThrough = async (emulator, cwd, file, port, env = {}, command = process.execPath, args = []) => {
  const redirectUri = `http://127.0.0.1:${port}/auth/callback`
  const child = spawn(command, [...args, file], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port), AUTH0_OPTIONS: JSON.stringify(emulator.sdkOptions({ redirectUri })) },
    stdio: ["ignore", "pipe", "inherit"]
  })
  try {
    await new Promise((done, fail) => {
      child.once("exit", (code) => fail(new Error(`${file} exited with ${code}`)))
      child.stdout.on("data", (chunk) => String(chunk).includes("listening") && done())
    })
    const cookies = new Map()
    const get = async (url) => {
      const response = await fetch(url, {
        redirect: "manual",
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") }
      })
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";")
        const eq = pair.indexOf("=")
        if (/max-age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
        else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
      return response
    }
    const app = `http://127.0.0.1:${port}`
    const login = await get(`${app}/auth/login`)
    if (login.status !== 302) throw new Error(`${file}: /auth/login answered ${login.status}: ${await login.text()}`)
    const callback = await emulator.login(login.headers.get("location"), { user: "ada@example.com" })
    const completed = await get(callback)
    if (completed.status !== 302) throw new Error(`${file}: the callback answered ${completed.status}: ${await completed.text()}`)
    const me = await get(`${app}/me`)
    return await me.text()
  } finally {
    child.kill()
  }
}

// Two per matrix entry, the bundle app, and the Hono app on Node, Deno and Bun.
const ports = await Promise.all(Array.from({ length: MATRIX.length * 2 + 4 }, freePort))
const emulator = await startEmulator({
  clients: [{
    clientId: "app",
    clientSecret: "packed-install-secret-0123456789",
    redirectUris: ports.map((port) => `http://127.0.0.1:${port}/auth/callback`)
  }]
})
await emulator.createUser({ email: "ada@example.com" })
const expect = (what, actual, expected) => {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  console.log(`ok: ${what}`)
}

try {
  for (const [index, specs] of MATRIX.entries()) {
    const label = specs.join(" ")
    const app = join(work, `app-${index}`)
    mkdirSync(app)
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: `app-${index}`, private: true, type: "module" }))
    npm(["install", ...specs, tarball("core"), tarball("node")], app)
    copyFileSync(join(fixtures, "effect-app.ts"), join(app, "effect-app.ts"))
    copyFileSync(join(fixtures, "promise-app.mjs"), join(app, "promise-app.mjs"))
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        outDir: "out",
        typeRoots: [join(root, "node_modules", "@types")],
        types: ["node"]
      },
      files: ["effect-app.ts"]
    }))
    // One copy of effect: ours resolve to the app's.
    const copies = run("npm", ["ls", "effect", "--all", "--parseable"], app).trim().split("\n").filter(Boolean)
    expect(`${label}: one effect in node_modules`, copies.length, 1)
    run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], app)
    console.log(`ok: ${label}: the app's Layer and ours type-check together`)
    expect(`${label}: Effect app logs in`, await loginThrough(emulator, app, join("out", "effect-app.js"), ports[index * 2]), "Hello, ada@example.com")
    expect(`${label}: Promise app logs in`, await loginThrough(emulator, app, "promise-app.mjs", ports[index * 2 + 1]), "Hello, ada@example.com")
  }

  const bare = join(work, "promise-only")
  mkdirSync(bare)
  writeFileSync(join(bare, "package.json"), JSON.stringify({ name: "promise-only", private: true, type: "module" }))
  npm(["install", "--legacy-peer-deps", tarball("core"), tarball("node")], bare)
  expect("without peers: no effect installed", existsSync(join(bare, "node_modules", "effect")), false)
  copyFileSync(join(fixtures, "promise-app.mjs"), join(bare, "promise-app.mjs"))
  expect(
    "without effect: the bundle logs in",
    await loginThrough(emulator, bare, "promise-app.mjs", ports[MATRIX.length * 2], { ENTRY: "@auth0-effect/node/bundle" }),
    "Hello, ada@example.com"
  )

  // Every package in one app, as the README's install line has it.
  const subpaths = PUBLISHED.flatMap(subpathsOf)
  const [effect, platform] = MATRIX.at(-1)
  const honoDev = manifestOf("hono").devDependencies
  const expressDev = manifestOf("express").devDependencies
  const fastifyDev = manifestOf("fastify").devDependencies
  const otel = manifestOf("opentelemetry")
  // The OpenTelemetry packages are peers of @auth0-effect/opentelemetry, at the versions we test.
  const otelPeers = Object.keys(otel.peerDependencies).filter((name) => name !== "effect").map((name) => `${name}@${otel.devDependencies[name]}`)
  // The frameworks (and OpenTelemetry) are peers of their packages; a TypeScript user of Express adds its types.
  const frameworks = [
    `hono@${honoDev.hono}`, `@hono/node-server@${honoDev["@hono/node-server"]}`,
    `express@${expressDev.express}`, `@types/express@${expressDev["@types/express"]}`, `fastify@${fastifyDev.fastify}`,
    ...otelPeers
  ]
  const env = { SUBPATHS: JSON.stringify(subpaths) }
  const all = join(work, "all-npm")
  mkdirSync(all)
  writeFileSync(join(all, "package.json"), JSON.stringify({ name: "all-npm", private: true, type: "module" }))
  npm(["install", effect, platform, ...frameworks, ...PUBLISHED.map(tarball)], all)
  copyFileSync(join(fixtures, "hono-app.mjs"), join(all, "hono-app.mjs"))
  writeFileSync(join(all, "subpaths.ts"), subpaths.map((s, i) => `export * as m${i} from ${JSON.stringify(s)}\n`).join(""))
  writeFileSync(join(all, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true,
      exactOptionalPropertyTypes: true, skipLibCheck: false, lib: ["ES2022", "DOM"],
      typeRoots: [join(root, "node_modules", "@types")], types: ["node"]
    },
    files: ["subpaths.ts"]
  }))
  run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], all)
  console.log(`ok: npm: the ${subpaths.length} subpaths of ${PUBLISHED.length} packages type-check (${PUBLISHED.join(", ")})`)
  expect("npm, Node: the Hono app imports every subpath and logs in", await loginThrough(emulator, all, "hono-app.mjs", ports[MATRIX.length * 2 + 1], env), "Hello, ada@example.com")
  expect(
    "npm's node_modules, Deno: the Hono app imports every subpath and logs in",
    await loginThrough(emulator, all, "hono-app.mjs", ports[MATRIX.length * 2 + 2], env, DENO, ["run", "-A", "--quiet"]),
    "Hello, ada@example.com"
  )

  const bunApp = join(work, "all-bun")
  mkdirSync(bunApp)
  const files = Object.fromEntries(PUBLISHED.map((pkg) => [manifestOf(pkg).name, `file:${tarball(pkg)}`]))
  const spec = (s) => [s.slice(0, s.lastIndexOf("@")), s.slice(s.lastIndexOf("@") + 1)]
  writeFileSync(join(bunApp, "package.json"), JSON.stringify({
    name: "all-bun",
    private: true,
    type: "module",
    dependencies: { ...Object.fromEntries([effect, platform, ...frameworks].map(spec)), ...files },
    // The tarballs depend on each other by version, which no registry has yet: point those at the files.
    overrides: files
  }))
  run(BUN, ["install", "--no-progress"], bunApp)
  copyFileSync(join(fixtures, "hono-app.mjs"), join(bunApp, "hono-app.mjs"))
  expect(
    "bun install, Bun: the Hono app imports every subpath and logs in",
    await loginThrough(emulator, bunApp, "hono-app.mjs", ports[MATRIX.length * 2 + 3], env, BUN, ["run"]),
    "Hello, ada@example.com"
  )
} finally {
  await emulator.stop()
  rmSync(work, { recursive: true, force: true })
}
