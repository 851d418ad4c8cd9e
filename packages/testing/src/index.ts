/**
 * @auth0-effect/testing: a local Auth0 emulator for tests and demos. A development tool that listens
 * on loopback only; never expose it.
 */
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_LOGOUT_URIS,
  DEFAULT_REDIRECT_URIS,
  startEmulator,
  type Emulator,
  type EmulatorClient,
  type EmulatorOptions,
  type EmulatorSdkOptions,
  type LogoutTokenOptions
} from "./Emulator.js"
export { EmulatorService, EmulatorStartError } from "./EmulatorService.js"
export { totp } from "./internal/Totp.js"
export type { BackchannelRequest, BackchannelTarget, CibaOptions } from "./internal/PublicTypes.js"
export type { TokenExchangeDecision, TokenExchangeOptions, TokenExchangeRequest } from "./internal/PublicTypes.js"
