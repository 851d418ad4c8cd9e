/**
 * Rotation-safe refreshes (docs/access-tokens.md, docs/session-stores.md). Compiled by
 * `tsc -p tsconfig.test.json`, so these examples cannot drift from the code.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Auth0 from "@auth0-effect/core/Auth0"
import { RefreshCoordinator } from "@auth0-effect/core/RefreshCoordinator"
import { SessionBackend } from "@auth0-effect/core/SessionBackend"
import { StateStore } from "@auth0-effect/core/StateStore"

const options = {
  domain: "tenant.eu.auth0.com",
  clientId: "my-client-id",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? ""
}

/**
 * Stateful sessions: refreshes coordinate through the store's own backend, across every
 * instance that shares it. Nothing to configure.
 */
export const statefulApp = Layer.mergeAll(StateStore.stateful.pipe(Layer.provide(SessionBackend.memory))).pipe(
  Layer.provideMerge(Auth0.layer(options))
)

/**
 * Cookie sessions on several instances: give the refreshes a shared backend of their own (in an
 * app, `RedisSessionBackend.layer({ url })` from @auth0-effect/redis; memory here).
 */
export const cookieAppWithCoordination = StateStore.cookie.pipe(
  Layer.provideMerge(Auth0.layer(options, { coordination: SessionBackend.memory }))
)

/** The same, spelled with the coordinator's own layer. */
export const coordinator: Layer.Layer<RefreshCoordinator, never, never> = RefreshCoordinator.layerBackend.pipe(
  Layer.provide(SessionBackend.memory),
  Layer.provide(Layer.orDie(Auth0.layer(options)))
)

declare const callApi: (accessToken: string) => Effect.Effect<unknown, { readonly status: number }>

/** Your API rejected a token that had not expired: drop it, and try once more with a fresh one. */
export const items = AccessToken.withAccessToken(
  { audience: "https://api.example.com", scope: "read:items" },
  callApi,
  (error) => error.status === 401
)

/** Or by hand. */
export const itemsByHand = Effect.gen(function*() {
  const { accessToken } = yield* AccessToken.getAccessToken({ audience: "https://api.example.com" })
  return yield* callApi(accessToken).pipe(
    Effect.catchIf((e) => e.status === 401, (e) =>
      Effect.zipRight(AccessToken.invalidateAccessToken({ audience: "https://api.example.com", accessToken }), Effect.fail(e)))
  )
})
