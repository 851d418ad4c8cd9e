import { createHash } from "node:crypto"
import type { ServerResponse } from "node:http"
import { nowSeconds, randomId, sendJson, sendText } from "./Http.js"
import type { State, UserRecord } from "./State.js"
import type { PasswordPolicy } from "./PublicTypes.js"
export type { PasswordPolicy } from "./PublicTypes.js"

/**
 * One Auth0 database connection (https://auth0.com/docs/api/authentication/signup/create-a-new-user,
 * .../change-password): `/dbconnections/signup` creates a user who can then log in through the
 * login page, subject to the connection's password policy (Auth0's levels, checked as Auth0
 * words them); `/dbconnections/change_password` answers Auth0's text whatever the email (no
 * user enumeration) and, for a known user, keeps a readable password reset ticket.
 */
export const DEFAULT_DATABASE_CONNECTION = "Username-Password-Authentication"

/** Auth0's password strength levels (https://auth0.com/docs/authenticate/database-connections/password-strength). */

interface Rule {
  readonly code: string
  readonly message: string
  readonly test: (password: string) => boolean
}

const KINDS: ReadonlyArray<RegExp> = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]
const kinds = (password: string) => KINDS.filter((kind) => kind.test(password)).length
const length = (n: number): Rule => ({
  code: "lengthAtLeast",
  message: `At least ${n} characters in length`,
  test: (p) => [...p].length >= n
})
const KINDS_MESSAGE = "Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)"

const RULES: Record<PasswordPolicy, ReadonlyArray<Rule>> = {
  none: [length(1)],
  low: [length(6)],
  fair: [length(8), {
    code: "containsAtLeast",
    message: "Contain lower case letters (a-z), upper case letters (A-Z) and numbers (i.e. 0-9)",
    test: (p) => KINDS.slice(0, 3).every((kind) => kind.test(p))
  }],
  good: [length(8), { code: "containsAtLeast", message: KINDS_MESSAGE, test: (p) => kinds(p) >= 3 }],
  excellent: [length(10), { code: "containsAtLeast", message: KINDS_MESSAGE, test: (p) => kinds(p) >= 3 }, {
    code: "identicalChars",
    message: 'No more than 2 identical characters in a row (e.g., "aaa" not allowed)',
    test: (p) => !/(.)\1\1/.test(p)
  }]
}

export interface DatabaseOptions {
  readonly name: string
  readonly passwordPolicy: PasswordPolicy
}

interface DatabaseState {
  options: DatabaseOptions
  /** sub => SHA-256 of the password (the emulator keeps no passwords). */
  readonly passwords: Map<string, string>
  /** email (lower case) => the last password reset ticket URL. */
  readonly tickets: Map<string, string>
}

const states = new WeakMap<State, DatabaseState>()
const of = (state: State): DatabaseState => {
  let found = states.get(state)
  if (!found) {
    found = { options: { name: DEFAULT_DATABASE_CONNECTION, passwordPolicy: "good" }, passwords: new Map(), tickets: new Map() }
    states.set(state, found)
  }
  return found
}

/** Sets the connection's name and policy (default `Username-Password-Authentication`, `good`). */
export const configureDatabase = (state: State, options: { readonly name?: string | undefined; readonly passwordPolicy?: PasswordPolicy | undefined } = {}): void => {
  of(state).options = { name: options.name ?? DEFAULT_DATABASE_CONNECTION, passwordPolicy: options.passwordPolicy ?? "good" }
}

const digest = (password: string) => createHash("sha256").update(password).digest("hex")

const badRequest = (res: ServerResponse, code: string, description: unknown, extra: Record<string, unknown> = {}) =>
  sendJson(res, 400, { name: "BadRequestError", code, description, statusCode: 400, ...extra })

const findByEmail = (state: State, email: string): UserRecord | undefined =>
  [...state.users.values()].find((u) => typeof u.claims["email"] === "string" && (u.claims["email"] as string).toLowerCase() === email.toLowerCase())

const PROFILE = ["given_name", "family_name", "name", "nickname", "picture"] as const

/** `POST /dbconnections/signup`: `body` is the parsed JSON body. */
export const handleSignup = (state: State, body: Record<string, unknown>, res: ServerResponse): void => {
  const database = of(state).options
  const clientId = body["client_id"]
  if (typeof clientId !== "string" || !state.clients.has(clientId)) return badRequest(res, "invalid_client", "Unknown client")
  if (body["connection"] !== database.name) return badRequest(res, "bad.connection", "connection not found")
  const email = body["email"]
  const password = body["password"]
  if (typeof email !== "string" || !/^[^\s@]+@[^\s@]+$/.test(email)) return badRequest(res, "bad.email", "email is required and must be an email address")
  if (typeof password !== "string" || password.length === 0) return badRequest(res, "bad.password", "password is required")
  const rules = RULES[database.passwordPolicy].map((rule) => ({ code: rule.code, message: rule.message, verified: rule.test(password) }))
  if (rules.some((rule) => !rule.verified)) {
    return sendJson(res, 400, {
      name: "PasswordStrengthError",
      message: "Password is too weak",
      code: "invalid_password",
      description: { rules, verified: false },
      policy: RULES[database.passwordPolicy].map((rule) => `* ${rule.message}`).join("\n"),
      statusCode: 400
    })
  }
  if (findByEmail(state, email)) return badRequest(res, "invalid_signup", "Invalid sign up")
  const sub = `auth0|${randomId(12)}`
  const claims: Record<string, unknown> = {
    email,
    email_verified: false,
    name: email,
    nickname: email.split("@")[0],
    updated_at: new Date().toISOString()
  }
  for (const field of PROFILE) if (typeof body[field] === "string") claims[field] = body[field]
  if (typeof body["username"] === "string") claims["username"] = body["username"]
  if (typeof body["user_metadata"] === "object" && body["user_metadata"] !== null) claims["user_metadata"] = body["user_metadata"]
  state.users.set(sub, { sub, claims })
  of(state).passwords.set(sub, digest(password))
  sendJson(res, 200, {
    _id: sub.slice("auth0|".length),
    email,
    email_verified: false,
    ...(typeof body["username"] === "string" ? { username: body["username"] } : {}),
    ...Object.fromEntries(PROFILE.filter((f) => typeof body[f] === "string").map((f) => [f, body[f]]))
  })
}

/** `POST /dbconnections/change_password`: Auth0's text answer, and a ticket for a known user. */
export const handleChangePassword = (state: State, body: Record<string, unknown>, res: ServerResponse): void => {
  const database = of(state).options
  const clientId = body["client_id"]
  if (typeof clientId !== "string" || !state.clients.has(clientId)) return badRequest(res, "invalid_client", "Unknown client")
  if (body["connection"] !== database.name) return badRequest(res, "bad.connection", "connection not found")
  const email = body["email"]
  if (typeof email !== "string" || email.length === 0) return badRequest(res, "bad.email", "email is required")
  const user = findByEmail(state, email)
  if (user && of(state).passwords.has(user.sub)) {
    of(state).tickets.set(email.toLowerCase(), `${state.origin}/lo/reset?ticket=${randomId(24)}&t=${nowSeconds()}`)
  }
  sendText(res, 200, "We've just sent you an email to reset your password.", "text/html; charset=utf-8")
}

/** The last password reset ticket for an email, or `undefined` (unknown user, or none asked). */
export const lastPasswordResetTicket = (state: State, email: string): string | undefined => of(state).tickets.get(email.toLowerCase())

/** Whether `password` is the database user's password (for tests: sign-up kept what was sent). */
export const checkPassword = (state: State, email: string, password: string): boolean => {
  const user = findByEmail(state, email)
  return user !== undefined && of(state).passwords.get(user.sub) === digest(password)
}
