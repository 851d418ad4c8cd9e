/** Session fixtures and arbitraries for the session store tests. */
import * as FastCheck from "effect/FastCheck"
import type { SessionData } from "../../src/Session.js"

/** A typical session created at `createdAt` (seconds since the epoch). */
export const sessionAt = (createdAt: number, overrides?: Partial<SessionData>): SessionData => ({
  user: { sub: "auth0|user-1", name: "Ada Lovelace", email: "ada@example.com", email_verified: true },
  idToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHx1c2VyLTEifQ.c2lnbmF0dXJl",
  refreshToken: "v1.refresh-token-0123456789",
  tokenSets: [{ audience: "https://api.example.com/", accessToken: "at-1", scope: "openid read:things", expiresAt: createdAt + 3600 }],
  connectionTokenSets: [],
  internal: { sid: "sid-1", createdAt },
  ...overrides
})

/** What a session looks like after a JSON round trip (the form every store gives back). */
export const normalize = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A

const tokenChars = FastCheck.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
/** A JWT-ish token string. */
export const tokenArb = (maxLength: number) => FastCheck.string({ unit: tokenChars, minLength: 1, maxLength })

const claimKey = FastCheck.stringMatching(/^[a-z][a-z_]{0,10}$/).filter((k) => k !== "sub")
const claimValue = FastCheck.jsonValue({ maxDepth: 2 }).map(normalize)

/** Any session a flow could store (up to ~15 KB of tokens), created up to a day before `now`. */
export const sessionArb = (now = 0): FastCheck.Arbitrary<SessionData> =>
  FastCheck.record(
    {
      user: FastCheck.tuple(
        FastCheck.string({ minLength: 1, maxLength: 80 }),
        FastCheck.dictionary(claimKey, claimValue, { maxKeys: 6 })
      ).map(([sub, claims]) => ({ ...claims, sub })),
      idToken: tokenArb(1500),
      refreshToken: tokenArb(200),
      tokenSets: FastCheck.array(
        FastCheck.record({
          audience: FastCheck.webUrl(),
          accessToken: tokenArb(1500),
          scope: FastCheck.string({ maxLength: 100 }),
          expiresAt: FastCheck.integer({ min: 0, max: 2 ** 31 })
        }),
        { maxLength: 5 }
      ),
      connectionTokenSets: FastCheck.array(
        FastCheck.record(
          {
            connection: FastCheck.constantFrom("google-oauth2", "github", "slack"),
            loginHint: FastCheck.emailAddress(),
            accessToken: tokenArb(500),
            scope: FastCheck.string({ maxLength: 100 }),
            expiresAt: FastCheck.integer({ min: 0, max: 2 ** 31 })
          },
          { requiredKeys: ["connection", "accessToken", "scope", "expiresAt"] }
        ),
        { maxLength: 3 }
      ),
      internal: FastCheck.record(
        { sid: FastCheck.string({ minLength: 1, maxLength: 40 }), createdAt: FastCheck.integer({ min: now - 86_400, max: now }) },
        { requiredKeys: ["createdAt"] }
      )
    },
    { requiredKeys: ["user", "tokenSets", "connectionTokenSets", "internal"] }
  )

/**
 * `length` characters of base64url that DEFLATE cannot shrink (seeded, so the same every run):
 * what a test needs to make a session large, now that `SessionCrypto` compresses plaintexts
 * (`"x".repeat(n)` deflates to almost nothing).
 */
export const incompressible = (length: number, seed = 0x2545f491): string => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  let x = seed >>> 0 || 1
  let out = ""
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out += alphabet[x & 63]
  }
  return out
}
