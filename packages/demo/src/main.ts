/**
 * `pnpm demo`: starts the emulator and the demo app, prints the URL, stops on Ctrl-C.
 */
import { startDemo } from "./demo.js"

const fromEnv = (name: string): number | undefined => {
  const value = process.env[name]
  if (value === undefined || value === "") return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${name}=${value} is not a port number`)
    process.exit(2)
  }
  return port
}

const demo = await startDemo({ port: fromEnv("PORT"), emulatorPort: fromEnv("EMULATOR_PORT") })
if (demo.portFallback) console.log("The requested port is taken; using a free one instead.")
console.log(`Auth0 emulator (local only): ${demo.emulator.origin}`)
console.log(`Demo users: ada@example.com, grace@example.com (no password)`)
console.log(`\n  Open ${demo.url}\n`)
console.log("Press Ctrl-C to stop.")

let stopping = false
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  console.log(`\n${signal}: stopping`)
  demo.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
