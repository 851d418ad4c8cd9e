/**
 * The two SDKs, configured alike: auth0-effect (its Node `ServerClient` and the raw Effect
 * programs behind it, through one ManagedRuntime) and @auth0/auth0-server-js (its `ServerClient`
 * over `StatelessStateStore` and `CookieTransactionStore`, the cookie-backed stores it ships).
 */
import { Auth0Config, resolve } from "@auth0-effect/core/Auth0Config"
import { makeRequestJar, parseCookieHeader, RequestCookies } from "@auth0-effect/core/RequestCookies"
import { StateStore } from "@auth0-effect/core/StateStore"
import type { Session, SessionData } from "@auth0-effect/core/Session"
import * as UserSession from "@auth0-effect/core/UserSession"
import { ServerClient, type ServerClientOptions } from "@auth0-effect/node"
import {
  type CookieHandler,
  type CookieSerializeOptions,
  CookieTransactionStore,
  ServerClient as ReferenceClient,
  type SessionData as ReferenceSession,
  type StateData,
  StatelessStateStore
} from "@auth0/auth0-server-js"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import type { IncomingMessage, ServerResponse } from "node:http"
import {
  CLIENT_ID,
  CLIENT_SECRET,
  type NodeRequest,
  REDIRECT_URI,
  REFERENCE_DOMAIN,
  SECRET,
  SESSION_COOKIE
} from "./Fixtures.js"

/** auth0-effect's options for a tenant served at `http://127.0.0.1:${port}`. */
export const oursOptions = (port: number, session?: { readonly rolling: boolean }): ServerClientOptions => ({
  domain: `http://127.0.0.1:${port}`,
  allowInsecureHttp: true,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  secret: SECRET,
  redirectUri: REDIRECT_URI,
  // The reference SDK's names, so both write cookies of comparable size (ours default to `__Host-`).
  cookie: { name: SESSION_COOKIE, transactionPrefix: "__a0_tx." },
  ...(session ? { session } : {})
})

/**
 * The raw Effect side: `StateStore.cookie` (keys derived once when the layer is built) in one
 * ManagedRuntime, each call given its request's cookie jar. No facade, no Node objects.
 */
export const makeOursRaw = (port: number) => {
  const config = Effect.runSync(resolve(oursOptions(port)))
  const runtime = ManagedRuntime.make(StateStore.cookie.pipe(Layer.provide(Layer.succeed(Auth0Config, config))))
  return {
    getSession: (cookieHeader: string | undefined): Promise<Session | undefined> =>
      runtime.runPromise(
        UserSession.getSession.pipe(
          Effect.map(Option.getOrUndefined),
          Effect.provideService(RequestCookies, makeRequestJar(cookieHeader))
        )
      ),
    /** Seals `data` for a request carrying `cookieHeader`; resolves with the `Set-Cookie` values. */
    setSession: (data: SessionData, cookieHeader: string | undefined): Promise<Array<string>> => {
      const jar = makeRequestJar(cookieHeader)
      return runtime.runPromise(
        Effect.flatMap(StateStore, (store) => store.set(data)).pipe(Effect.provideService(RequestCookies, jar))
      ).then(() => jar.setCookieHeaders())
    },
    dispose: () => runtime.dispose()
  }
}
export type OursRaw = ReturnType<typeof makeOursRaw>

/** Writes a session through the facade's own store (`run` gives a program the facade's services). */
export const setThroughFacade = (client: ServerClient, data: SessionData, request: NodeRequest): Promise<void> =>
  client.run(Effect.flatMap(StateStore, (store) => store.set(data)), request)

// ---- the reference SDK ----------------------------------------------------------------------

const serialize = (name: string, value: string, options: CookieSerializeOptions = {}): string => {
  let line = `${name}=${encodeURIComponent(value)}; Path=${options.path ?? "/"}`
  if (options.domain) line += `; Domain=${options.domain}`
  if (options.maxAge !== undefined) line += `; Max-Age=${Math.floor(options.maxAge)}`
  if (options.httpOnly) line += "; HttpOnly"
  if (options.secure) line += "; Secure"
  if (options.sameSite) line += `; SameSite=${options.sameSite[0]!.toUpperCase()}${options.sameSite.slice(1)}`
  return line
}

const appendSetCookie = (res: ServerResponse, line: string): void => {
  const current = res.getHeader("set-cookie")
  const lines = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)]
  lines.push(line)
  res.setHeader("set-cookie", lines)
}

/**
 * The reference SDK leaves cookie I/O to the framework; this is the `node:http` handler an app
 * would write, parsing the `Cookie` header once per request with the same parser our Node
 * adapter uses, so neither side pays for a different parser.
 */
const parsedCookies = new WeakMap<IncomingMessage, Map<string, string>>()
const cookiesOf = (req: IncomingMessage): Map<string, string> => {
  let parsed = parsedCookies.get(req)
  if (parsed === undefined) {
    parsed = parseCookieHeader(req.headers.cookie)
    parsedCookies.set(req, parsed)
  }
  return parsed
}

export const referenceCookieHandler: CookieHandler<NodeRequest> = {
  getCookie: (name, options) => cookiesOf(options!.req).get(name),
  getCookies: (options) => Object.fromEntries(cookiesOf(options!.req)),
  setCookie: (name, value, cookieOptions, options) => appendSetCookie(options!.res, serialize(name, value, cookieOptions)),
  deleteCookie: (name, options, cookieOptions) =>
    appendSetCookie(options!.res, serialize(name, "", { ...cookieOptions, maxAge: 0 }))
}

/** Exposes the store's protected `encrypt`, to forge an expired cookie for the behaviour table. */
export class ReferenceStateStore extends StatelessStateStore<NodeRequest> {
  seal(data: StateData, expiration: number): Promise<string> {
    return this.encrypt(SESSION_COOKIE, data, expiration)
  }
}

/**
 * The reference client for a tenant whose metadata the local server serves under `/reference`:
 * `https://auth.bench.local/...` is rerouted to `http://127.0.0.1:${port}/reference/...`.
 */
export const makeReference = (port: number, secret: string = SECRET) => {
  const stateStore = new ReferenceStateStore({ secret }, referenceCookieHandler)
  const transactionStore = new CookieTransactionStore<NodeRequest>({ secret }, referenceCookieHandler)
  const origin = `https://${REFERENCE_DOMAIN}`
  const reroute: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const local = url.startsWith(origin) ? `http://127.0.0.1:${port}/reference${url.slice(origin.length)}` : url
    return fetch(local, input instanceof Request ? { ...init, method: input.method, headers: input.headers } : init)
  }
  const client = new ReferenceClient<NodeRequest>({
    domain: REFERENCE_DOMAIN,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorizationParams: { redirect_uri: REDIRECT_URI },
    customFetch: reroute,
    stateStore,
    transactionStore
  })
  return { client, stateStore }
}
export type Reference = ReturnType<typeof makeReference>
export type { ReferenceSession }
