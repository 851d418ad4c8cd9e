/**
 * Server-rendered HTML for the demo: one layout, tiny helpers, and every value escaped on the
 * way in. Templates take `Html` (already safe) or strings (escaped), so nothing reaches the page
 * unescaped by accident.
 */

/** Markup that is safe to place as-is: built only by {@link html} or {@link raw}. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }

/** Escapes text for HTML content and quoted attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

type Part = Html | string | number | undefined | null | false | ReadonlyArray<Part>

const render = (part: Part): string => {
  if (part === undefined || part === null || part === false) return ""
  if (part instanceof Html) return part.value
  if (Array.isArray(part)) return part.map(render).join("")
  return escapeHtml(String(part))
}

/** Tagged template: interpolated strings are escaped, `Html` values and arrays of them are not. */
export const html = (strings: TemplateStringsArray, ...parts: ReadonlyArray<Part>): Html =>
  new Html(strings.reduce((out, s, i) => out + s + (i < parts.length ? render(parts[i]!) : ""), ""))

/** Trusted markup written in this package (never user data). */
export const raw = (value: string): Html => new Html(value)

/** Any value (claim, API field) as display text: strings as-is, the rest as JSON. */
export const display = (value: unknown): string =>
  typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value)

const STYLE = raw(`body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f8;color:#1b1b1f}
header{background:#1b1b1f;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a{color:#c9c6ff}header strong{margin-right:auto}
main{max-width:820px;margin:24px auto;background:#fff;padding:24px 32px;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{text-align:left;border-bottom:1px solid #e4e4e8;padding:6px 8px;vertical-align:top}
code{background:#f0f0f4;padding:1px 4px;border-radius:3px}.note{color:#666;font-size:.9em}
.error{color:#b00020}.ok{color:#0a7d33}form.inline{display:inline}
button,a.button{display:inline-block;text-decoration:none;padding:6px 14px;border:0;border-radius:4px;background:#635dff;color:#fff;font-weight:600;cursor:pointer}
button.secondary{background:#e4e4e8;color:#1b1b1f}button.danger{background:#c62828}`)

export interface LayoutUser {
  readonly label: string
}

/** The page shell: header with navigation (when logged in), then the body. */
export const layout = (title: string, body: Html, user: LayoutUser | undefined): string =>
  html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · auth0-effect demo</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong><a href="/">auth0-effect demo</a></strong>${
    user
      ? html`<a href="/profile">Profile</a><a href="/api-token">API token</a><a href="/connections">Connections</a><a href="/calendar">Calendar</a>
<span id="whoami">${user.label}</span>
<form class="inline" method="post" action="/logout"><button type="submit" class="secondary" id="logout">Log out</button></form>`
      : html`<a href="/login" id="header-login">Log in</a>`
  }</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value

/** A two-column table of name/value rows. */
export const keyValueTable = (id: string, rows: ReadonlyArray<readonly [string, Html | string]>): Html =>
  html`<table id="${id}"><tbody>${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>`
