/**
 * A module loaded on its first use, then kept: the facade's rarely used flows (MFA, CIBA,
 * passwordless, ...) load when first called instead of at import, so a cold start parses and
 * evaluates only what a session read needs. The bundled entry splits each into its own chunk.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

export const lazyModule = <M>(load: () => Promise<M>): Effect.Effect<M> => {
  let loaded: M | undefined
  return Effect.suspend(() =>
    loaded !== undefined ? Effect.succeed(loaded) : Effect.promise(() => load().then((module) => (loaded = module)))
  )
}
