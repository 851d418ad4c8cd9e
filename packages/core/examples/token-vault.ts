/**
 * Token Vault with the Effect API: a Google access token for the logged-in user, used to call
 * Google Calendar. Compiled by `tsc -p tsconfig.test.json`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as TokenVault from "@auth0-effect/core/TokenVault"

/** Everything the result holds; `expiresAt` is in seconds since the epoch. */
export const googleToken = Effect.gen(function*() {
  const { accessToken, scope, expiresAt, connection } =
    yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
  return { tokenLength: accessToken.length, scope, expiresAt, connection }
})

/** The user's upcoming events, with a Google token from Token Vault (cached in the session until it expires). */
export const upcomingEvents = Effect.gen(function*() {
  const { accessToken } = yield* TokenVault.getAccessTokenForConnection({ connection: "google-oauth2" })
  const client = yield* HttpClient.HttpClient
  const response = yield* client.execute(
    HttpClientRequest.get("https://www.googleapis.com/calendar/v3/calendars/primary/events").pipe(
      HttpClientRequest.bearerToken(accessToken)
    )
  )
  return yield* response.json
})

/** When the user has not connected Google yet, start the connect instead of failing. */
export const eventsOrConnect = upcomingEvents.pipe(
  Effect.map((events) => ({ _tag: "Events" as const, events })),
  Effect.catchTag("AccessTokenForConnectionError", (e) =>
    e.error === "federated_connection_refresh_token_not_found"
      ? Effect.succeed({ _tag: "ConnectFirst" as const, connection: e.connection })
      : Effect.fail(e))
)

/** A token for one of several accounts on the same connection. */
export const workCalendarToken = TokenVault.getAccessTokenForConnection({
  connection: "google-oauth2",
  loginHint: "ada@work.example.com"
})
