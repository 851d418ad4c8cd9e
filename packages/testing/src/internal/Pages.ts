import { escapeHtml } from "./Http.js"

const layout = (title: string, body: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0;padding:40px}
main{max-width:380px;margin:0 auto;background:#fff;padding:24px 32px;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.1)}
h1{font-size:1.3em}label,input,button,select{display:block;width:100%;box-sizing:border-box;margin:8px 0}
input,select{padding:8px}button{padding:10px;border:0;border-radius:4px;background:#635dff;color:#fff;font-weight:600;cursor:pointer}
button.secondary{background:#ddd;color:#222}.error{color:#b00020}.note{color:#666;font-size:.85em}
</style>
</head>
<body><main>
<p class="note">Auth0 emulator (local development tool)</p>
${body}
</main></body>
</html>`

/** The universal-login stand-in: pick or type a user, then continue (or cancel, which denies the request). */
export const loginPage = (options: {
  readonly action: string
  readonly clientId: string
  readonly users: ReadonlyArray<{ readonly sub: string; readonly email: string | undefined }>
  readonly loginHint: string | undefined
  readonly error?: string
}): string =>
  layout(
    "Log in",
    `<h1>Log in to ${escapeHtml(options.clientId)}</h1>
${options.error ? `<p class="error" id="error">${escapeHtml(options.error)}</p>` : ""}
<form method="post" action="${escapeHtml(options.action)}" id="login-form">
<label for="user">Email or user id</label>
<input id="user" name="user" list="known-users" autocomplete="username" autofocus value="${escapeHtml(options.loginHint ?? "")}">
<datalist id="known-users">${options.users
      .map((u) => `<option value="${escapeHtml(u.email ?? u.sub)}">${escapeHtml(u.sub)}</option>`)
      .join("")}</datalist>
<button type="submit" name="action" value="login" id="submit">Continue</button>
<button type="submit" name="action" value="deny" class="secondary" id="deny">Cancel</button>
</form>
${options.users.length > 0 ? `<p class="note">Known users:</p><ul id="users">${options.users
      .map(
        (u) =>
          `<li><form method="post" action="${escapeHtml(options.action)}"><input type="hidden" name="user" value="${escapeHtml(u.sub)}"><button type="submit" name="action" value="login" class="secondary" data-sub="${escapeHtml(u.sub)}">${escapeHtml(u.email ?? u.sub)}</button></form></li>`
      )
      .join("")}</ul>` : ""}`
  )

/** The fake upstream provider's consent page for a Connected Accounts flow. */
export const connectPage = (options: { readonly action: string; readonly ticket: string; readonly connection: string; readonly scopes: ReadonlyArray<string> }): string =>
  layout(
    `Connect ${options.connection}`,
    `<h1>${escapeHtml(options.connection)} wants to share your account</h1>
<p>Requested scopes:</p><ul id="scopes">${options.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>
<form method="post" action="${escapeHtml(options.action)}" id="connect-form">
<input type="hidden" name="ticket" value="${escapeHtml(options.ticket)}">
<button type="submit" name="decision" value="approve" id="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary" id="deny">Deny</button>
</form>`
  )

export const errorPage = (title: string, detail: string): string =>
  layout(title, `<h1>${escapeHtml(title)}</h1><p class="error" id="error">${escapeHtml(detail)}</p>`)

/** oidc-provider's end-session confirmation, submitted automatically (Auth0 does not ask). */
export const logoutPage = (form: string): string =>
  layout(
    "Logging out",
    `<h1>Logging out…</h1>${form}
<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes">Log out</button>
<script>document.getElementById("logout").click()</script>`
  )

export const messagePage = (title: string, message: string): string =>
  layout(title, `<h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p>`)

const unescapeHtml = (value: string): string =>
  value.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) =>
    name === "amp" ? "&" : name === "lt" ? "<" : name === "gt" ? ">" : name === "quot" ? '"' : "'"
  )

const textOf = (html: string): string =>
  unescapeHtml(html.replace(/<[^>]*>/g, " ")).replace(/\s+/g, " ").trim()

/**
 * What a page says, for an error message: the heading and the error (or message) paragraph of the
 * emulator's own pages; for any other HTML, its text without `<head>`, styles and scripts.
 * Never the CSS.
 */
export const pageMessage = (html: string, limit = 300): string => {
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1]
  const detail = /<p[^>]*id="(?:error|message)"[^>]*>([\s\S]*?)<\/p>/i.exec(html)?.[1]
  const parts = [heading, detail].filter((p): p is string => p !== undefined).map(textOf).filter((p) => p.length > 0)
  const text = parts.length > 0
    ? parts.join(": ")
    : textOf(html.replace(/<(head|style|script)\b[\s\S]*?<\/\1>/gi, " "))
  return text.length > limit ? `${text.slice(0, limit)}…` : text
}
