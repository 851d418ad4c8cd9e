// Installs the packages the way a user does today: `pnpm pack` each publishable package, then a
// fresh npm project installs the tarballs. Run after the build (`npm run build`); needs the npm
// registry. For the lowest and the latest supported effect 3.x (the peer range in
// packages/core/package.json), it
//   1. type-checks an app that merges its own Layer with ours (strict, our .d.ts files checked too),
//   2. runs that app and logs a user in against the emulator (one effect copy at runtime),
//   3. runs a Promise-only app on @auth0-effect/node, with npm's auto-installed effect peer.
// Then a project installed without peers (`--legacy-peer-deps`: no effect at all) runs the
// Promise-only app on the single-file bundle, @auth0-effect/node/bundle.
//
// Usage: node scripts/packed-install.mjs [effect@x.y.z,@effect/platform@a.b.c ...]
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(fileURLToPath(new URL("..", import.meta.url)))
const fixtures = join(root, "scripts", "packed-install")
const PUBLISHED = ["core", "node", "bun", "deno", "redis", "testing"]
// The tested ends of the peer range: keep in step with peerDependencies in packages/*/package.json.
const MATRIX = process.argv.length > 2
  ? process.argv.slice(2).map((spec) => spec.split(","))
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
const tarball = (pkg) => join(tarballs, readdirSync(tarballs).find((f) => f.startsWith(`auth0-effect-${pkg}-`)))

const freePort = () =>
  new Promise((done, fail) => {
    const server = createServer().once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })

const { startEmulator } = await import(join(root, "packages", "testing", "dist", "index.js"))

/** Starts `node file` as an app on `port`, logs a user in through it like a browser, returns what /me says. */
const loginThrough = async (emulator, cwd, file, port, env = {}) => {
  const redirectUri = `http://127.0.0.1:${port}/auth/callback`
  const child = spawn(process.execPath, [file], {
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

const ports = await Promise.all(Array.from({ length: MATRIX.length * 2 + 1 }, freePort))
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
    await loginThrough(emulator, bare, "promise-app.mjs", ports.at(-1), { ENTRY: "@auth0-effect/node/bundle" }),
    "Hello, ada@example.com"
  )
} finally {
  await emulator.stop()
  rmSync(work, { recursive: true, force: true })
}
