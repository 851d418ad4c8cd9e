/**
 * @auth0-effect/hono on Node through @hono/node-server: the fixture app served in this process
 * on 127.0.0.1, against the emulator.
 */
import { serve } from "@hono/node-server"
import { makeApp } from "./fixtures/app.js"
import { describeHonoRuntime } from "./helpers/honoScenario.js"

describeHonoRuntime({
  name: "node",
  startupTimeoutMs: 10_000,
  start: (config, port) =>
    new Promise((resolve) => {
      const app = makeApp(config)
      const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, () =>
        resolve({ stop: () => new Promise<void>((done) => server.close(() => done())) }))
    })
})
