/**
 * docs/testing.md: an app's own test against the emulator, with the SDK configured by
 * `emulator.sdkOptions()`.
 */
import { startEmulator } from "@auth0-effect/testing"
import { ServerClient } from "@auth0-effect/node"

export const makeTestApp = async () => {
  const emulator = await startEmulator({
    clients: [{ clientId: "my-app", clientSecret: "my-app-secret", redirectUris: ["http://127.0.0.1:3000/auth/callback"] }]
  })
  await emulator.createUser({ email: "ada@example.com", name: "Ada" })
  // domain, allowInsecureHttp, clientId, clientSecret, secret, redirectUri, cookie.secure=false
  const auth0 = new ServerClient(emulator.sdkOptions({ clientId: "my-app" }))
  return {
    emulator,
    auth0,
    stop: async () => {
      await auth0.dispose()
      await emulator.stop()
    }
  }
}
