/**
 * Logout: ends the local session and returns where to send the browser so the tenant ends
 * its session too (OIDC RP-Initiated Logout 1.0, or Auth0's /v2/logout).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Auth0Config } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import { InvalidArgumentError } from "./Errors.js"
import { StateStore } from "./StateStore.js"

export interface LogoutOptions {
  /** Absolute http(s) URL the tenant redirects to afterwards; must be allowed in the dashboard. */
  readonly returnTo?: string | undefined
}

const checkReturnTo = (returnTo: string | undefined) =>
  Effect.suspend(() => {
    if (returnTo === undefined) return Effect.void
    let url: URL
    try {
      url = new URL(returnTo)
    } catch {
      return Effect.fail(new InvalidArgumentError({ argument: "returnTo", message: "returnTo must be an absolute URL" }))
    }
    return url.protocol === "https:" || url.protocol === "http:"
      ? Effect.void
      : Effect.fail(new InvalidArgumentError({ argument: "returnTo", message: "returnTo must be an http(s) URL" }))
  })

/**
 * Deletes the session and returns the tenant's logout URL: the discovery document's
 * end_session_endpoint with id_token_hint, client_id and post_logout_redirect_uri, or
 * `/v2/logout` with client_id and returnTo when the tenant has none (or discovery is down).
 */
export const logout = Effect.fn("logout")(function*(options: LogoutOptions = {}) {
  const config = yield* Auth0Config
  yield* checkReturnTo(options.returnTo)
  const store = yield* StateStore
  const session = yield* store.get
  yield* store.delete
  const metadata = yield* Effect.option((yield* AuthorizationServer).metadata)
  const endSession = Option.flatMap(metadata, (m) => Option.fromNullable(m.end_session_endpoint))
  if (Option.isSome(endSession)) {
    const url = new URL(endSession.value)
    url.searchParams.set("client_id", config.clientId)
    const idToken = Option.getOrUndefined(session)?.idToken
    if (idToken) url.searchParams.set("id_token_hint", idToken)
    if (options.returnTo) url.searchParams.set("post_logout_redirect_uri", options.returnTo)
    return url
  }
  const url = new URL(`${config.origin}/v2/logout`)
  url.searchParams.set("client_id", config.clientId)
  if (options.returnTo) url.searchParams.set("returnTo", options.returnTo)
  return url
})
