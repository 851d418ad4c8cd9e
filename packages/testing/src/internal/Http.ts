import { IncomingMessage, type ServerResponse } from "node:http"

/** Largest request body the emulator reads; anything bigger is a test bug, not a tenant feature. */
const BODY_LIMIT = 1024 * 1024

/** Reads the whole request body as UTF-8. */
export const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > BODY_LIMIT) throw new Error("request body too large")
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString("utf8")
}

/**
 * A readable copy of `req` whose body is `body`, for a request the emulator read (and perhaps
 * rewrote) before handing it to oidc-provider: oidc-provider reads bodies itself, and warns
 * ("already parsed request body detected") when it gets a consumed stream with `req.body` set.
 */
export const withBody = (req: IncomingMessage, body: string): IncomingMessage => {
  const copy = new IncomingMessage(req.socket)
  copy.method = req.method ?? "POST"
  copy.url = req.url ?? "/"
  copy.httpVersion = req.httpVersion
  copy.httpVersionMajor = req.httpVersionMajor
  copy.httpVersionMinor = req.httpVersionMinor
  const bytes = Buffer.from(body, "utf8")
  copy.headers = { ...req.headers, "content-length": String(bytes.length) }
  delete copy.headers["transfer-encoding"]
  // Everything is pushed now: reading must not resume the socket, which belongs to `req`.
  copy._read = () => {}
  copy.push(bytes)
  copy.push(null)
  // A complete message: ending it does not abort (and destroy) the shared socket.
  copy.complete = true
  return copy
}

/** The media type of a request, without parameters (`application/json; charset=utf-8` is JSON). */
export const mediaType = (req: IncomingMessage): string =>
  (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

export const sendText = (
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {}
): void => {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers })
  res.end(body)
}

export const sendHtml = (res: ServerResponse, status: number, html: string): void =>
  sendText(res, status, html, "text/html; charset=utf-8", { "cache-control": "no-store" })

export const redirect = (res: ServerResponse, location: string, status = 302, headers: Record<string, string | string[]> = {}): void => {
  res.writeHead(status, { location, "content-length": 0, ...headers })
  res.end()
}

/** OAuth 2.0 error response (RFC 6749 §5.2). */
export const sendOAuthError = (
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {}
): void => sendJson(res, status, { error, error_description: description }, headers)

export interface ValidationError {
  readonly detail: string
  readonly field: string
  readonly pointer?: string
}

/** My Account API problem body: `{type,status,title,detail,validation_errors?}` as application/json. */
export const sendProblem = (
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  options: { readonly validationErrors?: ReadonlyArray<ValidationError>; readonly headers?: Record<string, string>; readonly type?: string } = {}
): void =>
  sendJson(
    res,
    status,
    {
      type: options.type ?? `https://auth0.com/api-errors/A0E-${status}-0001`,
      status,
      title,
      detail,
      ...(options.validationErrors ? { validation_errors: options.validationErrors } : {})
    },
    options.headers ?? {}
  )

export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"
  )

/** A random URL-safe identifier with `bytes` bytes of entropy. */
export const randomId = (bytes = 24): string => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url")

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
