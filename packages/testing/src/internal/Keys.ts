import * as jose from "jose"
import { randomId } from "./Http.js"

/** The tenant's signing key: one RS256 key shared by oidc-provider and the emulator's own tokens. */
export interface TenantKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** Private JWK, for oidc-provider's `jwks` configuration. */
  readonly privateJwk: jose.JWK
  readonly publicJwk: jose.JWK
}

export const makeTenantKey = async (): Promise<TenantKey> => {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const kid = randomId(12)
  const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg: "RS256", use: "sig" }
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }
  return { kid, privateKey, publicKey, privateJwk, publicJwk }
}

/** Signs `payload` with the tenant key (RS256, `kid` header). */
export const signJwt = (key: TenantKey, payload: jose.JWTPayload, typ?: string): Promise<string> =>
  new jose.SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", kid: key.kid, ...(typ ? { typ } : {}) })
    .sign(key.privateKey)
