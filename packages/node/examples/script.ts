/**
 * docs/login-and-sessions.md and docs/redis.md: a script (a job, a migration, a test) that uses
 * a client and exits. A store that holds a connection (Redis) keeps the process alive until the
 * client is disposed; `await using` disposes it at the end of the block, even on a throw.
 */
import { ServerClient, type ServerClientOptions } from "@auth0-effect/node"

export const countApis = async (sessionStore: ServerClientOptions["sessionStore"], storeOptions: Parameters<ServerClient["getSession"]>[0]) => {
  await using auth0 = new ServerClient({
    domain: "your-tenant.auth0.com",
    clientId: "your-client-id",
    clientSecret: "your-client-secret",
    secret: "a-secret-of-at-least-32-characters-long!!",
    sessionStore
  })
  const session = await auth0.getSession(storeOptions)
  return session?.tokenSets.length ?? 0
}

/** Without `await using`: dispose in a finally. */
export const withDispose = async (options: ServerClientOptions) => {
  const auth0 = new ServerClient(options)
  try {
    // ... use auth0 ...
  } finally {
    await auth0.dispose()
  }
}
