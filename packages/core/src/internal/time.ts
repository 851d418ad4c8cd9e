/**
 * The current time in whole seconds since the epoch, from `Clock` (so `TestClock` drives it):
 * the unit of `exp`, `iat`, `expires_in` and every `expiresAt` the SDK stores.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export const epochSeconds: Effect.Effect<number> = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))
