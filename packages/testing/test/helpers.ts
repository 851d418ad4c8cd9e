import { createHash, randomBytes } from "node:crypto"
import type { Emulator } from "../src/index.js"

export const REDIRECT_URI = "http://127.0.0.1:3000/auth/callback"
export const API = "https://api.example.com/"
export const BILLING = "https://billing.example.com/"

export const pkce = () => {
  const verifier = randomBytes(32).toString("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") }
}

export interface LoginResult {
  readonly tokens: Record<string, unknown> & { access_token: string; refresh_token?: string; id_token?: string; scope?: string }
  readonly nonce: string
  readonly status: number
}

export const authorizeUrl = (
  emulator: Emulator,
  options: { clientId?: string; scope?: string; audience?: string; nonce: string; state: string; challenge: string; maxAge?: number }
): string => {
  const url = new URL("/authorize", emulator.origin)
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: options.clientId ?? emulator.clientId,
    redirect_uri: REDIRECT_URI,
    scope: options.scope ?? "openid profile email offline_access",
    state: options.state,
    nonce: options.nonce,
    code_challenge: options.challenge,
    code_challenge_method: "S256",
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.maxAge !== undefined ? { max_age: String(options.maxAge) } : {})
  }).toString()
  return url.href
}

export const exchangeCode = async (
  emulator: Emulator,
  code: string,
  verifier: string,
  auth: { clientId?: string; clientSecret?: string } = {}
): Promise<Response> =>
  fetch(`${emulator.origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      client_id: auth.clientId ?? emulator.clientId,
      client_secret: auth.clientSecret ?? emulator.clientSecret ?? ""
    }).toString()
  })

/** Full login for `user`: authorize, programmatic login, code exchange. */
export const loginAs = async (
  emulator: Emulator,
  user: string,
  options: { audience?: string; scope?: string; clientId?: string; clientSecret?: string } = {}
): Promise<LoginResult> => {
  const { verifier, challenge } = pkce()
  const nonce = randomBytes(16).toString("base64url")
  const state = randomBytes(16).toString("base64url")
  const callback = new URL(
    await emulator.login(
      authorizeUrl(emulator, {
        nonce,
        state,
        challenge,
        ...(options.audience ? { audience: options.audience } : {}),
        ...(options.scope ? { scope: options.scope } : {}),
        ...(options.clientId ? { clientId: options.clientId } : {})
      }),
      { user }
    )
  )
  if (callback.searchParams.get("state") !== state) throw new Error(`state mismatch in ${callback.href}`)
  const code = callback.searchParams.get("code")
  if (!code) throw new Error(`no code in ${callback.href}`)
  const response = await exchangeCode(emulator, code, verifier, {
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {})
  })
  return { tokens: (await response.json()) as LoginResult["tokens"], nonce, status: response.status }
}

export const tokenRequest = (emulator: Emulator, params: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${emulator.origin}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString()
  })

export const refresh = (
  emulator: Emulator,
  refreshToken: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {}
) =>
  tokenRequest(emulator, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret ?? "",
    ...extra
  }, headers)
