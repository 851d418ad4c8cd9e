/**
 * docs/runtimes.md: the two entries of the Node adapter. `@auth0-effect/node` is prebuilt (its own
 * copy of effect, for a fast cold start); `@auth0-effect/node/effect` is the same API on the app's
 * own effect, for apps that compose Effect programs with the SDK's. Errors of either are
 * `instanceof` the classes of both, and of `@auth0-effect/core/Errors`.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { ServerClient, MissingSessionError } from "@auth0-effect/node"
import * as EffectEntry from "@auth0-effect/node/effect"
import * as AccessToken from "@auth0-effect/core/AccessToken"
import * as Effect from "effect/Effect"

const options = {
  domain: process.env["AUTH0_DOMAIN"] ?? "your-tenant.auth0.com",
  clientId: process.env["AUTH0_CLIENT_ID"] ?? "",
  clientSecret: process.env["AUTH0_CLIENT_SECRET"] ?? "",
  secret: process.env["AUTH0_SECRET"] ?? "",
  redirectUri: "http://localhost:3000/auth/callback"
}

export const auth0 = new ServerClient(options)

/** An API token, or a redirect to the login route when nobody is logged in. */
export const itemsToken = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
  try {
    return (await auth0.getAccessToken({ audience: "https://api.example.com" }, { req, res })).accessToken
  } catch (error) {
    if (error instanceof MissingSessionError) {
      res.writeHead(302, { location: "/auth/login" }).end()
      return undefined
    }
    throw error
  }
}

// An Effect app: one copy of effect, the app's, under its programs and the SDK's.
export const effectClient = new EffectEntry.ServerClient(options)

export const itemsTokenLength = (req: IncomingMessage, res: ServerResponse): Promise<number> =>
  effectClient.run(
    AccessToken.getAccessToken({ audience: "https://api.example.com" }).pipe(
      Effect.map(({ accessToken }) => accessToken.length),
      Effect.catchTag("MissingSessionError", () => Effect.succeed(0))
    ),
    { req, res }
  )
