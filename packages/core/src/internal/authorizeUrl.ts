/**
 * The URL a browser is sent to for an authorization request (RFC 6749 §4.1.1): the parameters in
 * the query, or, with pushed authorization requests (RFC 9126), posted to the PAR endpoint with
 * client authentication first, so only `client_id` and `request_uri` travel through the browser.
 */
import * as Effect from "effect/Effect"
import { Auth0Config } from "../Auth0Config.js"
import type { Metadata } from "../AuthorizationServer.js"
import { ConfigurationError, InvalidResponseError } from "../Errors.js"
import * as TokenEndpoint from "../TokenEndpoint.js"

export const authorizeUrl = (metadata: Metadata, params: Record<string, string>, usePar: boolean) =>
  Effect.gen(function*() {
    const url = new URL(metadata.authorization_endpoint)
    if (!usePar) {
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
      return url
    }
    const parEndpoint = metadata.pushed_authorization_request_endpoint
    if (!parEndpoint) {
      return yield* new ConfigurationError({
        field: "pushedAuthorizationRequests",
        message: "Pushed authorization requests are enabled, but the tenant's discovery document has no pushed_authorization_request_endpoint"
      })
    }
    const pushed = yield* TokenEndpoint.postAuthenticated(parEndpoint, params, "Pushed authorization request")
    const requestUri = typeof pushed === "object" && pushed !== null ? (pushed as { request_uri?: unknown }).request_uri : undefined
    if (typeof requestUri !== "string") {
      return yield* new InvalidResponseError({ status: 201, message: "The PAR endpoint answered without a request_uri" })
    }
    url.searchParams.set("client_id", (yield* Auth0Config).clientId)
    url.searchParams.set("request_uri", requestUri)
    return url
  })
