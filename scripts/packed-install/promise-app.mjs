// A Promise-only consumer: the ServerClient of @auth0-effect/node, or of its single-file bundle
// (ENTRY=@auth0-effect/node/bundle), serving login, callback and /me over node:http.
import { createServer } from "node:http"

const { ServerClient } = await import(process.env.ENTRY ?? "@auth0-effect/node")
const port = Number(process.env.PORT)
const auth0 = new ServerClient(JSON.parse(process.env.AUTH0_OPTIONS ?? "{}"))

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`)
  const storeOptions = { req, res }
  try {
    if (url.pathname === "/auth/login") {
      res.writeHead(302, { location: (await auth0.startInteractiveLogin({}, storeOptions)).href }).end()
    } else if (url.pathname === "/auth/callback") {
      await auth0.completeInteractiveLogin(url, storeOptions)
      res.writeHead(302, { location: "/me" }).end()
    } else {
      const user = await auth0.getUser(storeOptions)
      res.writeHead(200).end(user ? `Hello, ${user.email}` : "nobody")
    }
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain" }).end(`${error?._tag ?? "Error"}: ${error?.message}`)
  }
})
server.listen(port, "127.0.0.1", () => console.log("listening"))
