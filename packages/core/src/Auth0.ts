/**
 * The services every flow needs, in one layer: configuration, discovery/JWKS, the fetch-based
 * HttpClient and request coalescing. Session and transaction stores are chosen separately.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import { Auth0Config, type Auth0Input } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import type { ConfigurationError } from "./Errors.js"
import { RequestCoalescer } from "./RequestCoalescer.js"

export type Services = Auth0Config | AuthorizationServer | RequestCoalescer | HttpClient.HttpClient

/** Configuration, discovery and coalescing over a given HttpClient. */
export const layerWithoutHttp = (
  input: Auth0Input
): Layer.Layer<Auth0Config | AuthorizationServer | RequestCoalescer, ConfigurationError, HttpClient.HttpClient> =>
  Layer.mergeAll(AuthorizationServer.layer, RequestCoalescer.layer).pipe(
    Layer.provideMerge(Auth0Config.fromInput(input))
  )

/** Everything but the stores, with the platform's `fetch` as HttpClient. */
export const layer = (input: Auth0Input): Layer.Layer<Services, ConfigurationError> =>
  layerWithoutHttp(input).pipe(Layer.provideMerge(FetchHttpClient.layer))
