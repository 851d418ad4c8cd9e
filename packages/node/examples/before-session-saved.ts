/**
 * docs/login-and-sessions.md: `beforeSessionSaved` keeps less in the session (smaller cookies).
 */
import { ServerClient } from "@auth0-effect/node"

/** The claims this app reads; everything else the ID token carries stays out of `user`. */
const KEPT_CLAIMS = ["sub", "name", "email", "email_verified", "https://example.com/roles"]

export const auth0 = new ServerClient({
  domain: "your-tenant.auth0.com",
  clientId: "your-client-id",
  clientSecret: "your-client-secret",
  secret: "a-secret-of-at-least-32-characters-long!!",
  redirectUri: "https://app.example.com/auth/callback",
  // Runs before every write of the session: login, refresh, Token Vault, any update.
  beforeSessionSaved: (session, _idToken) => ({
    ...session,
    user: {
      sub: session.user.sub,
      ...Object.fromEntries(Object.entries(session.user).filter(([claim]) => KEPT_CLAIMS.includes(claim)))
    },
    // Only the APIs this server calls; a dropped token is fetched again when next asked for.
    tokenSets: session.tokenSets.filter((set) => set.audience === "https://api.example.com")
  })
})
