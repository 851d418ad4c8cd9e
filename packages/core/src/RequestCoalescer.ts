/**
 * Shares one in-flight token request among concurrent callers with the same key (the same
 * session, audience and scope), so fifty parallel `getAccessToken` calls on an expired token
 * send one refresh. Nothing is kept once the request ends: a failure is not cached.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"

export interface RequestCoalescerService {
  /** Runs `effect` unless a run for `key` is in flight, in which case its outcome is shared. */
  readonly run: <A, E>(key: string, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

export class RequestCoalescer extends Context.Tag("@auth0-effect/core/RequestCoalescer")<
  RequestCoalescer,
  RequestCoalescerService
>() {
  static readonly layer: Layer.Layer<RequestCoalescer> = Layer.scoped(
    RequestCoalescer,
    Effect.gen(function*() {
      const scope = yield* Effect.scope
      const inFlight = new Map<string, Deferred.Deferred<unknown, unknown>>()
      return {
        run: <A, E>(key: string, effect: Effect.Effect<A, E>) =>
          Effect.suspend(() => {
            const running = inFlight.get(key) as Deferred.Deferred<A, E> | undefined
            if (running) return Deferred.await(running)
            const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
            inFlight.set(key, deferred as Deferred.Deferred<unknown, unknown>)
            // Forked into the layer's scope, so an interrupted first caller strands no one.
            return effect.pipe(
              Effect.exit,
              Effect.flatMap((exit) => Deferred.done(deferred, exit)),
              Effect.ensuring(Effect.sync(() => inFlight.delete(key))),
              Effect.forkIn(scope),
              Effect.zipRight(Deferred.await(deferred))
            )
          })
      }
    })
  )
}
