import type { Adapter, AdapterFactory, AdapterPayload } from "oidc-provider"

/** Models whose records are issued under a grant and go with it (`revokeByGrantId`). */
const GRANT_MEMBERS: ReadonlySet<string> = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest"
])

/** Sweep expired records every this many writes, so a long-running demo does not grow without bound. */
const SWEEP_EVERY = 256

interface Entry {
  readonly payload: AdapterPayload
  /** Epoch milliseconds; undefined: no expiry. */
  readonly expiresAt: number | undefined
}

/**
 * oidc-provider's storage for one emulated tenant: plain Maps owned by the emulator, so every
 * emulator is independent and nothing is evicted while it runs (oidc-provider's own development
 * adapter is a process-wide LRU of 1000 records, and warns at every start). Records expire when read.
 */
export const makeMemoryAdapter = (): AdapterFactory => {
  const entries = new Map<string, Entry>()
  const uidIndex = new Map<string, string>()
  const userCodeIndex = new Map<string, string>()
  const grantIndex = new Map<string, Set<string>>()
  let writes = 0

  const remove = (key: string): void => {
    const entry = entries.get(key)
    if (!entry) return
    entries.delete(key)
    const { uid, userCode, grantId } = entry.payload
    if (uid !== undefined && uidIndex.get(uid) === key) uidIndex.delete(uid)
    if (userCode !== undefined && userCodeIndex.get(userCode) === key) userCodeIndex.delete(userCode)
    if (grantId !== undefined) grantIndex.get(grantId)?.delete(key)
  }

  const live = (key: string | undefined): AdapterPayload | undefined => {
    if (key === undefined) return undefined
    const entry = entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      remove(key)
      return undefined
    }
    return entry.payload
  }

  const sweep = (): void => {
    const now = Date.now()
    for (const [key, entry] of entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) remove(key)
    for (const [grantId, members] of grantIndex) if (members.size === 0) grantIndex.delete(grantId)
  }

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`
    return {
      upsert: async (id, payload, expiresIn) => {
        const key = keyOf(id)
        remove(key)
        entries.set(key, { payload, expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined })
        if (payload.uid !== undefined) uidIndex.set(payload.uid, key)
        if (payload.userCode !== undefined) userCodeIndex.set(payload.userCode, key)
        if (payload.grantId !== undefined && GRANT_MEMBERS.has(model)) {
          const members = grantIndex.get(payload.grantId) ?? new Set<string>()
          members.add(key)
          grantIndex.set(payload.grantId, members)
        }
        if (++writes % SWEEP_EVERY === 0) sweep()
      },
      find: async (id) => live(keyOf(id)),
      findByUid: async (uid) => live(uidIndex.get(uid)),
      findByUserCode: async (userCode) => live(userCodeIndex.get(userCode)),
      consume: async (id) => {
        const payload = live(keyOf(id))
        if (payload) payload.consumed = Math.floor(Date.now() / 1000)
      },
      destroy: async (id) => remove(keyOf(id)),
      revokeByGrantId: async (grantId) => {
        for (const key of [...(grantIndex.get(grantId) ?? [])]) remove(key)
        grantIndex.delete(grantId)
      }
    }
  }
}
