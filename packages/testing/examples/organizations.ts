/**
 * Examples for docs/testing.md (organizations and account linking). Type-checked by
 * tsconfig.test.json and run by test/organizations.test.ts.
 * In your project, import from "@auth0-effect/testing" instead of "../src/index.js".
 */
import type { Emulator } from "../src/index.js"

// --- Organizations ------------------------------------------------------------------------------
export const seedOrganization = async (emulator: Emulator) => {
  const acme = await emulator.createOrganization({ name: "acme", displayName: "Acme Inc." }) // { id: "org_...", name: "acme" }
  await emulator.createUser({ email: "ada@example.com" })
  await emulator.addMember(acme.id, "ada@example.com")
  // Anyone else logging in with organization=acme comes back with error=access_denied.
  const invitation = await emulator.createInvitation(acme.id, { email: "new@example.com" })
  // invitation.url: http://127.0.0.1:3000/login?invitation=...&organization=org_...&organization_name=acme
  return { acme, invitationUrl: invitation.url }
}

// --- Account linking ----------------------------------------------------------------------------
export const seedLinkableAccounts = async (emulator: Emulator) => {
  const { sub } = await emulator.createUser({ email: "ada@example.com" })
  // The account to link: its connection comes from its sub ("google-oauth2|...") or a connection claim.
  await emulator.createUser({ email: "ada.google@example.com", sub: "google-oauth2|1001" })
  return sub
}

export const linkWithEmulator = async (emulator: Emulator, linkUrl: string, primarySub: string) => {
  // Log in with the account to link; the callback's ID token is the primary user's, with both identities.
  const callback = await emulator.login(linkUrl, { user: "ada.google@example.com" })
  const identities = emulator.identities(primarySub) // [{ connection: "Username-Password-Authentication", ... }, { connection: "google-oauth2", ... }]
  return { callback, connections: identities.map((i) => i.connection) }
}
