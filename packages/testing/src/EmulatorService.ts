import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { startEmulator, type Emulator, type EmulatorOptions } from "./Emulator.js"

/** The emulator could not start (non-loopback host, port in use, ...). */
export class EmulatorStartError extends Data.TaggedError("EmulatorStartError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** A scoped emulator: started when the layer is built, stopped when its scope closes. */
export class EmulatorService extends Context.Tag("@auth0-effect/testing/Emulator")<EmulatorService, Emulator>() {
  /**
   * @example
   * it.effect("...", () => Effect.gen(function* () {
   *   const emulator = yield* EmulatorService
   * }).pipe(Effect.provide(EmulatorService.layer())))
   */
  static layer(options?: EmulatorOptions): Layer.Layer<EmulatorService, EmulatorStartError> {
    return Layer.scoped(
      EmulatorService,
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => startEmulator(options),
          catch: (cause) =>
            new EmulatorStartError({
              message: `Could not start the Auth0 emulator: ${cause instanceof Error ? cause.message : String(cause)}`,
              cause
            })
        }),
        (emulator) => Effect.promise(() => emulator.stop())
      )
    )
  }
}
