/**
 * Messages that tell a developer what usually went wrong.
 *
 * @internal
 */

/**
 * The message of a `MissingTransactionError`: what usually causes one. Never the state value.
 */
export const missingTransactionMessage = (kind: "login" | "connect" | "link" | "unlink"): string =>
  `No ${kind} transaction for this state: unknown, expired or already used. Likely causes: ` +
  "the transaction cookie was not sent back with the callback (a Secure cookie over plain http, " +
  "or the flow started on localhost and the callback came to 127.0.0.1, or the other way round: " +
  "cookies are per host), the user took too long, or the callback was used twice (reload, back button)"

