/**
 * Auth0 Organizations: logins to an organization and invitation links. A login names the
 * organization as `authorizationParams.organization` (an `org_...` id or a name; the `organization`
 * option sets a default); the callback then requires the ID token to prove it (`org_id`, or
 * `org_name` compared case-insensitively), records it as the session's `organization`, and
 * every refreshed ID token must keep it.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InvalidArgumentError, MissingRequiredArgumentError } from "./Errors.js"
import type { StartInteractiveLoginOptions } from "./Login.js"
import * as OrganizationRules from "./OrganizationRules.js"
import type { SessionOrganization } from "./Session.js"
import * as UserSession from "./UserSession.js"
import * as Telemetry from "./Telemetry.js"

/**
 * Login options from an invitation link (`https://app.example.com/login?invitation=...&organization=org_...`):
 * `options` with `authorizationParams.invitation` and `authorizationParams.organization` set from
 * the link, ready for `startInteractiveLogin`. A link without either parameter fails with
 * {@link MissingRequiredArgumentError}, a malformed one with {@link InvalidArgumentError}; the
 * link's `organization_name` is display text and is not sent.
 */
export const loginOptionsFromInvitation = <AppState = unknown>(
  url: string | URL,
  options: StartInteractiveLoginOptions<AppState> = {}
): Effect.Effect<StartInteractiveLoginOptions<AppState>, InvalidArgumentError | MissingRequiredArgumentError> =>
  Effect.gen(function*() {
    let parsed: URL
    try {
      parsed = typeof url === "string" ? new URL(url) : url
    } catch {
      return yield* new InvalidArgumentError({ argument: "url", message: "The invitation URL is not an absolute URL" })
    }
    const result = OrganizationRules.parseInvitation(parsed.searchParams)
    if ("argument" in result) {
      const message = `Invalid invitation URL: ${result.problem}`
      return yield* result.missing
        ? new MissingRequiredArgumentError({ argument: result.argument, message })
        : new InvalidArgumentError({ argument: result.argument, message })
    }
    return {
      ...options,
      authorizationParams: {
        ...options.authorizationParams,
        invitation: result.params.invitation,
        organization: result.params.organization
      }
    }
  }).pipe(Telemetry.flow, Telemetry.span(Telemetry.SpanNames.organizationInvitation))

/** The organization the current session was logged in to, if any (none without a session). */
export const getOrganization = Effect.map(
  UserSession.getSession,
  (session): Option.Option<SessionOrganization> => Option.flatMap(session, (s) => Option.fromNullable(s.organization))
)
