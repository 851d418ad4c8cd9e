/**
 * The back-channel logout route (OpenID Back-Channel Logout 1.0): the tenant POSTs a
 * form-encoded `logout_token`; the route answers 200 once the sessions it names are gone, or
 * 400 with an OAuth error (§2.8). The tenant calls it server to server, so there is no cookie,
 * no CSRF check and no redirect. Used by `WebRoutes`; not exported on its own.
 *
 * @since 0.1.0
 */
import { backchannelErrorBody, logoutTokenOf, MAX_LOGOUT_BODY } from "../WebRoutesRules.js"

/** What the route needs of the client. */
export interface BackchannelClient {
  readonly handleBackchannelLogout: (logoutToken: string) => Promise<number>
}

/** Answers of this route: never cached (§2.8 "Cache-Control: no-store"). */
const json = (status: number, body: string | null): Response =>
  new Response(body, {
    status,
    headers: body === null
      ? { "cache-control": "no-store" }
      : { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }
  })

/** A 400 (or 500) with the OAuth error body. */
export const backchannelError = (status: number, description: string): Response =>
  json(status, backchannelErrorBody(status, description))

/** The request body as text, or `undefined` when it is larger than {@link MAX_LOGOUT_BODY}. */
const boundedText = async (request: Request): Promise<string | undefined> => {
  const declared = Number(request.headers.get("content-length") ?? "0")
  if (declared > MAX_LOGOUT_BODY) return undefined
  if (request.body === null) return ""
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_LOGOUT_BODY) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

/**
 * Validates the request's logout token and ends its sessions: 200 with no body, or a 400 for a
 * request that is not a logout request. A refused token (invalid, replayed) or a store failure
 * rejects with the flow's error, for the routes' error hook and default answer.
 */
export const backchannelLogout = async (client: BackchannelClient, request: Request): Promise<Response> => {
  const body = await boundedText(request)
  if (body === undefined) return backchannelError(400, "the body is too large")
  const parsed = logoutTokenOf(request.headers.get("content-type"), body)
  if (parsed._tag === "Invalid") return backchannelError(400, parsed.reason)
  await client.handleBackchannelLogout(parsed.token)
  return json(200, null)
}
