/**
 * A consumer app on its own copy of effect: its own service and Layer merged with ours into one
 * app layer, built once (ManagedRuntime), serving login, callback and /me over node:http. It
 * type-checks only if our Layers and the app's come from one effect.
 */
import { createServer } from "node:http"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Auth0 from "@auth0-effect/core/Auth0"
import * as Login from "@auth0-effect/core/Login"
import { makeRequestJar, RequestCookies } from "@auth0-effect/core/RequestCookies"
import { StateStore } from "@auth0-effect/core/StateStore"
import { TransactionStore } from "@auth0-effect/core/TransactionStore"
import * as UserSession from "@auth0-effect/core/UserSession"

class Greeter extends Context.Tag("app/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}
const GreeterLive: Layer.Layer<Greeter> = Layer.succeed(Greeter, { greet: (name) => `Hello, ${name}` })

const port = Number(process.env["PORT"])
const options = JSON.parse(process.env["AUTH0_OPTIONS"] ?? "{}") as Record<string, unknown>

const AppLayer = Layer.mergeAll(
  GreeterLive,
  Layer.mergeAll(StateStore.cookie, TransactionStore.cookie).pipe(Layer.provideMerge(Auth0.layer(options as Parameters<typeof Auth0.layer>[0])))
)
const runtime = ManagedRuntime.make(AppLayer)
type AppServices = Layer.Layer.Success<typeof AppLayer>

const me: Effect.Effect<string, unknown, AppServices | RequestCookies> = Effect.gen(function*() {
  const greeter = yield* Greeter
  const user = yield* UserSession.getUser
  return Option.match(user, { onNone: () => "nobody", onSome: (u) => greeter.greet(String(u["email"])) })
})

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`)
  const jar = makeRequestJar(req.headers.cookie)
  const route: Effect.Effect<{ status: number; location?: string; body?: string }, unknown, AppServices | RequestCookies> =
    url.pathname === "/auth/login"
      ? Effect.map(Login.startInteractiveLogin(), (to) => ({ status: 302, location: to.href }))
      : url.pathname === "/auth/callback"
      ? Effect.as(Login.completeInteractiveLogin(url), { status: 302, location: "/me" })
      : Effect.map(me, (body) => ({ status: 200, body }))
  const exit = await runtime.runPromiseExit(Effect.provideService(route, RequestCookies, jar))
  if (exit._tag === "Failure") {
    res.writeHead(500, { "content-type": "text/plain" }).end(String(exit.cause))
    return
  }
  res.writeHead(exit.value.status, {
    "set-cookie": jar.setCookieHeaders(),
    ...(exit.value.location ? { location: exit.value.location } : {})
  }).end(exit.value.body ?? "")
})
server.listen(port, "127.0.0.1", () => console.log("listening"))
