/**
 * The benchmark bodies. `setup` builds both SDKs against one local discovery server, writes the
 * same session through each SDK's own store (so each reads its own cookie format) and warms
 * discovery; `cases` lists what is timed. The runner times each body; the test runs each once and
 * checks it does what its label says.
 */
import type { SessionData } from "@auth0-effect/core/Session"
import { SessionCrypto } from "@auth0-effect/core/SessionCrypto"
import { ServerClient } from "@auth0-effect/node"
import * as Effect from "effect/Effect"
import {
  cookieHeaderFrom,
  type DiscoveryServer,
  nodeRequest,
  SECRET,
  SESSION_COOKIE,
  sessionData,
  setCookies,
  startDiscoveryServer,
  tamper
} from "./Fixtures.js"
import { AUDIENCES, type Floor, makeFloor, realisticSession } from "./Realistic.js"
import { makeOursRaw, makeReference, oursOptions, type OursRaw, type Reference, setThroughFacade } from "./Subjects.js"

export type Group = "read" | "write" | "login" | "bad-cookie" | "mrrt-read" | "mrrt-write" | "mrrt-token"
/** `floor`: the bare jose JWE of the same session (see `Realistic.makeFloor`). */
export type Sdk = "reference" | "ours" | "floor"

/** One timed body. Write bodies resolve with what they wrote (a response, or Set-Cookie values), for the test. */
export interface Case {
  readonly group: Group
  readonly sdk: Sdk
  readonly label: string
  readonly run: () => Promise<unknown>
}

export interface Context {
  readonly server: DiscoveryServer
  readonly ours: ServerClient
  /** Same as `ours` with `session.rolling: false`: reads never re-seal the cookie. */
  readonly oursFixed: ServerClient
  readonly raw: OursRaw
  readonly reference: Reference
  readonly data: SessionData
  /** The `Cookie` header after each SDK wrote `data` through its own store. */
  readonly oursCookie: string
  readonly referenceCookie: string
  readonly oursTampered: string
  readonly referenceTampered: string
  /** The realistic MRRT session (issue 15), written through each SDK's own store. */
  readonly realistic: {
    readonly data: SessionData
    readonly oursCookie: string
    readonly referenceCookie: string
    readonly floor: Floor
  }
  readonly close: () => Promise<void>
}

export const setup = async (): Promise<Context> => {
  const server = await startDiscoveryServer()
  const ours = new ServerClient(oursOptions(server.port))
  const oursFixed = new ServerClient(oursOptions(server.port, { rolling: false }))
  const raw = makeOursRaw(server.port)
  const reference = makeReference(server.port)
  const data = sessionData(Date.now() / 1000)

  const oursWrite = nodeRequest(undefined)
  await setThroughFacade(ours, data, oursWrite)
  const oursCookie = cookieHeaderFrom(setCookies(oursWrite.res))
  const referenceWrite = nodeRequest(undefined)
  await reference.stateStore.set(SESSION_COOKIE, data, false, referenceWrite)
  const referenceCookie = cookieHeaderFrom(setCookies(referenceWrite.res))

  const realisticData = realisticSession(Date.now() / 1000) as SessionData
  const oursRealistic = nodeRequest(undefined)
  await setThroughFacade(ours, realisticData, oursRealistic)
  const referenceRealistic = nodeRequest(undefined)
  await reference.stateStore.set(SESSION_COOKIE, realisticData as never, false, referenceRealistic)
  const realistic = {
    data: realisticData,
    oursCookie: cookieHeaderFrom(setCookies(oursRealistic.res)),
    referenceCookie: cookieHeaderFrom(setCookies(referenceRealistic.res)),
    floor: await makeFloor(realisticData)
  }

  // Discovery is fetched once here; the timed logins must find it cached.
  await ours.startInteractiveLogin(undefined, nodeRequest(undefined))
  await oursFixed.getSession(nodeRequest(oursCookie))
  await reference.client.startInteractiveLogin(undefined, nodeRequest(undefined))

  return {
    server,
    ours,
    oursFixed,
    raw,
    reference,
    data,
    oursCookie,
    referenceCookie,
    oursTampered: tamper(oursCookie),
    referenceTampered: tamper(referenceCookie),
    realistic,
    close: async () => {
      await Promise.all([ours.dispose(), oursFixed.dispose(), raw.dispose()])
      await server.close()
    }
  }
}

/** Turns a rejection into its error, for the reference's bad-cookie path (which may throw). */
const settle = (promise: Promise<unknown>): Promise<unknown> => promise.then((value) => value, (error: unknown) => error)

export const cases = (ctx: Context): ReadonlyArray<Case> => {
  const { ours, oursFixed, raw, reference, data } = ctx
  return [
    { group: "read", sdk: "reference", label: "getSession", run: () => reference.client.getSession(nodeRequest(ctx.referenceCookie)) },
    { group: "read", sdk: "reference", label: "getUser", run: () => reference.client.getUser(nodeRequest(ctx.referenceCookie)) },
    { group: "read", sdk: "ours", label: "getSession (facade)", run: () => ours.getSession(nodeRequest(ctx.oursCookie)) },
    { group: "read", sdk: "ours", label: "getUser (facade)", run: () => ours.getUser(nodeRequest(ctx.oursCookie)) },
    {
      group: "read",
      sdk: "ours",
      label: "getSession (facade, rolling: false)",
      run: () => oursFixed.getSession(nodeRequest(ctx.oursCookie))
    },
    { group: "read", sdk: "ours", label: "UserSession.getSession (raw Effect)", run: () => raw.getSession(ctx.oursCookie) },

    {
      group: "write",
      sdk: "reference",
      label: "StatelessStateStore.set",
      run: () => {
        const request = nodeRequest(ctx.referenceCookie)
        return reference.stateStore.set(SESSION_COOKIE, data as never, false, request).then(() => request.res)
      }
    },
    {
      group: "write",
      sdk: "ours",
      label: "StateStore.set (facade run)",
      run: () => {
        const request = nodeRequest(ctx.oursCookie)
        return setThroughFacade(ours, data, request).then(() => request.res)
      }
    },
    { group: "write", sdk: "ours", label: "StateStore.set (raw Effect)", run: () => raw.setSession(data, ctx.oursCookie) },

    {
      group: "login",
      sdk: "reference",
      label: "startInteractiveLogin",
      run: () => reference.client.startInteractiveLogin(undefined, nodeRequest(undefined))
    },
    { group: "login", sdk: "ours", label: "startInteractiveLogin (facade)", run: () => ours.startInteractiveLogin(undefined, nodeRequest(undefined)) },

    {
      group: "bad-cookie",
      sdk: "reference",
      label: "getSession, tampered cookie",
      run: () => settle(reference.client.getSession(nodeRequest(ctx.referenceTampered)))
    },
    { group: "bad-cookie", sdk: "ours", label: "getSession (facade), tampered cookie", run: () => ours.getSession(nodeRequest(ctx.oursTampered)) },
    { group: "bad-cookie", sdk: "ours", label: "UserSession.getSession (raw Effect), tampered", run: () => raw.getSession(ctx.oursTampered) },
    ...realisticCases(ctx)
  ]
}

/** The same three jobs on the realistic MRRT session, each beside the jose floor where it has one. */
const realisticCases = (ctx: Context): ReadonlyArray<Case> => {
  const { ours, raw, reference } = ctx
  const { data, oursCookie, referenceCookie, floor } = ctx.realistic
  const audience = AUDIENCES[1]
  return [
    { group: "mrrt-read", sdk: "reference", label: "getSession", run: () => reference.client.getSession(nodeRequest(referenceCookie)) },
    { group: "mrrt-read", sdk: "ours", label: "getSession (facade)", run: () => ours.getSession(nodeRequest(oursCookie)) },
    { group: "mrrt-read", sdk: "ours", label: "UserSession.getSession (raw Effect)", run: () => raw.getSession(oursCookie) },
    { group: "mrrt-read", sdk: "floor", label: "compactDecrypt + JSON.parse", run: floor.decrypt },

    {
      group: "mrrt-write",
      sdk: "reference",
      label: "StatelessStateStore.set",
      run: () => {
        const request = nodeRequest(referenceCookie)
        return reference.stateStore.set(SESSION_COOKIE, data as never, false, request).then(() => request.res)
      }
    },
    {
      group: "mrrt-write",
      sdk: "ours",
      label: "StateStore.set (facade run)",
      run: () => {
        const request = nodeRequest(oursCookie)
        return setThroughFacade(ours, data, request).then(() => request.res)
      }
    },
    { group: "mrrt-write", sdk: "ours", label: "StateStore.set (raw Effect)", run: () => raw.setSession(data, oursCookie) },
    { group: "mrrt-write", sdk: "floor", label: "JSON.stringify + CompactEncrypt", run: floor.encrypt },

    {
      group: "mrrt-token",
      sdk: "reference",
      label: `getAccessToken (cached, 2nd of 3 audiences)`,
      run: () => reference.client.getAccessToken({ audience }, nodeRequest(referenceCookie))
    },
    {
      group: "mrrt-token",
      sdk: "ours",
      label: `getAccessToken (facade, cached, 2nd of 3 audiences)`,
      run: () => ours.getAccessToken({ audience }, nodeRequest(oursCookie))
    }
  ]
}

// ---- how each SDK treats a cookie that is not a live session of its own ----------------------

export type Outcome = "session" | "no session" | `throws ${string}`

export interface BehaviourRow {
  readonly cookie: string
  readonly reference: Outcome
  readonly ours: Outcome
  /** Whether our response expired the bad cookie. */
  readonly oursClears: boolean
}

const OTHER_SECRET = "another-secret-that-is-long-enough-0123456789"

const outcome = (promise: Promise<unknown>): Promise<Outcome> =>
  promise.then(
    (value): Outcome => (value === undefined ? "no session" : "session"),
    (error: unknown): Outcome => `throws ${error instanceof Error ? error.name : typeof error}`
  )

/** Seals `payload` with auth0-effect's cookie crypto for `secret`, expiring at `expiresAt`. */
const sealOurs = (secret: string, payload: unknown, expiresAt: number): Promise<string> =>
  Effect.runPromise(
    Effect.flatMap(SessionCrypto, (crypto) => crypto.encrypt(payload, { expiresAt })).pipe(
      Effect.provide(SessionCrypto.fromSecrets([secret]))
    )
  )

export const behaviour = async (ctx: Context): Promise<ReadonlyArray<BehaviourRow>> => {
  const now = Math.floor(Date.now() / 1000)
  const other = makeReference(ctx.server.port, OTHER_SECRET)
  const oursCookie = (token: string) => `${SESSION_COOKIE}=${token}`
  const referenceCookie = (token: string) => `${SESSION_COOKIE}.0=${token}`
  const inputs: Array<{ cookie: string; ours: string; reference: string }> = [
    { cookie: "valid (control)", ours: ctx.oursCookie, reference: ctx.referenceCookie },
    { cookie: "one character changed", ours: ctx.oursTampered, reference: ctx.referenceTampered },
    {
      cookie: "expired an hour ago",
      ours: oursCookie(await sealOurs(SECRET, ctx.data, now - 3600)),
      reference: referenceCookie(await ctx.reference.stateStore.seal(ctx.data as never, now - 3600))
    },
    {
      cookie: "sealed with another secret",
      ours: oursCookie(await sealOurs(OTHER_SECRET, ctx.data, now + 3600)),
      reference: referenceCookie(await other.stateStore.seal(ctx.data as never, now + 3600))
    },
    { cookie: "not a JWE (`garbage`)", ours: oursCookie("garbage"), reference: referenceCookie("garbage") }
  ]
  const rows: Array<BehaviourRow> = []
  for (const input of inputs) {
    const request = nodeRequest(input.ours)
    const ours = await outcome(ctx.ours.getSession(request))
    const oursClears = setCookies(request.res).some((line) => line.startsWith(`${SESSION_COOKIE}=;`))
    const reference = await outcome(ctx.reference.client.getSession(nodeRequest(input.reference)))
    rows.push({ cookie: input.cookie, reference, ours, oursClears })
  }
  return rows
}
