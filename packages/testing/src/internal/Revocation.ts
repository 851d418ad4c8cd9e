import type { ServerResponse } from "node:http"
import type Provider from "oidc-provider"
import { sendOAuthError, sendText } from "./Http.js"
import type { ResolvedClient, State } from "./State.js"
import { findRefreshToken } from "./TokenEndpoint.js"

/**
 * Auth0's `POST /oauth/revoke` (RFC 7009; https://auth0.com/docs/api/authentication/revoke-refresh-token/revoke-refresh-token),
 * for an already authenticated client: the refresh token is revoked (it can no longer refresh
 * nor be exchanged at Token Vault) and the answer is an empty 200, also for a token that is
 * unknown, already revoked or another client's (RFC 7009 §2.2: nothing is revealed). A missing
 * `token` is 400 `invalid_request`.
 */
export const handleRevocation = async (
  state: State,
  provider: Provider,
  client: ResolvedClient,
  params: URLSearchParams,
  res: ServerResponse
): Promise<void> => {
  const token = params.get("token")
  if (!token) return sendOAuthError(res, 400, "invalid_request", "Missing required parameter: token")
  const found = await findRefreshToken(state, provider, token)
  if (found && found.grant.clientId === client.clientId) await found.consume("revoked")
  sendText(res, 200, "", "text/plain; charset=utf-8")
}
