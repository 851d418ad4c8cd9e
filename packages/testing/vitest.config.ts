import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@auth0-effect/source"] },
  test: { name: "testing", include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 }
})
