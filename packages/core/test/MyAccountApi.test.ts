import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as MyAccountApi from "../src/MyAccountApi.js"
import { testConfig } from "./helpers/config.js"
import { type FakeTenant, json, makeFakeTenant, MY_ACCOUNT, never, problem } from "./helpers/fakeTenant.js"

const withTenant = <A, E>(
  run: (tenant: FakeTenant) => Effect.Effect<A, E, MyAccountApiServices>
): Effect.Effect<A, E> => {
  const tenant = makeFakeTenant()
  const http = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, tenant.fetch)))
  return run(tenant).pipe(Effect.provide(Layer.merge(http, testConfig({ httpTimeoutMs: 5_000 }))))
}
type MyAccountApiServices = Effect.Effect.Context<ReturnType<typeof MyAccountApi.listAccounts>>

const connectBody: MyAccountApi.ConnectRequest = {
  connection: "google-oauth2",
  redirect_uri: "https://app.example.com/callback",
  state: "s",
  code_challenge: "c".repeat(43),
  code_challenge_method: "S256"
}
const completeBody: MyAccountApi.CompleteRequest = {
  auth_session: "as",
  connect_code: "cc",
  redirect_uri: "https://app.example.com/callback",
  code_verifier: "v".repeat(43)
}

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

/** The failure, which must be a MyAccountApiError. */
const apiFailure = <A, R>(effect: Effect.Effect<A, MyAccountApi.MyAccountError, R>) =>
  Effect.flatMap(Effect.flip(effect), (error) =>
    error._tag === "MyAccountApiError" ? Effect.succeed(error) : Effect.dieMessage(`expected MyAccountApiError, got ${error._tag}`))

describe("MyAccountApi", () => {
  it.effect("connect POSTs JSON with a charset and a bearer token, and decodes the 201", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        const response = yield* MyAccountApi.connect("tok", { ...connectBody, scopes: ["openid"] })
        expect(response.connect_params.ticket).toBe("ticket-as-1")
        const [sent] = tenant.seen
        expect(sent!.method).toBe("POST")
        expect(sent!.url.href).toBe(`${MY_ACCOUNT}/connect`)
        expect(sent!.headers.get("authorization")).toBe("Bearer tok")
        expect(sent!.headers.get("content-type")).toBe("application/json; charset=utf-8")
        expect(JSON.parse(sent!.body)).toEqual({ ...connectBody, scopes: ["openid"] })
      })
    ))

  it.effect("400 with validation_errors keeps every field of the problem", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", () =>
          problem(400, "Bad Request", "Invalid request payload input", {
            validation_errors: [
              { detail: "connection length must be between 1 and 128", field: "connection", pointer: "/connection" },
              { detail: "bad" }
            ]
          }))
        const error = yield* failure(MyAccountApi.connect("tok", connectBody))
        expect(error._tag).toBe("MyAccountApiError")
        expect(error).toMatchObject({
          status: 400,
          type: "https://auth0.com/api-errors/A0E-400",
          title: "Bad Request",
          detail: "Invalid request payload input",
          validationErrors: [
            { detail: "connection length must be between 1 and 128", field: "connection", pointer: "/connection" },
            { detail: "bad" }
          ]
        })
        expect(error.message).toContain("connection: connection length must be between 1 and 128")
      })
    ))

  it.effect("401 and 403 stay distinguishable by status", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/accounts", () => problem(401, "Unauthorized", "Invalid token"))
        tenant.answer("/accounts", () => problem(403, "Forbidden", "Insufficient scope, expected: read:me:connected_accounts"))
        const unauthorized = yield* apiFailure(MyAccountApi.listAccounts("tok"))
        const forbidden = yield* apiFailure(MyAccountApi.listAccounts("tok"))
        expect([unauthorized._tag, unauthorized.status, unauthorized.title]).toEqual(["MyAccountApiError", 401, "Unauthorized"])
        expect([forbidden._tag, forbidden.status, forbidden.detail]).toEqual([
          "MyAccountApiError",
          403,
          "Insufficient scope, expected: read:me:connected_accounts"
        ])
        // 4xx are not retried, even on reads.
        expect(tenant.seen).toHaveLength(2)
      })
    ))

  it.effect("409 on a reused connect_code", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/complete", () => problem(409, "Conflict", "The connect_code was already used"))
        const error = yield* failure(MyAccountApi.complete("tok", completeBody))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 409, title: "Conflict", validationErrors: [] })
      })
    ))

  it.effect("429 carries retry-after given in seconds", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", () => problem(429, "Too Many Requests", "Global limit has been reached", {}, { "retry-after": "17" }))
        const error = yield* failure(MyAccountApi.connect("tok", connectBody))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 429, retryAfter: 17 })
      })
    ))

  it.effect("429 carries retry-after given as an HTTP date, relative to Clock", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.parse("2030-01-01T00:00:00Z"))
        tenant.answer("/connect", () =>
          problem(429, "Too Many Requests", "slow down", {}, { "retry-after": "Tue, 01 Jan 2030 00:01:30 GMT" }))
        const error = yield* apiFailure(MyAccountApi.connect("tok", connectBody))
        expect(error.retryAfter).toBe(90)
      })
    ))

  it("parseRetryAfter: seconds, dates, past dates and junk", () => {
    const now = Date.parse("2030-01-01T00:00:00Z")
    expect(MyAccountApi.parseRetryAfter("0", now)).toBe(0)
    expect(MyAccountApi.parseRetryAfter(" 120 ", now)).toBe(120)
    expect(MyAccountApi.parseRetryAfter("Tue, 01 Jan 2030 00:00:10 GMT", now)).toBe(10)
    expect(MyAccountApi.parseRetryAfter("Mon, 31 Dec 2029 23:00:00 GMT", now)).toBe(0)
    expect(MyAccountApi.parseRetryAfter("soon", now)).toBeUndefined()
    expect(MyAccountApi.parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it.effect("a non-JSON error body still gives a MyAccountApiError with its status, described but never quoted", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", () =>
          new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }))
        const error = yield* failure(MyAccountApi.connect("tok", connectBody))
        expect(error).toMatchObject({
          _tag: "MyAccountApiError",
          status: 502,
          title: "HTTP 502",
          detail: "a body that is not JSON (text/html, 24 bytes)",
          validationErrors: []
        })
        expect(error.message).not.toContain("Bad gateway")
      })
    ))

  it.effect("a non-JSON 2xx is an InvalidResponseError", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", () => new Response("<html>ok</html>", { status: 201, headers: { "content-type": "text/html" } }))
        const error = yield* failure(MyAccountApi.connect("tok", connectBody))
        expect(error).toMatchObject({ _tag: "InvalidResponseError", status: 201 })
      })
    ))

  it.effect("a 2xx of the wrong shape is an InvalidResponseError", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/accounts", () => json(200, { accounts: [{ id: 1 }] }))
        const error = yield* failure(MyAccountApi.listAccounts("tok"))
        expect(error).toMatchObject({ _tag: "InvalidResponseError", status: 200 })
      })
    ))

  it.effect("content types with parameters parse: application/json; charset=utf-8 and application/problem+json", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/accounts", () => json(200, { accounts: [] }, "application/json; charset=utf-8"))
        expect(yield* MyAccountApi.listAccounts("tok")).toEqual({ accounts: [] })
        tenant.answer("/accounts", () =>
          json(400, { type: "t", status: 400, title: "Bad Request", detail: "d" }, "application/problem+json; charset=UTF-8"))
        const error = yield* failure(MyAccountApi.listAccounts("tok"))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", type: "t", title: "Bad Request", detail: "d" })
      })
    ))

  it.effect("complete accepts any 2xx", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/complete", () =>
          json(200, { id: "cac_1", connection: "github", access_type: "offline", created_at: "2030-01-01T00:00:00Z" }))
        const account = yield* MyAccountApi.complete("tok", completeBody)
        expect(account.id).toBe("cac_1")
      })
    ))

  it.effect("a POST that gets no answer times out once, as a TransportError, and is not retried", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/connect", never)
        const fiber = yield* Effect.fork(failure(MyAccountApi.connect("tok", connectBody)))
        yield* TestClock.adjust("5 seconds")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("TransportError")
        expect(error.message).toContain("no response within")
        expect(tenant.seen).toHaveLength(1)
      })
    ))

  it.effect("a GET that times out is retried, then gives up as a TransportError", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        for (let i = 0; i < 3; i++) tenant.answer("/accounts", never)
        const fiber = yield* Effect.fork(failure(MyAccountApi.listAccounts("tok")))
        for (let i = 0; i < 6; i++) yield* TestClock.adjust("5 seconds")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("TransportError")
        expect(tenant.seen).toHaveLength(3)
      })
    ))

  it.effect("a GET answered 503 is retried and may then succeed; a POST answered 503 is not", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("/accounts", () => problem(503, "Service Unavailable", "busy"))
        const fiber = yield* Effect.fork(MyAccountApi.listAccounts("tok"))
        yield* TestClock.adjust("5 seconds")
        expect((yield* Fiber.join(fiber)).accounts).toEqual([])
        expect(tenant.count("/me/v1/connected-accounts/accounts")).toBe(2)
        tenant.answer("/connect", () => problem(503, "Service Unavailable", "busy"))
        const error = yield* failure(MyAccountApi.connect("tok", connectBody))
        expect(error).toMatchObject({ _tag: "MyAccountApiError", status: 503 })
        expect(tenant.count("/me/v1/connected-accounts/connect")).toBe(1)
      })
    ))

  it.effect("delete percent-encodes the id and accepts 204", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        tenant.answer("", () => new Response(null, { status: 204 }), "DELETE")
        yield* MyAccountApi.deleteAccount("tok", "cac/1 ?#%")
        const [sent] = tenant.seen
        expect(sent!.method).toBe("DELETE")
        expect(sent!.url.pathname).toBe("/me/v1/connected-accounts/accounts/cac%2F1%20%3F%23%25")
        expect(sent!.url.search).toBe("")
      })
    ))

  it.effect("list sends connection, from and take only when given", () =>
    withTenant((tenant) =>
      Effect.gen(function*() {
        yield* MyAccountApi.listAccounts("tok", { connection: "github", from: "abc", take: 5 })
        yield* MyAccountApi.listAccounts("tok")
        yield* MyAccountApi.listConnections("tok", { take: 2 })
        expect(tenant.seen.map((r) => r.url.search)).toEqual(["?connection=github&from=abc&take=5", "", "?take=2"])
      })
    ))
})
