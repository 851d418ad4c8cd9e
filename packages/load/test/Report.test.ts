import { describe, expect, it } from "@effect/vitest"
import { neededLifetimes, percentile } from "../src/Report.js"

describe("Report rules", () => {
  it("one lifetime covers every call that starts within it; the next call after it needs another", () => {
    expect(neededLifetimes([], 2_000)).toBe(0)
    expect(neededLifetimes([0, 100, 1_999], 2_000)).toBe(1)
    expect(neededLifetimes([0, 2_000], 2_000)).toBe(2)
    expect(neededLifetimes([0, 1_500, 2_100, 3_000, 4_500], 2_000)).toBe(3)
  })

  it("percentiles pick the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(sorted, 50)).toBe(50)
    expect(percentile(sorted, 99)).toBe(99)
    expect(percentile([7], 99)).toBe(7)
    expect(Number.isNaN(percentile([], 50))).toBe(true)
  })
})
