/**
 * Cold start: wall time of a fresh `node` process that imports an SDK and constructs a client
 * (and, in a second pair, also reads one session cookie: the first request of a serverless
 * instance). Ours is measured on each entry: `@auth0-effect/node` (the default, prebuilt bundle),
 * `@auth0-effect/node/effect` (the compiled modules on the app's own effect), and an app's own
 * esbuild bundle of the latter. Variants run interleaved, in a new random order each round, so drift in machine load
 * spreads over all of them; we report the median and p90, hyperfine-style.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SECRET, SESSION_COOKIE } from "./Fixtures.js"

/** Resolve bare specifiers as an app in this package would: from packages/bench. */
export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url))

export interface Variant {
  readonly label: string
  /** An ES module evaluated with `node --input-type=module -e`; prints `ok ...` when done. */
  readonly script: string
  /** Extra environment (the cookie to read). */
  readonly env?: Readonly<Record<string, string>>
}

const oursOptions = JSON.stringify({
  domain: "http://127.0.0.1:9",
  allowInsecureHttp: true,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  secret: SECRET,
  redirectUri: REDIRECT_URI,
  // The cookie the variants read carries the reference SDK's name (ours defaults to `__Host-`).
  cookie: { name: SESSION_COOKIE }
})

const referenceConstruct = `
const handler = {
  getCookie: (name, o) => o.cookies.get(name),
  getCookies: (o) => Object.fromEntries(o.cookies),
  setCookie: () => {},
  deleteCookie: () => {}
}
const client = new ServerClient({
  domain: "auth.bench.local", clientId: ${JSON.stringify(CLIENT_ID)}, clientSecret: ${JSON.stringify(CLIENT_SECRET)},
  authorizationParams: { redirect_uri: ${JSON.stringify(REDIRECT_URI)} },
  stateStore: new StatelessStateStore({ secret: ${JSON.stringify(SECRET)} }, handler),
  transactionStore: new CookieTransactionStore({ secret: ${JSON.stringify(SECRET)} }, handler)
})`

/** Where each SDK's esbuild bundle was written (file URLs), when esbuild could be found. */
export interface Bundles {
  readonly ours: string
  readonly reference: string
}

/**
 * Bundles each SDK's Node entry with esbuild (ESM, minified, tree-shaken), as a serverless
 * deployment would. esbuild is not a dependency of this package: it is found through vitest's
 * vite, and the bundled variants are skipped when it is not there.
 */
export const buildBundles = async (): Promise<Bundles | undefined> => {
  let esbuild: { build: (options: Record<string, unknown>) => Promise<unknown> }
  try {
    const fromVitest = createRequire(createRequire(import.meta.url).resolve("vitest/package.json"))
    const fromVite = createRequire(fromVitest.resolve("vite/package.json"))
    esbuild = (await import(pathToFileURL(fromVite.resolve("esbuild")).href)) as typeof esbuild
  } catch {
    return undefined
  }
  const outdir = new URL("../dist/bundles/", import.meta.url)
  mkdirSync(outdir, { recursive: true })
  const bundle = async (name: string, contents: string) => {
    const outfile = new URL(`${name}.mjs`, outdir)
    await esbuild.build({
      stdin: { contents, resolveDir: PACKAGE_DIR, loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      outfile: fileURLToPath(outfile),
      logLevel: "error"
    })
    return outfile.href
  }
  return {
    // An app bundling itself on the Effect entry (one copy of effect, the app's), as the reference is bundled.
    ours: await bundle("ours", `export { ServerClient } from "@auth0-effect/node/effect"`),
    reference: await bundle(
      "reference",
      `export { ServerClient, StatelessStateStore, CookieTransactionStore } from "@auth0/auth0-server-js"`
    )
  }
}

/** The measured variants plus bare `node`; `cookies` are each SDK's session cookie header. */
export const variants = (
  cookies: { readonly ours: string; readonly reference: string },
  bundles?: Bundles
): ReadonlyArray<Variant> => [
  { label: "node, nothing imported (baseline)", script: `console.log("ok")` },
  {
    label: "reference: import + new ServerClient",
    script: `const { ServerClient, StatelessStateStore, CookieTransactionStore } = await import("@auth0/auth0-server-js")
${referenceConstruct}
console.log("ok", typeof client.getSession)`
  },
  {
    label: "ours, @auth0-effect/node (default, prebuilt): import + new ServerClient",
    script: `const { ServerClient } = await import("@auth0-effect/node")
const client = new ServerClient(${oursOptions})
console.log("ok", typeof client.getSession)`
  },
  {
    label: "ours, @auth0-effect/node/effect (unbundled): import + new ServerClient",
    script: `const { ServerClient } = await import("@auth0-effect/node/effect")
const client = new ServerClient(${oursOptions})
console.log("ok", typeof client.getSession)`
  },
  {
    label: "reference: import + construct + first getUser",
    env: { BENCH_COOKIE: cookies.reference },
    script: `const { ServerClient, StatelessStateStore, CookieTransactionStore } = await import("@auth0/auth0-server-js")
${referenceConstruct}
const cookies = new Map(process.env.BENCH_COOKIE.split("; ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]))
const user = await client.getUser({ cookies })
console.log("ok", user?.sub)`
  },
  {
    label: "ours, @auth0-effect/node: import + construct + first getUser",
    env: { BENCH_COOKIE: cookies.ours },
    script: `const { ServerClient } = await import("@auth0-effect/node")
const { IncomingMessage, ServerResponse } = await import("node:http")
const client = new ServerClient(${oursOptions})
const req = new IncomingMessage(null)
req.headers = { cookie: process.env.BENCH_COOKIE }
const user = await client.getUser({ req, res: new ServerResponse(req) })
console.log("ok", user?.sub)
await client.dispose()`
  },
  ...(bundles
    ? [
      {
        label: "reference, esbuild bundle: import + new ServerClient",
        script: `const { ServerClient, StatelessStateStore, CookieTransactionStore } = await import(${JSON.stringify(bundles.reference)})
${referenceConstruct}
console.log("ok", typeof client.getSession)`
      },
      {
        label: "ours, esbuild bundle of /effect: import + new ServerClient",
        script: `const { ServerClient } = await import(${JSON.stringify(bundles.ours)})
const client = new ServerClient(${oursOptions})
console.log("ok", typeof client.getSession)`
      }
    ]
    : [])
]

export interface Sample {
  readonly ms: number
  readonly stdout: string
}

/** Runs one variant once in a fresh process; throws with its stderr if it fails. */
export const runOnce = (variant: Variant): Sample => {
  const started = performance.now()
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", variant.script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...variant.env },
    encoding: "utf8"
  })
  const ms = performance.now() - started
  if (result.status !== 0 || !result.stdout.startsWith("ok")) {
    throw new Error(`cold start "${variant.label}" failed (${result.status}): ${result.stderr || result.stdout}`)
  }
  return { ms, stdout: result.stdout.trim() }
}

/** Linear-interpolated quantile of sorted values. */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}

export interface ColdResult {
  readonly label: string
  readonly runs: number
  readonly median: number
  readonly p90: number
  readonly min: number
}

/** A shuffled copy (Fisher-Yates), so no case always runs first or last. */
export const shuffle = <A>(items: ReadonlyArray<A>): Array<A> => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** `rounds` interleaved runs of every variant, after one untimed warm-up run each (disk cache). */
export const measure = (all: ReadonlyArray<Variant>, rounds: number): ReadonlyArray<ColdResult> => {
  for (const variant of all) runOnce(variant)
  const samples = new Map<Variant, Array<number>>(all.map((variant) => [variant, []]))
  for (let round = 0; round < rounds; round++) {
    for (const variant of shuffle(all)) samples.get(variant)!.push(runOnce(variant).ms)
  }
  return all.map((variant) => {
    const sorted = [...samples.get(variant)!].sort((a, b) => a - b)
    return { label: variant.label, runs: sorted.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0]! }
  })
}
