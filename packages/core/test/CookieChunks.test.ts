import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as CookieChunks from "../src/CookieChunks.js"
import { type CookieOptions, makeRequestJar, serializeCookie } from "../src/RequestCookies.js"
import { applySetCookie } from "./helpers/cookieBrowser.js"

const NAME = "__a0_session"
const options: CookieOptions = {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  path: "/",
  domain: "app.example.com",
  maxAge: 259_200
}

const bytes = (s: string) => new TextEncoder().encode(s).byteLength

/** Writes the chunks through a real jar and browser, then reads them back from the next request's header. */
const throughBrowser = (chunks: ReadonlyArray<CookieChunks.Chunk>): Option.Option<string> => {
  const jar = makeRequestJar(undefined)
  for (const chunk of chunks) jar.set(chunk.name, chunk.value, options)
  const browser = new Map<string, string>()
  for (const header of jar.setCookieHeaders()) applySetCookie(browser, header)
  const next = makeRequestJar(Array.from(browser, ([n, v]) => `${n}=${encodeURIComponent(v)}`).join("; "))
  return CookieChunks.read(NAME, next.get)
}

const base64url = FastCheck.stringMatching(/^[A-Za-z0-9_-]*$/)
const anyValue = FastCheck.oneof(
  FastCheck.string({ maxLength: 9000 }),
  FastCheck.string({ unit: "binary", maxLength: 3000 }),
  FastCheck.string({ unit: "grapheme", maxLength: 2000 }),
  base64url,
  FastCheck.integer({ min: 0, max: 38_000 }).map((n) => "A".repeat(n))
)

describe("CookieChunks", () => {
  it("keeps a value that fits under its exact name", () => {
    const plan = Either.getOrThrow(CookieChunks.split(NAME, "short", options))
    expect(plan).toEqual([{ name: NAME, value: "short" }])
  })

  it("names chunks `${name}.0` .. `${name}.n-1` in order", () => {
    const value = "x".repeat(10_000)
    const chunks = Either.getOrThrow(CookieChunks.split(NAME, value, options))
    expect(chunks.map((c) => c.name)).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
    expect(chunks.map((c) => c.value).join("")).toBe(value)
  })

  it.prop("split then read round-trips any string, through Set-Cookie and Cookie headers", [anyValue], ([value]) => {
    const result = CookieChunks.split(NAME, value, options)
    if (Either.isLeft(result)) {
      // Only ever refused for size: 10 cookies cannot hold it.
      expect(result.left.reason).toBe("too_large")
      expect(CookieChunks.encodedLength(value)).toBeGreaterThan(CookieChunks.MAX_CHUNKS * (4096 - 200))
      return
    }
    expect(result.right.length).toBeLessThanOrEqual(CookieChunks.MAX_CHUNKS)
    expect(throughBrowser(result.right)).toEqual(Option.some(value))
  })

  it.prop("every Set-Cookie line, attributes included, stays within 4096 bytes", [anyValue], ([value]) => {
    const result = CookieChunks.split(NAME, value, options)
    if (Either.isLeft(result)) return
    for (const chunk of result.right) {
      const line = serializeCookie(chunk.name, chunk.value, options)
      expect(bytes(line)).toBeLessThanOrEqual(CookieChunks.MAX_COOKIE_BYTES)
      expect(CookieChunks.cookieBytes(chunk.name, chunk.value, options)).toBe(bytes(line))
    }
  })

  it("fills chunks close to the limit (no wasteful splitting)", () => {
    const chunks = Either.getOrThrow(CookieChunks.split(NAME, "a".repeat(20_000), options))
    for (const chunk of chunks.slice(0, -1)) {
      expect(bytes(serializeCookie(chunk.name, chunk.value, options))).toBe(4096)
    }
  })

  it("refuses a value needing more than MAX_CHUNKS cookies with StoreError too_large", () => {
    const result = CookieChunks.split(NAME, "a".repeat(41_000), options)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("StoreError")
      expect(result.left.reason).toBe("too_large")
      expect(result.left.message).toContain("RFC 6265")
    }
    // One cookie only: anything over 4096 bytes is too large.
    const single = CookieChunks.split(NAME, "a".repeat(4_100), options, { maxChunks: 1 })
    expect(Either.isLeft(single) && single.left.reason).toBe("too_large")
  })

  describe("stale chunks", () => {
    const present = (names: Iterable<string>) => {
      const set = new Set(names)
      return (name: string) => set.has(name)
    }

    it("a session that shrinks to one cookie removes every old chunk", () => {
      const plan = Either.getOrThrow(
        CookieChunks.planWrite(NAME, "small", options, present([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`, "other"]))
      )
      expect(plan.set).toEqual([{ name: NAME, value: "small" }])
      expect(plan.remove).toEqual([`${NAME}.0`, `${NAME}.1`, `${NAME}.2`])
    })

    it("a session that shrinks from 4 to 2 chunks removes .2 and .3", () => {
      const plan = Either.getOrThrow(
        CookieChunks.planWrite(NAME, "a".repeat(6_000), options, present([0, 1, 2, 3].map((i) => `${NAME}.${i}`)))
      )
      expect(plan.set.map((c) => c.name)).toEqual([`${NAME}.0`, `${NAME}.1`])
      expect(plan.remove).toEqual([`${NAME}.2`, `${NAME}.3`])
    })

    it("a session that grows into chunks removes the whole cookie", () => {
      const plan = Either.getOrThrow(CookieChunks.planWrite(NAME, "a".repeat(6_000), options, present([NAME])))
      expect(plan.remove).toEqual([NAME])
    })

    it("never touches cookies that merely share the prefix", () => {
      const others = [`${NAME}x`, `${NAME}.x`, `${NAME}.0.1`, `${NAME}_1`, `x${NAME}.0`]
      const plan = Either.getOrThrow(CookieChunks.planWrite(NAME, "v", options, present(others)))
      expect(plan.remove).toEqual([])
      expect(CookieChunks.planClear(NAME, present(others))).toEqual([])
    })

    it.prop(
      "after any write over any earlier layout, exactly the new chunks remain",
      [
        FastCheck.subarray(Array.from({ length: CookieChunks.SCAN_LIMIT }, (_, i) => i)),
        FastCheck.boolean(),
        FastCheck.integer({ min: 0, max: 30_000 })
      ],
      ([oldChunks, oldWhole, size]) => {
        const jar = new Set(oldChunks.map((i) => `${NAME}.${i}`))
        if (oldWhole) jar.add(NAME)
        jar.add("unrelated")
        const plan = Either.getOrThrow(CookieChunks.planWrite(NAME, "b".repeat(size), options, (n) => jar.has(n)))
        for (const name of plan.remove) {
          expect(jar.has(name)).toBe(true)
          jar.delete(name)
        }
        for (const chunk of plan.set) jar.add(chunk.name)
        const ours = [...jar].filter((n) => n !== "unrelated").sort()
        expect(ours).toEqual(plan.set.map((c) => c.name).sort())
      }
    )
  })

  describe("read", () => {
    const lookup = (cookies: Record<string, string>) => (name: string) => cookies[name]

    it("prefers the whole cookie, then joins consecutive chunks", () => {
      expect(CookieChunks.read(NAME, lookup({ [NAME]: "w", [`${NAME}.0`]: "x" }))).toEqual(Option.some("w"))
      expect(CookieChunks.read(NAME, lookup({ [`${NAME}.0`]: "a", [`${NAME}.1`]: "b" }))).toEqual(Option.some("ab"))
    })

    it("stops at the first missing chunk; without .0 there is nothing", () => {
      expect(CookieChunks.read(NAME, lookup({ [`${NAME}.0`]: "a", [`${NAME}.2`]: "c" }))).toEqual(Option.some("a"))
      expect(CookieChunks.read(NAME, lookup({ [`${NAME}.1`]: "b" }))).toEqual(Option.none())
    })

    it("never reads a cookie by prefix", () => {
      expect(CookieChunks.read(NAME, lookup({ [`${NAME}x`]: "a", [`${NAME}.a`]: "b", [`${NAME}.00`]: "c" })))
        .toEqual(Option.none())
    })
  })
})

describe("headerBytes", () => {
  it.prop("is the byte length of the Cookie header a browser sends for the pairs (RFC 6265 §5.4)", [
    FastCheck.array(FastCheck.tuple(FastCheck.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), FastCheck.string({ unit: "grapheme", maxLength: 50 })), { maxLength: 6 })
  ], ([pairs]) => {
    const header = pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join("; ")
    expect(CookieChunks.headerBytes(pairs)).toBe(new TextEncoder().encode(header).byteLength)
  })
})
