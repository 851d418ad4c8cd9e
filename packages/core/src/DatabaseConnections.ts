/**
 * Database connections: sign-up (`POST /dbconnections/signup`) and the password reset email
 * (`POST /dbconnections/change_password`) of Auth0's Authentication API. Both are public
 * endpoints (only `client_id`); Auth0's error fields are kept (`invalid_password` with the
 * policy and the rules broken, `invalid_signup` for a user who cannot sign up, ...).
 *
 * https://auth0.com/docs/api/authentication/signup/create-a-new-user
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { InvalidArgumentError, InvalidResponseError, MissingRequiredArgumentError } from "./Errors.js"
import * as AuthApi from "./internal/authApi.js"
import * as Http from "./internal/http.js"
import { isEmail } from "./Passwordless.js"
import * as Telemetry from "./Telemetry.js"

/** The database connection Auth0 creates with every tenant. */
export const DEFAULT_CONNECTION = "Username-Password-Authentication"

export interface SignUpOptions {
  readonly email: string
  readonly password: string
  /** Default {@link DEFAULT_CONNECTION}. */
  readonly connection?: string | undefined
  /** When the connection requires a username. */
  readonly username?: string | undefined
  readonly givenName?: string | undefined
  readonly familyName?: string | undefined
  readonly name?: string | undefined
  readonly nickname?: string | undefined
  readonly picture?: string | undefined
  /** At most 10 fields, string values (Auth0's limits for sign-up metadata). */
  readonly userMetadata?: Readonly<Record<string, string>> | undefined
}

export interface SignUpResult {
  /** The user's id without the `auth0|` prefix, as Auth0 returns it (`_id`). */
  readonly id: string
  readonly email: string
  readonly emailVerified: boolean
  readonly username?: string | undefined
}

export interface ChangePasswordOptions {
  readonly email: string
  /** Default {@link DEFAULT_CONNECTION}. */
  readonly connection?: string | undefined
}

const checkEmail = (email: unknown) =>
  typeof email !== "string" || email === ""
    ? Effect.fail(new MissingRequiredArgumentError({ argument: "email", message: "email is required" }))
    : isEmail(email)
    ? Effect.void
    : Effect.fail(new InvalidArgumentError({ argument: "email", message: "email is not an email address" }))

const checkConnection = (connection: unknown) =>
  connection === undefined || (typeof connection === "string" && /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/.test(connection))
    ? Effect.void
    : Effect.fail(new InvalidArgumentError({ argument: "connection", message: "connection must be a connection name (letters, digits, -)" }))

const checkMetadata = (metadata: unknown) => {
  if (metadata === undefined) return Effect.void
  const entries = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? Object.entries(metadata) : undefined
  return entries !== undefined && entries.length <= 10 && entries.every(([, v]) => typeof v === "string" && v.length <= 500)
    ? Effect.void
    : Effect.fail(new InvalidArgumentError({ argument: "userMetadata", message: "userMetadata must have at most 10 string fields of at most 500 characters" }))
}

/**
 * Creates a user in a database connection. The password is checked by the tenant against the
 * connection's policy; a weak one fails with `AuthenticationApiError` `invalid_password`
 * (`policy`, `rules`), a user who exists (or may not sign up) with `invalid_signup`. The
 * password never appears in an error. No session is created: log the user in afterwards.
 */
export const signUp = Telemetry.fn(Telemetry.SpanNames.databaseSignUp)(function*(options: SignUpOptions) {
  yield* checkEmail(options.email)
  if (typeof options.password !== "string" || options.password.length === 0) {
    return yield* new MissingRequiredArgumentError({ argument: "password", message: "password is required" })
  }
  yield* checkConnection(options.connection)
  yield* checkMetadata(options.userMetadata)
  const optional: Record<string, string | Readonly<Record<string, string>> | undefined> = {
    username: options.username,
    given_name: options.givenName,
    family_name: options.familyName,
    name: options.name,
    nickname: options.nickname,
    picture: options.picture,
    user_metadata: options.userMetadata
  }
  const body: Record<string, unknown> = {
    email: options.email,
    password: options.password,
    connection: options.connection ?? DEFAULT_CONNECTION
  }
  for (const [field, value] of Object.entries(optional)) if (value !== undefined) body[field] = value
  const response = yield* AuthApi.post("/dbconnections/signup", body, "Sign-up", { authenticate: false })
  const answer = yield* Http.parseJson(response, "Sign-up")
  const record = Http.isRecord(answer) ? answer : {}
  const id = Http.optionalString(record["_id"]) ?? Http.optionalString(record["id"])
  if (id === undefined) {
    return yield* new InvalidResponseError({ status: response.status, message: "Sign-up answered without the user's _id" })
  }
  const username = Http.optionalString(record["username"])
  return {
    id,
    email: Http.optionalString(record["email"]) ?? options.email,
    emailVerified: record["email_verified"] === true,
    ...(username !== undefined ? { username } : {})
  } satisfies SignUpResult as SignUpResult
}, Telemetry.flow)

/**
 * Asks the tenant to email a password reset link to a database user. Auth0 answers with the
 * same text whether or not the user exists (so the answer reveals nothing); it is not returned.
 */
export const changePassword = Telemetry.fn(Telemetry.SpanNames.databaseChangePassword)(function*(options: ChangePasswordOptions) {
  yield* checkEmail(options.email)
  yield* checkConnection(options.connection)
  yield* AuthApi.post(
    "/dbconnections/change_password",
    { email: options.email, connection: options.connection ?? DEFAULT_CONNECTION },
    "Change password",
    { authenticate: false }
  )
}, Telemetry.flow)
