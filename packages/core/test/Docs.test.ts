/**
 * The docs stay true: every relative link resolves, and every facade method and flow is shown
 * in a guide.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as AccessToken from "../src/AccessToken.js"
import * as BackchannelLogout from "../src/BackchannelLogout.js"
import * as ConnectedAccounts from "../src/ConnectedAccounts.js"
import * as Login from "../src/Login.js"
import * as Logout from "../src/Logout.js"
import { BaseServerClient } from "../src/ServerClient.js"
import * as TokenVault from "../src/TokenVault.js"
import * as UserSession from "../src/UserSession.js"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const docs = join(root, "docs")
const pages = [join(root, "README.md"), ...readdirSync(docs).filter((f) => f.endsWith(".md")).map((f) => join(docs, f))]
const text = pages.map((page) => readFileSync(page, "utf8")).join("\n")

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
    const flows = { AccessToken, BackchannelLogout, ConnectedAccounts, Login, Logout, TokenVault, UserSession }
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
