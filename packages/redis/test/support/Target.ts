/** How the backend suites reach a deployment (one server or a cluster), and their shared helpers. */
import { type Session, SessionBackend, type StoreError } from "@auth0-effect/core"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { Cluster, Redis } from "ioredis"
import type { RedisSessionBackend } from "../../src/index.js"

export interface Target {
  readonly isCluster: boolean
  /** A client for assertions, open for the whole file. */
  readonly admin: Redis | Cluster
  /** The backend's layer with a client it creates for this deployment. */
  readonly layer: (
    options: RedisSessionBackend.MakeOptions
  ) => Layer.Layer<SessionBackend.SessionBackend, StoreError>
  /** The layer aimed at a port nothing listens on. */
  readonly unreachable: (port: number) => Layer.Layer<SessionBackend.SessionBackend, StoreError>
  /** A new client the test owns (the app's own client). */
  readonly newClient: () => Promise<Redis | Cluster>
  /** Client connections summed over every master. */
  readonly connectedClients: () => Promise<number>
  /** `CLIENT PAUSE ms ALL` on every master. */
  readonly pause: (ms: number) => Promise<void>
  /** How many distinct masters serve these keys. */
  readonly mastersOf: (keys: ReadonlyArray<string>) => Promise<number>
}

export const sessionFor = (sub: string, sid?: string, name = "Ada"): Session.SessionData => ({
  user: { sub, name },
  idToken: "eyJ.id.token",
  refreshToken: `rt-${sub}`,
  tokenSets: [{ audience: "https://api", accessToken: `at-${sub}`, scope: "openid read", expiresAt: 2_000_000_000 }],
  connectionTokenSets: [],
  internal: sid === undefined ? { createdAt: 1_700_000_000 } : { sid, createdAt: 1_700_000_000 }
})

/** Per-suite helpers: fresh key prefixes, a backend on one, and EXISTS across slots. */
export const helpers = (label: string, target: () => Target) => {
  let prefixes = 0
  /** Each test gets its own key prefix, so tests never see each other's keys. */
  const freshPrefix = () => `t${++prefixes}-${label.replace(/\W/g, "")}:`

  /** Runs `f` with a backend on a fresh prefix; the client is quit afterwards. */
  const withBackend = <A, E>(
    f: (backend: SessionBackend.SessionBackendService, prefix: string) => Effect.Effect<A, E>
  ) => {
    const prefix = freshPrefix()
    return Effect.flatMap(SessionBackend.SessionBackend, (backend) => f(backend, prefix)).pipe(
      Effect.provide(target().layer({ keyPrefix: prefix }))
    )
  }

  /** EXISTS over keys that may live in different slots: one call per key. */
  const exists = async (...keys: Array<string>) => {
    const counts = await Promise.all(keys.map((key) => target().admin.exists(key)))
    return counts.reduce((sum, n) => sum + n, 0)
  }

  return { freshPrefix, withBackend, exists }
}
