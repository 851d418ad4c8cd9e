/**
 * Cookies for `node:http`: read from `req.headers.cookie`, written as `Set-Cookie` on `res`
 * (keeping any Set-Cookie the app set itself).
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { makeRequestJar, type ResponseCookieJar } from "@auth0-effect/core/RequestCookies"
import { type CookieAdapter, perRequest } from "@auth0-effect/core/ServerClient"

/** Identifies one request on Node: its `req` and `res`. */
export interface NodeStoreOptions {
  readonly req: IncomingMessage
  readonly res: ServerResponse
}

interface Entry {
  readonly jar: ResponseCookieJar
  written: Array<string>
}

const entryFor = perRequest((req: IncomingMessage): Entry => ({
  jar: makeRequestJar(req.headers.cookie),
  written: []
}))

const currentSetCookies = (res: ServerResponse): Array<string> => {
  const value = res.getHeader("set-cookie")
  if (value === undefined) return []
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

export const nodeCookieAdapter: CookieAdapter<NodeStoreOptions> = {
  jar: (options) => entryFor(options.req).jar,
  commit: (options) => {
    const entry = entryFor(options.req)
    const next = entry.jar.setCookieHeaders()
    if (options.res.headersSent) return
    const others = currentSetCookies(options.res).filter((value) => !entry.written.includes(value))
    const all = [...others, ...next]
    if (all.length === 0) options.res.removeHeader("set-cookie")
    else options.res.setHeader("set-cookie", all)
    entry.written = next
  }
}
