/**
 * Cookies for `node:http`: read from `req.headers.cookie`, written as `Set-Cookie` on `res`
 * (keeping any Set-Cookie the app set itself), with `Cache-Control: private, no-store` when the
 * SDK sets a cookie. Once `res.headersSent`, a call that must set a cookie rejects with an
 * `InvalidArgumentError` instead of losing it.
 *
 * @since 0.1.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type CookieAdapter, makeCookieAdapter } from "@auth0-effect/core/ServerClient"

/** Identifies one request on Node: its `req` and `res`. */
export interface NodeStoreOptions {
  readonly req: IncomingMessage
  readonly res: ServerResponse
}

export const nodeCookieAdapter: CookieAdapter<NodeStoreOptions> = makeCookieAdapter({
  request: (options: NodeStoreOptions) => options.req,
  cookieHeader: (req) => req.headers.cookie,
  setCookies: ({ res }) => {
    if (res.headersSent) return undefined
    const value = res.getHeader("set-cookie")
    if (value === undefined) return []
    return Array.isArray(value) ? value.map(String) : [String(value)]
  },
  writeSetCookies: ({ res }, values) => {
    if (values.length === 0) res.removeHeader("set-cookie")
    else res.setHeader("set-cookie", [...values])
  },
  setCacheControl: ({ res }, value) => res.setHeader("cache-control", value),
  headersSentHint: "res.writeHead, res.write or res.end"
})
