/**
 * docs/dpop.md: the Promise facade with DPoP: the client with a key, a call to your own API with
 * the session's token, and a proof for a request you send yourself.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { ServerClient } from "@auth0-effect/node"

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "at-least-32-characters-of-secret!!",
  redirectUri: "https://app.example.com/auth/callback",
  // A private JWK (or a PKCS#8 PEM string); the same on every instance.
  dpop: { privateKey: JSON.parse(process.env["AUTH0_DPOP_KEY"] ?? "{}") as Record<string, unknown> }
})

/** GET /items: your API, called with the session's (DPoP-bound) token. */
export const items = async (req: IncomingMessage, res: ServerResponse) => {
  const response = await auth0.fetchWithAccessToken(
    { url: "https://api.example.com/items", audience: "https://api.example.com", scope: "read:items" },
    { req, res }
  )
  res.writeHead(response.status, { "content-type": "application/json" }).end(response.body)
}

/** A request you send with your own client: the token's scheme and a proof for it. */
export const ownRequest = async (req: IncomingMessage, res: ServerResponse) => {
  const { accessToken, tokenType } = await auth0.getAccessToken({ audience: "https://api.example.com" }, { req, res })
  const url = "https://api.example.com/items"
  const proof = await auth0.generateDpopProof({ method: "GET", url, accessToken })
  return fetch(url, { headers: { authorization: `${tokenType} ${accessToken}`, dpop: proof } })
}
