/**
 * The services every flow needs, in one layer: configuration, discovery/JWKS, the fetch-based
 * HttpClient, request coalescing and refresh coordination. Session and transaction stores are
 * chosen separately.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import { Auth0Config, type Auth0Input } from "./Auth0Config.js"
import { AuthorizationServer } from "./AuthorizationServer.js"
import type { ConfigurationError } from "./Errors.js"
import { RefreshCoordinator } from "./RefreshCoordinator.js"
import { RequestCoalescer } from "./RequestCoalescer.js"
import type { SessionBackend } from "./SessionBackend.js"

export type Services = Auth0Config | AuthorizationServer | RequestCoalescer | RefreshCoordinator | HttpClient.HttpClient

/** Options of {@link layer} and {@link layerWithoutHttp}. */
export interface LayerOptions<E = never> {
  /**
   * A backend every refresh coordinates through (lock and rotated-token ledger), whatever the
   * session store: for cookie sessions on several instances. Without it, refreshes coordinate
   * through a stateful session store's backend, or in this process only (`RefreshCoordinator`).
   */
  readonly coordination?: Layer.Layer<SessionBackend, E> | undefined
}

/** The refresh coordinator for `options`: over the given backend, or the default. */
export const coordinatorLayer = <E>(
  options: LayerOptions<E> = {}
): Layer.Layer<RefreshCoordinator, E, Auth0Config> =>
  options.coordination === undefined
    ? RefreshCoordinator.layer
    : RefreshCoordinator.layerBackend.pipe(Layer.provide(options.coordination))

/** Configuration, discovery, coalescing and refresh coordination over a given HttpClient. */
export const layerWithoutHttp = <E = never>(
  input: Auth0Input,
  options: LayerOptions<E> = {}
): Layer.Layer<
  Auth0Config | AuthorizationServer | RequestCoalescer | RefreshCoordinator,
  ConfigurationError | E,
  HttpClient.HttpClient
> =>
  Layer.mergeAll(AuthorizationServer.layer, RequestCoalescer.layer, coordinatorLayer(options)).pipe(
    Layer.provideMerge(Auth0Config.fromInput(input))
  )

/** Everything but the stores, with the platform's `fetch` as HttpClient. */
export const layer = <E = never>(input: Auth0Input, options: LayerOptions<E> = {}): Layer.Layer<Services, ConfigurationError | E> =>
  layerWithoutHttp(input, options).pipe(Layer.provideMerge(FetchHttpClient.layer))
