/**
 * Property checks whose samples are Effects, run on the enclosing test's runtime (so `TestClock`
 * and provided services apply). `it.effect.prop` builds a fresh test environment per sample,
 * which costs ~30 ms each; this costs microseconds, so properties can afford thousands of runs.
 * Samples share the runtime: a property that moves `TestClock` sees it moved by earlier samples.
 */
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Runtime from "effect/Runtime"

export const checkEffect = <const Ts extends ReadonlyArray<unknown>, E, R>(
  arbitraries: { readonly [K in keyof Ts]: FastCheck.Arbitrary<Ts[K]> },
  predicate: (...values: Ts) => Effect.Effect<void, E, R>,
  parameters?: FastCheck.Parameters<Ts>
): Effect.Effect<void, never, R> =>
  Effect.flatMap(Effect.runtime<R>(), (runtime) => {
    const run = Runtime.runPromise(runtime)
    const property = (FastCheck.asyncProperty as unknown as (...args: Array<unknown>) => FastCheck.IAsyncProperty<Ts>)(
      ...arbitraries,
      (...values: Ts) => run(predicate(...values))
    )
    return Effect.promise(() => FastCheck.assert(property, parameters))
  })
