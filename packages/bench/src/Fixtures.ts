/**
 * What both SDKs are measured with: the same secret, the same session data, the same kind of
 * request objects, and one local discovery server on 127.0.0.1 that serves each SDK's tenant.
 */
import { createServer, IncomingMessage, ServerResponse, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { seededBytes } from "./Realistic.js"

export const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
export const CLIENT_ID = "bench-client"
export const CLIENT_SECRET = "bench-client-secret"
export const REDIRECT_URI = "http://localhost:3000/callback"
export const SESSION_COOKIE = "__a0_session"
/** The reference SDK discovers at `https://${domain}`; its fetch is rerouted to the local server. */
export const REFERENCE_DOMAIN = "auth.bench.local"

/** What identifies one request on Node, as both SDKs receive it. */
export interface NodeRequest {
  readonly req: IncomingMessage
  readonly res: ServerResponse
}

/**
 * A fresh `node:http` request/response pair carrying `cookieHeader`, built without a socket
 * (about 1 µs). Every benchmark iteration gets a new pair, as every real request does: the Node
 * adapter caches its cookie jar per `req`, so reusing one would measure a warm cache.
 */
export const nodeRequest = (cookieHeader: string | undefined): NodeRequest => {
  const req = new IncomingMessage(null as never)
  req.headers = cookieHeader === undefined ? {} : { cookie: cookieHeader }
  return { req, res: new ServerResponse(req) }
}

/** The `Set-Cookie` values a response carries. */
export const setCookies = (res: ServerResponse): Array<string> => {
  const value = res.getHeader("set-cookie")
  if (value === undefined) return []
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

/**
 * The `Cookie` header a browser sends back after receiving `setCookieValues`: every cookie with a
 * value, in order (a cookie expired later in the list drops out).
 */
export const cookieHeaderFrom = (setCookieValues: ReadonlyArray<string>): string => {
  const jar = new Map<string, string>()
  for (const line of setCookieValues) {
    const pair = line.split(";", 1)[0]!
    const eq = pair.indexOf("=")
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (value === "" || /max-age=0/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
  return Array.from(jar, ([name, value]) => `${name}=${value}`).join("; ")
}

/**
 * A cookie header with one character of the first session cookie's value changed, in the middle
 * of the value (inside the ciphertext for both SDKs' formats).
 */
export const tamper = (cookieHeader: string): string => {
  const start = cookieHeader.indexOf("=", cookieHeader.indexOf(SESSION_COOKIE)) + 1
  const end = cookieHeader.indexOf(";", start) === -1 ? cookieHeader.length : cookieHeader.indexOf(";", start)
  const at = Math.floor((start + end) / 2)
  const replacement = cookieHeader[at] === "A" ? "B" : "A"
  return cookieHeader.slice(0, at) + replacement + cookieHeader.slice(at + 1)
}

const base64url = (text: string): string => Buffer.from(text).toString("base64url")

/**
 * A JWT-shaped string of roughly `length` characters (never verified: stores treat tokens as
 * opaque). The signature is seeded random bytes, as incompressible as a real one.
 */
const opaqueJwt = (claims: Record<string, unknown>, length: number): string => {
  const head = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "bench-key" }))}.${base64url(JSON.stringify(claims))}.`
  const signature = Buffer.from(seededBytes(length, Math.ceil((Math.max(43, length - head.length) * 3) / 4))).toString("base64url")
  return head + signature.slice(0, Math.max(43, length - head.length))
}

/**
 * A logged-in session as both SDKs store it (their shapes agree on these fields): user claims,
 * ID token, refresh token, one access token. About 2.2 KB of JSON, which each SDK seals into a
 * cookie of about 3 KB.
 */
export const sessionData = (nowSeconds: number) => {
  const user = {
    sub: "auth0|64f1c0ffee0123456789abcd",
    name: "Ada Lovelace",
    nickname: "ada",
    given_name: "Ada",
    family_name: "Lovelace",
    email: "ada.lovelace@example.com",
    email_verified: true,
    picture: "https://s.gravatar.com/avatar/5c5e0b3c0d0f4f6a9a2b7e1d4c3b2a19?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fad.png",
    updated_at: "2025-01-15T10:20:30.000Z"
  }
  const iat = Math.floor(nowSeconds)
  return {
    user,
    idToken: opaqueJwt({ ...user, iss: `https://${REFERENCE_DOMAIN}/`, aud: CLIENT_ID, iat, exp: iat + 36_000, sid: "sid-bench-0001" }, 880),
    refreshToken: "v1.MjAyNS0wMS0xNVQxMDoyMDozMC4wMDBa-bench-refresh-token-0123456789abcdef",
    tokenSets: [{
      audience: "https://api.example.com",
      accessToken: opaqueJwt({ iss: `https://${REFERENCE_DOMAIN}/`, sub: user.sub, aud: ["https://api.example.com"], iat, exp: iat + 86_400, scope: "openid profile email offline_access read:items write:items" }, 600),
      scope: "openid profile email offline_access read:items write:items",
      expiresAt: iat + 86_400
    }],
    connectionTokenSets: [],
    internal: { sid: "sid-bench-0001", createdAt: iat }
  }
}

/** A local OpenID Provider metadata server: the root for auth0-effect (`domain: http://127.0.0.1:port`), `/reference/...` for the reference SDK (its `https://auth.bench.local` fetches are rerouted there). */
export interface DiscoveryServer {
  readonly port: number
  /** Requests served so far (both SDKs), to show that discovery is cached during timing. */
  readonly requests: () => number
  readonly close: () => Promise<void>
}

const metadata = (issuer: string, base: string) => ({
  issuer,
  authorization_endpoint: `${base}/authorize`,
  token_endpoint: `${base}/oauth/token`,
  jwks_uri: `${base}/.well-known/jwks.json`,
  userinfo_endpoint: `${base}/userinfo`,
  end_session_endpoint: `${base}/oidc/logout`,
  response_types_supported: ["code"],
  subject_types_supported: ["public"],
  id_token_signing_alg_values_supported: ["RS256"],
  code_challenge_methods_supported: ["S256"],
  token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"]
})

export const startDiscoveryServer = async (): Promise<DiscoveryServer> => {
  let served = 0
  let port = 0
  const server: Server = createServer((req, res) => {
    served++
    const path = req.url ?? "/"
    let body: unknown
    if (path === "/.well-known/openid-configuration") {
      body = metadata(`http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}`)
    } else if (path === "/reference/.well-known/openid-configuration") {
      body = metadata(`https://${REFERENCE_DOMAIN}/`, `https://${REFERENCE_DOMAIN}`)
    } else if (path.endsWith("/.well-known/jwks.json")) {
      body = { keys: [] }
    } else {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
  return {
    port,
    requests: () => served,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  }
}
