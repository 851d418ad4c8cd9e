/**
 * A valid configuration for tests: `testConfig()` as is, or with some options replaced
 * (`testConfig({ cookie: { secure: false } })`; top-level keys replace the defaults' keys).
 */
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import { Auth0Config, type Auth0Input, type Auth0Options } from "../../src/Auth0Config.js"

/** The secret `testConfig()` encrypts with (48 characters). */
export const TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

export type TestConfigOverrides = { readonly [K in keyof Schema.Schema.Encoded<typeof Auth0Options>]?: unknown }

/** The options `testConfig()` decodes before applying overrides. */
export const testOptions = {
  domain: "https://tenant.example.com",
  clientId: "test-client-id",
  clientSecret: "test-client-secret",
  secret: TEST_SECRET,
  redirectUri: "https://app.example.com/callback"
} as const

/** A `Layer<Auth0Config>` from valid options; an invalid override is a defect (the test is wrong). */
export const testConfig = (overrides?: TestConfigOverrides): Layer.Layer<Auth0Config> =>
  // Overrides are untyped on purpose (tests pass wrong values); the runtime decode still checks them.
  Auth0Config.fromInput({ ...testOptions, ...overrides } as Auth0Input).pipe(Layer.orDie)
