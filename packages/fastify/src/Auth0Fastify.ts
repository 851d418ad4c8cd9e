/**
 * Auth0 for Fastify 5, as a plugin: `app.register(auth0Plugin, { client: auth0, ... })` mounts the
 * auth routes (login, callback, logout, connect, back-channel logout), decorates every request
 * with `request.auth0` (the SDK bound to it), and `requireAuth()` is a `preHandler` guard.
 *
 * Encapsulation: the plugin is wrapped with `fastify-plugin`, so `request.auth0` reaches the
 * routes of the context that registered it (and its children); the auth routes themselves live
 * in a child context of their own, whose form-body parser does not leak into the app. Route
 * failures are thrown with the status set on the reply, so the app's `setErrorHandler` receives
 * the original `Auth0Error`. Without one, the plugin answers them itself in the shape of Fastify's
 * default handler, `{ statusCode, code, error, message }`, naming only the route and the error's
 * kind: the default handler would send the error's message, which can quote the request.
 *
 * @since 0.1.0
 */
import { MAX_LOGOUT_BODY } from "@auth0-effect/core/WebRoutesRules"
import {
  bindRequest,
  createNodeAuthRouter,
  type NodeAuthRoutesOptions,
  type RequestAuth0,
  safeReturnTo,
  type ServerClient
} from "@auth0-effect/node"
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, preHandlerAsyncHookHandler } from "fastify"
import fp from "fastify-plugin"
import { hasDefaultErrorHandler, sendFailure } from "./internal/routeFailure.js"

declare module "fastify" {
  interface FastifyRequest {
    /** The SDK bound to this request (`request.auth0.getUser()`), set by the auth0 plugin. */
    auth0: RequestAuth0
  }
}

export interface Auth0PluginOptions extends NodeAuthRoutesOptions {
  /** The SDK client (`new ServerClient(...)` from @auth0-effect/fastify or @auth0-effect/node). */
  readonly client: ServerClient
}

/** Every method is routed to the auth paths, so that a wrong one gets the routes' 405 with `Allow`. */
const METHODS: Array<HTTPMethods> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
const FORM = "application/x-www-form-urlencoded"

/** The login path of the plugin that saw a request, for `requireAuth`'s redirect. */
const loginPaths = new WeakMap<FastifyRequest, string>()

const send = async (reply: FastifyReply, response: Response): Promise<FastifyReply> => {
  const headers: Record<string, string> = {}
  // Set-Cookie is already on reply.raw (the SDK writes it there); Fastify keeps it when it writes the head.
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value
  })
  reply.code(response.status).headers(headers)
  return reply.send(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()))
}

const plugin = async (fastify: FastifyInstance, options: Auth0PluginOptions): Promise<void> => {
  const { client, ...routeOptions } = options
  const routes = createNodeAuthRouter(client, routeOptions)
  fastify.decorateRequest("auth0", null as unknown as RequestAuth0)
  fastify.addHook("onRequest", async (request, reply) => {
    request.auth0 = bindRequest(client, { req: request.raw, res: reply.raw })
    loginPaths.set(request, routes.paths.login)
  })
  const paths = [routes.paths.login, routes.paths.callback, routes.paths.logout, routes.paths.connect, routes.paths.backchannelLogout]
  await fastify.register(async (child) => {
    // The routes' error handler is the one their context has once it has loaded (Fastify fixes
    // it then, in an `after` of the context): read it at the same moment.
    let defaultErrorHandler = true
    child.after(() => {
      defaultErrorHandler = hasDefaultErrorHandler(child)
    })
    // Back-channel logout posts a form; the parser is this child context's alone.
    const asText = (_: FastifyRequest, body: string, done: (error: null, body: string) => void) => done(null, body)
    if (!child.hasContentTypeParser(FORM)) child.addContentTypeParser(FORM, { parseAs: "string" }, asText)
    if (!child.hasContentTypeParser("*")) child.addContentTypeParser("*", { parseAs: "string" }, asText)
    for (const url of paths) {
      if (url === undefined) continue
      child.route({
        method: METHODS,
        url,
        bodyLimit: MAX_LOGOUT_BODY,
        handler: async (request, reply) => {
          const outcome = await routes(request.raw, reply.raw, request.body)
          switch (outcome._tag) {
            case "Answered":
              return send(reply, outcome.response)
            case "Failed":
              if (defaultErrorHandler) return sendFailure(request, reply, outcome.route, outcome.error, outcome.status)
              // Fastify's error handling uses the reply's status when the error names none.
              reply.code(outcome.status)
              throw outcome.error
            case "NotMatched":
              // Fastify matched a path the routes do not take (a trailing slash, say): the app's 404.
              return reply.callNotFound()
          }
        }
      })
    }
  })
}

/**
 * The plugin. Register it once, before the routes that use `request.auth0`.
 *
 * @throws {InvalidArgumentError} an option the routes refuse (see `createAuthRoutes`), at registration
 * @example
 * await app.register(auth0Plugin, { client: auth0, baseUrl: "http://localhost:3000", returnTo: "/profile" })
 */
export const auth0Plugin = fp(plugin, { fastify: "5.x", name: "@auth0-effect/fastify" })

export interface RequireAuthOptions {
  /**
   * For APIs: answer 401 JSON with `WWW-Authenticate: Bearer` (RFC 6750 §3) instead of
   * redirecting to the login. Default `false`.
   */
  readonly api?: boolean | undefined
  /** Where to send the browser to log in. Default: the plugin's login path. */
  readonly loginPath?: string | undefined
}

/**
 * A `preHandler` guard: requests with a session go on; others get, for pages, a redirect to the
 * login with this URL as `returnTo` (GET and HEAD; any other method gets 401), for APIs a 401.
 * A failure to read the session (a store outage) is thrown to the error handler.
 *
 * @example
 * app.get("/profile", { preHandler: requireAuth() }, async (request) => request.auth0.getUser())
 */
export const requireAuth = (options: RequireAuthOptions = {}): preHandlerAsyncHookHandler =>
async function requireAuthHook(request, reply) {
  if (request.auth0 === null || request.auth0 === undefined) {
    throw new TypeError("requireAuth: request.auth0 is not set; register auth0Plugin in this context or a parent")
  }
  const session = await request.auth0.getSession()
  if (session !== undefined) return
  reply.header("cache-control", "no-store")
  if (options.api === true || (request.method !== "GET" && request.method !== "HEAD")) {
    return reply.code(401).header("www-authenticate", "Bearer").send({ error: "unauthorized", error_description: "Login required" })
  }
  const login = options.loginPath ?? loginPaths.get(request) ?? "/auth/login"
  const returnTo = safeReturnTo(request.url) ?? "/"
  return reply.redirect(`${login}?${new URLSearchParams({ returnTo })}`, 302)
}
