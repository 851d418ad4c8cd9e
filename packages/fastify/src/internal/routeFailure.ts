/**
 * A failed auth route's answer when the app has no error handler of its own. Fastify's default
 * handler sends `{ statusCode, error, message }` with the error's `message`, and some SDK
 * messages quote the request (a callback's `error_description`) or the tenant's answer, so the
 * plugin answers those failures itself, in the same shape, naming only the route and the error's
 * kind. With an app error handler, the plugin throws the original error to it instead.
 *
 * @since 0.1.0
 */
import { type AuthRoute, failureLine, statusOf } from "@auth0-effect/core/WebRoutesRules"
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify"
import { STATUS_CODES } from "node:http"

/**
 * Whether `instance` (a route's context) still has Fastify's default error handler. Fastify
 * exposes the handler in effect as `instance.errorHandler`; its default is the function
 * `defaultErrorHandler` (Fastify 5), while `setErrorHandler` stores a bound function.
 */
export const hasDefaultErrorHandler = (instance: FastifyInstance): boolean => instance.errorHandler.name === "defaultErrorHandler"

/** The SDK error's kind (`MissingTransactionError`), or `Error` for anything untagged. */
const kindOf = (error: unknown): string => {
  const tag = typeof error === "object" && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined
  return typeof tag === "string" && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(tag) ? tag : "Error"
}

/**
 * The body of a failed route: Fastify's error shape, value-free. `code` is the error's kind
 * for a 4xx; a 5xx names neither kind nor cause (they are in the log line).
 */
export const failureBody = (route: AuthRoute, error: unknown, status: number) => {
  const reason = STATUS_CODES[status] ?? "Error"
  return status >= 500
    ? { statusCode: status, error: reason, message: `${route} failed` }
    : { statusCode: status, code: kindOf(error), error: reason, message: `${route} failed (${kindOf(error)})` }
}

/**
 * Answers a failed route with {@link failureBody}, logging core's value-free failure line the
 * way Fastify's default handler logs (`info` below 500, `error` from 500).
 */
export const sendFailure = (request: FastifyRequest, reply: FastifyReply, route: AuthRoute, error: unknown, status = statusOf(error)) => {
  const line = failureLine(route, error)
  if (status >= 500) request.log.error({ route }, line)
  else request.log.info({ route }, line)
  return reply.code(status).header("cache-control", "no-store").send(failureBody(route, error, status))
}
