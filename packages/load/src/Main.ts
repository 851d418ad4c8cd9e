/**
 * `pnpm load`: the soak run on a single Redis (restarted mid-run), then on a Redis Cluster.
 * Prints the report and writes docs/load.md.
 *
 *   pnpm load [--users 200] [--seconds 60] [--single-only] [--no-write]
 */
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { runLoad } from "./LoadRun.js"
import { machine, machineMarkdown, RECONNECT_GRACE_MS, toMarkdown, type LoadReport } from "./Report.js"

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)
const number = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`)
  const value = at >= 0 ? Number(args[at + 1]) : fallback
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${name} takes a positive integer`)
  return value
}

const users = number("users", 200)
const seconds = number("seconds", 60)
const log = (line: string) => console.log(`[load] ${line}`)
const OUT = fileURLToPath(new URL("../../../docs/load.md", import.meta.url))

const reports: Array<LoadReport> = []
const outage = { atSeconds: Math.round(seconds / 2), downSeconds: Math.min(5, Math.max(2, Math.round(seconds / 12))) }
reports.push(await runLoad({ users, seconds, redis: "single", outage, log }))
console.log(`\n${toMarkdown(reports[0]!)}\n`)
if (!flag("single-only")) {
  reports.push(await runLoad({ users, seconds, redis: "cluster", log }))
  console.log(`\n${toMarkdown(reports[1]!)}\n`)
}

const doc = `# Load and soak test

\`pnpm load\` (packages/load) runs the SDK the way a scaled-out deployment does, on this machine:

- the emulator (@auth0-effect/testing) with refresh token rotation on and access tokens that live
  3 s (so tokens expire many times per session during a run);
- two app instances, each a separate Node process (\`node:http\` and \`ServerClient\` from
  @auth0-effect/node, sessions in \`@auth0-effect/redis\`), on one Redis: a single node first,
  then a 3-master Redis Cluster;
- N virtual users (default 200): each logs in through the emulator's login page (started on one
  instance, completed on the other), gets one connected account (google-oauth2), then for T
  seconds (default 60) loads pages of 3 parallel requests with the same cookies, each to an
  instance picked at random: read the session, \`getAccessToken\` for API A or API B, list
  connected accounts (My Account API), or a Token Vault token. Each page also calls a raw
  handler on the same server that does not touch the SDK;
- on the single node, Redis is stopped halfway through for a few seconds and started again
  (append-only file, fsync on every write, so what was written before the stop is still there).

Definitions:

- **failed calls**: SDK calls that did not answer \`ok\` (the error's tag, and reason where it has
  one), outside the Redis outage (calls running at any moment from the stop until
  ${RECONNECT_GRACE_MS / 1_000} s after Redis is back).
- **sessions lost**: users whose calls stopped working: after the run each user reads the session
  and gets an API A token on both instances; any failure counts the user as lost.
- **refresh requests / token lifetimes needed**: refresh_token grants the emulator answered,
  against the token lifetimes the users' calls needed: per user and audience (API A, API B, My
  Account), a greedy cover of that user's call start times with the shortest lifetime a token
  can have (ttl - 1 s, since \`expires_at\` is in whole seconds, minus 0.5 s for queueing). An
  SDK that refreshes once per session, audience and expiry stays at or below it; duplicate
  refreshes push it above. In brackets, the most lifetimes that could elapse in the run at all.
- **Redis restart**: the session entries in Redis (SCAN) just before it stops, and how many of
  them are gone after it is back; while it is down, what the calls failed with and the slowest
  failure (fail fast: no call waits for Redis).
- **time per request**: in the app around each route's handler, and as the user saw it (with
  the server's queueing); \`/raw\` is the baseline handler on the same servers, without the SDK.

Bounded: users, seconds and requests in flight (one page per user) are fixed; it stops by itself
and listens on 127.0.0.1 only. \`pnpm load --users 30 --seconds 10\` is a short run;
packages/load/test/load.test.ts runs one in the test suite (30 users, 10 s, single node with a
2 s restart, then cluster) and asserts counts only: 0 failed calls, 0 lost sessions, refresh
requests no more than one per session, audience and token lifetime, at most one Token Vault
exchange per session, every session kept across the restart.

Numbers depend on the machine: on a small shared one, the request phase saturates the CPU, and
the user-side times (and timeouts) show the queueing rather than the SDK.

## Latest run

${machineMarkdown(machine())}

${reports.map(toMarkdown).join("\n\n")}
`
if (!flag("no-write")) {
  writeFileSync(OUT, doc)
  log(`wrote ${OUT}`)
}
