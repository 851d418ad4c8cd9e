import type { RefreshFamilyState } from "./RefreshFamilies.js"
import type { EmulatorClient } from "../Emulator.js"
import type { DpopState } from "./Dpop.js"
import type { MfaState } from "./Mfa.js"
import type { LinkingState } from "./AccountLinking.js"
import type { OrganizationsState } from "./Organizations.js"
import type { CibaState } from "./Ciba.js"
import type { TokenExchangeOptions } from "./TokenExchange.js"

/** A user of the tenant: `sub` plus the OIDC claims returned for it. */
export interface UserRecord {
  readonly sub: string
  readonly claims: Record<string, unknown>
}

/** What a refresh token stands for, whether oidc-provider issued it (code grant) or the emulator did (rotation). */
export interface RefreshGrant {
  readonly clientId: string
  readonly accountId: string
  /** The scope granted at login (OIDC and API scopes, space separated). */
  readonly scope: string
  /** The audience requested at login, if any. */
  readonly audience: string | undefined
  readonly sid: string | undefined
  readonly authTime: number | undefined
  readonly grantId: string | undefined
  readonly expiresAt: number
  /** The rotation family (see internal/RefreshFamilies.ts); unset before the first rotation. */
  readonly family?: string | undefined
}

export interface ConnectedAccount {
  readonly id: string
  readonly seq: number
  readonly sub: string
  readonly connection: string
  readonly scopes: ReadonlyArray<string>
  readonly createdAt: string
  readonly expiresAt: string | undefined
}

export interface ConnectSession {
  readonly authSession: string
  readonly ticket: string
  readonly sub: string
  readonly clientId: string | undefined
  readonly connection: string
  readonly redirectUri: string
  readonly state: string | undefined
  readonly codeChallenge: string | undefined
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: number
  connectCode: string | undefined
  completed: boolean
}

export interface VaultToken {
  readonly sub: string
  readonly connection: string
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: number
  /** Thumbprint of the DPoP key the token is bound to (RFC 9449 §6), if any. */
  readonly jkt?: string | undefined
}

export interface Fault {
  readonly endpoint: string
  remaining: number
  readonly status: number | undefined
  readonly delayMs: number | undefined
  readonly body: string | undefined
  readonly contentType: string | undefined
}

/** A client with its `{origin}` placeholders resolved. */
export type ResolvedClient = EmulatorClient

/** Everything one emulator instance knows; nothing lives at module level. */
export interface State {
  readonly origin: string
  readonly issuer: string
  readonly myAccountAudience: string
  readonly accessTokenTtl: number
  readonly clients: ReadonlyMap<string, ResolvedClient>
  /** audience => scopes the API defines. */
  readonly apis: ReadonlyMap<string, ReadonlyArray<string>>
  readonly connections: ReadonlyArray<string>
  readonly users: Map<string, UserRecord>
  /** Refresh tokens the emulator minted itself (rotation), by value. */
  readonly refreshTokens: Map<string, RefreshGrant>
  /** Refresh tokens that were revoked (the revocation endpoint). */
  readonly revokedRefreshTokens: Set<string>
  /** Rotation families: rotated-away tokens, families revoked on reuse. */
  readonly refreshFamilies: RefreshFamilyState
  readonly accounts: Map<string, ConnectedAccount>
  accountSeq: number
  readonly connectSessions: Map<string, ConnectSession>
  readonly vaultTokens: Map<string, VaultToken>
  readonly usedAssertionIds: Set<string>
  readonly faults: Array<Fault>
  readonly counts: Map<string, number>
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | undefined
  rateWindow: { start: number; count: number }
  /** DPoP switches, nonces, seen proofs and challenge counts. */
  readonly dpop: DpopState
  /** Multi-factor authentication: APIs that require it, authenticators, mfa_tokens, oob codes. */
  readonly mfa: MfaState
  /** Organizations, their members and invitations (internal/Organizations.ts). */
  readonly organizations: OrganizationsState
  /** Identities linked into users (internal/AccountLinking.ts). */
  readonly linking: LinkingState
  /** Backchannel (CIBA) requests and the slow_down switch. */
  readonly ciba: CibaState
  /** The test's Custom Token Exchange validator, if any. */
  readonly tokenExchange: TokenExchangeOptions | undefined
}

export const resolveOrigin = (value: string, origin: string): string => value.split("{origin}").join(origin)
