/**
 * Reading the current session.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { MissingSessionError } from "./Errors.js"
import type { Session, SessionData, UserClaims } from "./Session.js"
import { toPublic } from "./Session.js"
import { StateStore } from "./StateStore.js"
import * as Telemetry from "./Telemetry.js"

const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Telemetry.flow, Telemetry.span(Telemetry.SpanNames.sessionGet))

/** The logged-in user's claims, or `None` without a session. */
export const getUser = traced(Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.map((data) => data.user))))

/** The session without the SDK's bookkeeping, or `None`. */
export const getSession = traced(Effect.flatMap(StateStore, (store) => Effect.map(store.get, Option.map(toPublic))))

/** The stored session, failing with {@link MissingSessionError} when there is none. */
export const requireSession = Effect.flatMap(StateStore, (store) =>
  Effect.flatMap(store.get, (found): Effect.Effect<SessionData, MissingSessionError> =>
    Option.isSome(found)
      ? Effect.succeed(found.value)
      : Effect.fail(new MissingSessionError({ message: "The user is not logged in (no session)" }))))

/** The session without the SDK's bookkeeping, failing with {@link MissingSessionError} without one. */
export const requirePublicSession = traced(Effect.map(requireSession, (data): Session => toPublic(data)))

/** The user's claims, failing with {@link MissingSessionError} when there is no session. */
export const requireUser = traced(Effect.map(requireSession, (data): UserClaims => data.user))
