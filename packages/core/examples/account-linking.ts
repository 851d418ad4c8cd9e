/**
 * docs/account-linking.md: account linking with the Effect API. Compiled by `tsc -p tsconfig.test.json`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AccountLinking from "@auth0-effect/core/AccountLinking"
import * as Login from "@auth0-effect/core/Login"

/** The authorize URL of a link: the session's ID token as id_token_hint, scope `openid link_account`. */
export const startLinkGitHub = AccountLinking.startLinkUser({ connection: "github", appState: { returnTo: "/settings" } })

/** No session, or a session without an ID token: log in first. */
export const startLinkOrLogin = startLinkGitHub.pipe(
  Effect.catchTags({
    MissingSessionError: () => Login.startInteractiveLogin({ appState: { returnTo: "/settings" } }),
    AccountLinkingError: (e) => e.reason === "no_id_token" ? Login.startInteractiveLogin() : Effect.fail(e)
  })
)

/** One callback for logins, links and unlinks. */
export const handleCallback = (url: string) =>
  Effect.gen(function*() {
    const kind = yield* AccountLinking.callbackKind(url)
    if (Option.contains(kind, "link")) return yield* AccountLinking.completeLinkUser(url)
    if (Option.contains(kind, "unlink")) return yield* AccountLinking.completeUnlinkUser(url)
    return yield* Login.completeInteractiveLogin(url)
  })

/** An unlink, with a refusal turned into a value. */
export const unlinkGitHub = (callbackUrl: string) =>
  AccountLinking.completeUnlinkUser(callbackUrl).pipe(
    Effect.map(() => "unlinked" as const),
    Effect.catchTag("AccountLinkingError", (e) =>
      e.reason === "refused" ? Effect.succeed(`refused: ${e.error ?? ""}` as const) : Effect.fail(e))
  )

/** Start an unlink. */
export const startUnlinkGitHub = AccountLinking.startUnlinkUser({ connection: "github" })
