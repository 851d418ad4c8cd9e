/**
 * docs/organizations.md: organization logins with the Effect API. Compiled by `tsc -p tsconfig.test.json`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Login from "@auth0-effect/core/Login"
import * as Organizations from "@auth0-effect/core/Organizations"

/** A login to an organization by id; a name (`"acme"`) works too and is compared case-insensitively. */
export const startOrganizationLogin = Login.startInteractiveLogin({
  authorizationParams: { organization: "org_W3rfUj6mEazN8PTe" }
})

/** An invitation link's login: the link's `invitation` and `organization` become authorize parameters. */
export const startInvitationLogin = (invitationUrl: string) =>
  Effect.flatMap(Organizations.loginOptionsFromInvitation(invitationUrl), Login.startInteractiveLogin)

/** The callback; an ID token that does not prove the organization fails, and no session is stored. */
export const finishLogin = (callbackUrl: string) =>
  Login.completeInteractiveLogin(callbackUrl).pipe(
    Effect.catchTag("IdTokenValidationError", (e) =>
      e.reason === "organization" ? Effect.succeed({ appState: undefined, wrongOrganization: true }) : Effect.fail(e))
  )

/** The organization of the session: `{ id, name }` from the login's `org_id` and `org_name`. */
export const currentOrganizationId = Effect.map(Organizations.getOrganization, Option.map((org) => org.id))

/** A refreshed token keeps the organization; a refresh into another one is refused, the session unchanged. */
export const ordersToken = AccessToken.getAccessToken({ audience: "https://orders.example.com" }).pipe(
  Effect.catchTag("AccessTokenError", (e) =>
    e.reason === "organization_mismatch" ? Effect.succeed(undefined) : Effect.fail(e))
)
