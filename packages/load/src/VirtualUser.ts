/**
 * A virtual user: a browser's cookie jar and the calls it makes against the app instances. A
 * "page" is a few requests with the same cookies sent at once to instances picked at random, as
 * a browser behind a load balancer does; whichever response comes last leaves its cookies.
 */
import { performance } from "node:perf_hooks"

/** The SDK routes of App.ts a user calls during the run, plus the raw baseline. */
export const OPERATIONS = ["/session", "/token-a", "/token-b", "/accounts", "/vault"] as const
export type Operation = (typeof OPERATIONS)[number] | "/raw"

/** One call as the user saw it. */
export interface CallRecord {
  readonly user: number
  readonly operation: string
  readonly instance: number
  /** Start, in ms since the run started. */
  readonly at: number
  readonly durationMs: number
  readonly ok: boolean
  /** The error's tag (`StoreError`, `AccessTokenError`, ...), or `Transport` when no answer came. */
  readonly tag?: string | undefined
  readonly reason?: string | undefined
  readonly detail?: string | undefined
}

export class VirtualUser {
  readonly #cookies = new Map<string, string>()

  constructor(readonly index: number, readonly sub: string, readonly instances: ReadonlyArray<string>) {}

  #cookieHeader(): string {
    return Array.from(this.#cookies, ([name, value]) => `${name}=${value}`).join("; ")
  }

  #store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";")
      const eq = pair.indexOf("=")
      if (eq < 0) continue
      const name = pair.slice(0, eq).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a))
      if (expired) this.#cookies.delete(name)
      else this.#cookies.set(name, pair.slice(eq + 1).trim())
    }
  }

  /** One request to one instance; resolves with its JSON body, never rejects. */
  async request(instance: number, path: string): Promise<{ readonly body: Record<string, unknown>; readonly durationMs: number }> {
    const started = performance.now()
    try {
      const response = await fetch(`${this.instances[instance]}${path}`, {
        headers: { cookie: this.#cookieHeader() },
        redirect: "manual",
        signal: AbortSignal.timeout(15_000)
      })
      this.#store(response)
      const body = (await response.json()) as Record<string, unknown>
      return { body, durationMs: performance.now() - started }
    } catch (error) {
      return {
        body: { ok: false, tag: "Transport", reason: error instanceof Error ? error.name : "unknown" },
        durationMs: performance.now() - started
      }
    }
  }

  /** A call recorded for the report. */
  async call(instance: number, operation: Operation, runStarted: number): Promise<CallRecord> {
    const at = performance.now() - runStarted
    const { body, durationMs } = await this.request(instance, operation)
    return {
      user: this.index,
      operation,
      instance,
      at,
      durationMs,
      ok: body["ok"] === true,
      tag: typeof body["tag"] === "string" ? body["tag"] : undefined,
      reason: typeof body["reason"] === "string" ? body["reason"] : undefined,
      detail: typeof body["detail"] === "string" ? body["detail"] : undefined
    }
  }

  /**
   * Logs in through one instance and completes on another: /login gives the authorize URL,
   * the emulator's programmatic login plays the user at the login page, /callback completes.
   */
  async login(login: (authorizeUrl: string) => Promise<string>, random: () => number): Promise<void> {
    const first = Math.floor(random() * this.instances.length)
    const start = await this.request(first, "/login")
    if (start.body["ok"] !== true || typeof start.body["url"] !== "string") {
      throw new Error(`user ${this.index}: /login failed: ${JSON.stringify(start.body)}`)
    }
    const callback = await login(start.body["url"])
    const second = Math.floor(random() * this.instances.length)
    const done = await this.request(second, `/callback?url=${encodeURIComponent(callback)}`)
    if (done.body["ok"] !== true) throw new Error(`user ${this.index}: /callback failed: ${JSON.stringify(done.body)}`)
  }
}
