/**
 * Where to send the browser after login: only a path on this app. Anything that could leave the
 * origin (absolute URLs, `//host`, `/\host`, control characters that browsers strip) becomes "/",
 * so `/login?returnTo=...` cannot be used as an open redirect.
 */
export const safeReturnTo = (value: unknown, origin: string): string => {
  if (typeof value !== "string" || !value.startsWith("/")) return "/"
  if (value.startsWith("//") || value.includes("\\") || /[\u0000-\u001f\u007f]/.test(value)) return "/"
  let url: URL
  try {
    url = new URL(value, origin)
  } catch {
    return "/"
  }
  if (url.origin !== origin) return "/"
  return `${url.pathname}${url.search}${url.hash}`
}
