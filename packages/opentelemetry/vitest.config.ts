import { defineProject } from "vitest/config"

// Workspace packages resolve to their TypeScript source through this export condition. Vitest
// runs tests in Vite's server (SSR) environment, which reads `ssr.resolve.conditions`.
const conditions = ["@auth0-effect/source", "module", "node", "development|production"]

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { name: "opentelemetry", include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 }
})
