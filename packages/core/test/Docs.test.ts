/**
 * The docs stay true: every relative link resolves, every facade method and flow is shown in a
 * guide, and every TypeScript sample is text of a compiled example file.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as AccessToken from "../src/AccessToken.js"
import * as BackchannelLogout from "../src/BackchannelLogout.js"
import * as Ciba from "../src/Ciba.js"
import * as ConnectedAccounts from "../src/ConnectedAccounts.js"
import * as AccountLinking from "../src/AccountLinking.js"
import * as Organizations from "../src/Organizations.js"
import * as Dpop from "../src/Dpop.js"
import * as Login from "../src/Login.js"
import * as Logout from "../src/Logout.js"
import * as Mfa from "../src/Mfa.js"
import * as DatabaseConnections from "../src/DatabaseConnections.js"
import * as Passwordless from "../src/Passwordless.js"
import * as Revocation from "../src/Revocation.js"
import { BaseServerClient } from "../src/ServerClient.js"
import * as SessionTransfer from "../src/SessionTransfer.js"
import * as TokenExchange from "../src/TokenExchange.js"
import * as TokenVault from "../src/TokenVault.js"
import * as UserSession from "../src/UserSession.js"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const docs = join(root, "docs")
const pages = [join(root, "README.md"), ...readdirSync(docs).filter((f) => f.endsWith(".md")).map((f) => join(docs, f))]
const text = pages.map((page) => readFileSync(page, "utf8")).join("\n")

/**
 * Code as the drift check compares it: block comments, whole-line and trailing `//` comments,
 * indentation and runs of whitespace do not count.
 */
const normalize = (code: string): Array<string> =>
  code
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((line) => line.replace(/\s+\/\/(\s.*)?$/, "").replace(/\s+/g, " ").trim())
    .filter((line) => line.length > 0 && !line.startsWith("//"))

const isImport = (line: string) => /^import .* from "[^"]+"$/.test(line)

/** What an import line brings in, as `module:name` (`* as X` and defaults included, `type` ignored). */
const imported = (line: string): Array<string> => {
  const [, clause = "", module = ""] = /^import (?:type )?(.*) from "([^"]+)"$/.exec(line) ?? []
  const named = /\{([^}]*)\}/.exec(clause)?.[1]
  const names = [
    ...(named ?? "").split(",").map((n) => n.trim().replace(/^type /, "")).filter((n) => n.length > 0),
    ...clause.replace(/\{[^}]*\}/, "").split(",").map((n) => n.trim()).filter((n) => n.length > 0)
  ]
  return names.map((name) => `${module}:${name}`)
}

/** Package names by folder, for examples that import their own package by relative path. */
const packageName = (pkg: string): string | undefined => {
  const manifest = join(root, "packages", pkg, "package.json")
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name : undefined
}

/**
 * The compiled sources a sample may come from: packages/<pkg>/examples (scripts/typecheck-tests.mjs
 * compiles them with each package's tests) and the demo app's source (built by `tsc -b`). An
 * example's `../src/index.js` import counts as its package's name, which users import.
 */
const sources = readdirSync(join(root, "packages")).flatMap((pkg) =>
  [join(root, "packages", pkg, "examples"), ...(pkg === "demo" ? [join(root, "packages", pkg, "src")] : [])]
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((file) => file.endsWith(".ts"))
        .map((file) => {
          const self = packageName(pkg)
          const raw = readFileSync(join(dir, file), "utf8")
          const lines = normalize(self ? raw.replaceAll('from "../src/index.js"', `from "${self}"`) : raw)
          return {
            file: join(dir, file).slice(root.length + 1),
            imports: new Set(lines.filter(isImport).flatMap(imported)),
            code: lines.filter((line) => !isImport(line)).join("\n")
          }
        })
    )
)

/**
 * A sample matches a source file when everything it imports the file imports too, and the rest, cut
 * at `// …` lines (code left out), appears in the file as contiguous runs of lines, in order.
 */
const matches = (sample: string, source: (typeof sources)[number]): boolean => {
  const segments = sample.split(/^[ \t]*\/\/ (?:…|\.\.\.).*$/m).map(normalize)
  if (!segments.flat().filter(isImport).flatMap(imported).every((name) => source.imports.has(name))) return false
  let from = 0
  for (const segment of segments) {
    const code = segment.filter((line) => !isImport(line)).join("\n")
    if (code.length === 0) continue
    let at = source.code.indexOf(code, from)
    // The run starts on a line boundary (its last line may end early: `})` of `}).pipe(`).
    while (at > 0 && source.code[at - 1] !== "\n") {
      at = source.code.indexOf(code, at + 1)
    }
    if (at < 0) return false
    from = at + code.length
  }
  return true
}

describe("docs", () => {
  it("every relative link resolves to a file in the repository", () => {
    const broken: Array<string> = []
    for (const page of pages) {
      for (const [, target] of readFileSync(page, "utf8").matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue
        const path = resolve(dirname(page), target!.split("#")[0]!)
        if (!existsSync(path)) broken.push(`${page.slice(root.length)} -> ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it("every ts code block in docs/ and README.md comes from a compiled example", () => {
    expect(sources.length).toBeGreaterThan(10)
    const drifted: Array<string> = []
    let blocks = 0
    for (const page of pages) {
      const markdown = readFileSync(page, "utf8")
      for (const block of markdown.matchAll(/^[ \t]*```ts\n([\s\S]*?)^[ \t]*```/gm)) {
        blocks++
        if (!sources.some((source) => matches(block[1]!, source))) {
          const line = markdown.slice(0, block.index).split("\n").length
          drifted.push(`${page.slice(root.length + 1)}:${line}: ${normalize(block[1]!)[0] ?? ""}`)
        }
      }
    }
    expect(blocks).toBeGreaterThan(40)
    expect(drifted).toEqual([])
  })

  it("the drift check sees a changed sample", () => {
    const source = sources.find((s) => s.file.endsWith("effect-programs.ts"))!
    const sample = "const runtime = ManagedRuntime.make(AppLayer)\n"
    expect(matches(sample, source)).toBe(true)
    expect(matches(`  ${sample.replace(" = ", "   =   ")}`, source)).toBe(true)
    expect(matches(sample.replace("AppLayer", "OtherLayer"), source)).toBe(false)
    expect(matches(`import * as Nope from "nope"\n${sample}`, source)).toBe(false)
    expect(matches(`import * as ManagedRuntime from "effect/ManagedRuntime"\n${sample}`, source)).toBe(true)
    expect(matches(`import { Nope, RequestCookies } from "@auth0-effect/core/RequestCookies"\n${sample}`, source)).toBe(false)
    expect(matches("runtime = ManagedRuntime.make(AppLayer)", source)).toBe(false)
  })

  it("the index links every guide", () => {
    const index = readFileSync(join(docs, "README.md"), "utf8")
    const unlisted = readdirSync(docs).filter((f) => f.endsWith(".md") && f !== "README.md" && !index.includes(`(${f})`))
    expect(unlisted).toEqual([])
  })

  it("every ServerClient method is shown with a call in a guide", () => {
    const methods = Object.getOwnPropertyNames(BaseServerClient.prototype).filter((m) =>
      !["constructor", "run", "dispose"].includes(m)
    )
    expect(methods.length).toBeGreaterThan(10)
    expect(methods.filter((m) => !text.includes(`${m}(`))).toEqual([])
  })

  it("every flow of the Effect API is named in a guide", () => {
    const flows = {
      AccessToken,
      AccountLinking,
      BackchannelLogout,
      Ciba,
      ConnectedAccounts,
      DatabaseConnections,
      Dpop,
      Login,
      Logout,
      Mfa,
      Organizations,
      Passwordless,
      Revocation,
      SessionTransfer,
      TokenExchange,
      TokenVault,
      UserSession
    }
    const missing: Array<string> = []
    for (const [module, exports] of Object.entries(flows)) {
      for (const [name, value] of Object.entries(exports)) {
        if (typeof value !== "function" && !(typeof value === "object" && value !== null && "pipe" in value)) continue
        if (name.startsWith("check") || /^[A-Z_]+$/.test(name)) continue
        if (!text.includes(name)) missing.push(`${module}.${name}`)
      }
    }
    expect(missing).toEqual([])
  })
})
