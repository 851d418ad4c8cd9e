/**
 * docs/agents.md: an agent asks the user to approve on their phone (CIBA), a job queue splits the
 * same flow in two, and a service trades its own token for Auth0 tokens (Custom Token Exchange).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { BackchannelAuthenticationError, ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "a-secret-of-at-least-32-characters-long!!",
  redirectUri: "https://app.example.com/auth/callback"
})

/** The agent wants to pay an invoice for the user: the user approves on their phone. */
export const approvePayment = async (userId: string, invoice: string) => {
  try {
    const tokens = await auth0.loginBackchannel({
      loginHint: { sub: userId },
      bindingMessage: `Pay invoice ${invoice}`,
      audience: "https://payments.example.com",
      scope: "openid pay:invoices",
      authorizationDetails: [{ type: "payment", invoice }]
    })
    return { approved: true, accessToken: tokens.accessToken, details: tokens.authorizationDetails }
  } catch (error) {
    if (error instanceof BackchannelAuthenticationError) return { approved: false, reason: error.reason }
    throw error
  }
}

/** A job queue: start now, keep the request, poll from a later job. */
export const startApproval = (userId: string) =>
  auth0.initiateBackchannelAuthentication({ loginHint: { sub: userId }, bindingMessage: "Sign in to the agent" })

export const pollApproval = async (job: { authReqId: string; interval: number }) => {
  const result = await auth0.backchannelAuthenticationGrant(job)
  return result.status === "complete" ? { done: true, idToken: result.tokens.idToken } : { done: false, retryIn: result.interval }
}

/** A service with its own token gets an Auth0 token for the same user, no session touched. */
export const exchange = (legacyToken: string) =>
  auth0.customTokenExchange({
    subjectToken: legacyToken,
    subjectTokenType: "urn:acme:legacy-token",
    audience: "https://api.example.com",
    scope: "read:items"
  })

/** The same exchange as a login: the result becomes the browser's session. */
export const loginWithLegacyToken = async (legacyToken: string, req: IncomingMessage, res: ServerResponse) => {
  const { user } = await auth0.loginWithCustomTokenExchange(
    { subjectToken: legacyToken, subjectTokenType: "urn:acme:legacy-token" },
    { req, res }
  )
  return user.sub
}
