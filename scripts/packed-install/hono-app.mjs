// A Hono app as a user installs it from the tarballs, the same file on Node, Bun and Deno: it
// imports every documented subpath of every package (SUBPATHS, a JSON list), constructs each
// adapter's ServerClient, then serves the auth routes and /me through @auth0-effect/hono, on
// Bun.serve, Deno.serve or @hono/node-server, whichever runtime runs it.
const subpaths = JSON.parse(process.env.SUBPATHS ?? "[]")
const options = JSON.parse(process.env.AUTH0_OPTIONS ?? "{}")
const port = Number(process.env.PORT)

for (const subpath of subpaths) {
  const module = await import(subpath)
  if (Object.keys(module).length === 0) throw new Error(`${subpath} exports nothing`)
}
// What the exports map hides stays hidden.
const hidden = await import("@auth0-effect/core/internal/http").then(() => false, () => true)
if (!hidden) throw new Error("@auth0-effect/core/internal/http resolved: internal modules must not be exported")
for (const name of subpaths.filter((s) => !s.slice(1).includes("/"))) {
  const { ServerClient } = await import(name)
  if (typeof ServerClient === "function") await new ServerClient(options).dispose()
}

const { Hono } = await import("hono")
const { auth0, requireAuth, ServerClient } = await import("@auth0-effect/hono")
const client = new ServerClient(options)
const app = new Hono()
app.use(auth0({ client, routes: { returnTo: "/me" } }))
app.get("/me", requireAuth(), async (c) => c.text(`Hello, ${(await c.var.auth0.requireUser()).email}`))

const ready = () => console.log(`listening on ${port}, ${subpaths.length} subpaths imported`)
if (globalThis.Bun) {
  globalThis.Bun.serve({ hostname: "127.0.0.1", port, fetch: app.fetch })
  ready()
} else if (globalThis.Deno) {
  globalThis.Deno.serve({ hostname: "127.0.0.1", port, onListen: ready }, app.fetch)
} else {
  const { serve } = await import("@hono/node-server")
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, ready)
}
