/**
 * Runs the app's `beforeSessionSaved` hook on a session about to be written (both session
 * stores call it from `set`, so every flow that saves a session goes through it).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { StoreError } from "../Errors.js"
import { type BeforeSessionSaved, SessionData, toPublic } from "../Session.js"

const decode = Schema.decodeUnknown(SessionData)

const hookFailed = (what: string) =>
  new StoreError({ reason: "corrupt", message: `beforeSessionSaved ${what}; the session was not saved` })

/**
 * `data` as the hook would have it kept; `internal` (the SDK's bookkeeping) is always the
 * original's. The hook gets its own copy, so mutating it changes nothing else. A hook that
 * throws, or returns something that is not a session about the same `sub`, fails with
 * `StoreError` (`corrupt`), naming the problem but never a value (the session holds tokens).
 */
export const apply = (
  hook: BeforeSessionSaved | undefined,
  data: SessionData
): Effect.Effect<SessionData, StoreError> => {
  if (hook === undefined) return Effect.succeed(data)
  return Effect.gen(function*() {
    const copy = JSON.parse(JSON.stringify(toPublic(data))) as ReturnType<typeof toPublic>
    const kept: unknown = yield* Effect.tryPromise({
      try: async () => await hook(copy, copy.idToken),
      catch: (error) => hookFailed(`threw ${error instanceof Error ? error.name : typeof error}`)
    })
    if (typeof kept !== "object" || kept === null || Array.isArray(kept)) {
      return yield* hookFailed("returned something that is not a session object")
    }
    const checked = yield* decode({ ...kept, internal: data.internal }).pipe(
      Effect.mapError(() => hookFailed("returned something that is not a session (user, tokenSets, connectionTokenSets)"))
    )
    if (checked.user.sub !== data.user.sub) return yield* hookFailed("changed user.sub: a session cannot change whom it is about")
    return checked
  })
}
