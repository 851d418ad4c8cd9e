/**
 * Facade misuse on Node rejects (never throws) with an InvalidArgumentError that says to pass
 * `{ req, res }`; a real node:http request passes the check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Auth0Error, InvalidArgumentError, MissingSessionError, ServerClient, type NodeStoreOptions } from "../src/index.js"

const auth0 = new ServerClient({
  domain: "tenant.auth0.com",
  clientId: "client",
  clientSecret: "client-secret",
  secret: "node-facade-test-secret-0123456789abcdef",
  cookie: { secure: false }
})

let server: Server
let url: string
const answers: Array<unknown> = []

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const settle = (value: unknown) => {
      answers.push(value)
      res.end()
    }
    if (req.url === "/user") auth0.getUser({ req, res }).then(settle, settle)
    else auth0.requireUser({ req, res }).then(settle, settle)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await auth0.dispose()
  await new Promise((resolve) => server.close(resolve))
})

const rejection = async (f: () => Promise<unknown>) => {
  let promise: Promise<unknown> | undefined
  expect(() => {
    promise = f()
  }).not.toThrow()
  return promise!.then(() => expect.fail("resolved"), (error: unknown) => error)
}

describe("Node facade misuse", () => {
  const calls: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
    ["getUser()", () => (auth0.getUser as (o?: unknown) => Promise<unknown>)()],
    ["getUser({ req }) without res", () => auth0.getUser({ req: { headers: {} } } as unknown as NodeStoreOptions)],
    ["getUser({ request, headers }) (the Web shape)", () => auth0.getUser({ request: new Request("http://x"), headers: new Headers() } as unknown as NodeStoreOptions)],
    ["getAccessToken({ audience }) without storeOptions", () => auth0.getAccessToken({ audience: "https://api.example.com" } as unknown as NodeStoreOptions)],
    ["getSession(\"cookie\")", () => auth0.getSession("cookie" as unknown as NodeStoreOptions)],
    ["logout(undefined, undefined)", () => auth0.logout(undefined, undefined as unknown as NodeStoreOptions)]
  ]
  for (const [name, call] of calls) {
    it(`${name} rejects with InvalidArgumentError naming { req, res }`, async () => {
      const error = await rejection(call)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toBeInstanceOf(Auth0Error)
      expect((error as InvalidArgumentError).argument).toBe("storeOptions")
      expect((error as Error).message).toMatch(/\{ req, res \}/)
      expect((error as Error).message).not.toMatch(/Cannot read properties/)
    })
  }

  it("a real request passes the check: getUser resolves undefined, requireUser rejects MissingSessionError", async () => {
    answers.length = 0
    await fetch(`${url}/user`)
    await fetch(`${url}/required`)
    expect(answers[0]).toBeUndefined()
    expect(answers[1]).toBeInstanceOf(MissingSessionError)
  })
})
