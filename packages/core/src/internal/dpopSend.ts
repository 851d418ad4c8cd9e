/**
 * DPoP on the wire (RFC 9449): a fresh proof on every attempt of a request, the latest
 * `DPoP-Nonce` of each origin remembered from any response, and exactly one retry when a server
 * asks for a nonce (§8 for the authorization server, §9 for a resource server). Nothing else is
 * retried here: a token request refused for any other reason stays refused.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { SignJWT } from "jose/jwt/sign"
import * as Rules from "../DpopRules.js"
import type { TransportError } from "../Errors.js"
import type { DpopConfig, DpopKey } from "./dpopKey.js"
import * as Http from "./http.js"
import { epochSeconds } from "./time.js"

/**
 * The imported key, or `undefined` when DPoP is off. The import ran when the runtime was built
 * (`Auth0Config.importKey`), so a failure here cannot happen: it is a defect, not an error.
 */
export const keyOf = (dpop: DpopConfig | undefined): Effect.Effect<DpopKey | undefined> =>
  dpop === undefined ? Effect.succeed(undefined) : Effect.orDie(dpop.key)

/** Signs a proof for `method url` (RFC 9449 §4.2); jose signing with an imported key cannot fail but as a defect. */
export const sign = (
  key: DpopKey,
  input: { readonly method: string; readonly url: string | URL; readonly accessToken?: string | undefined; readonly nonce?: string | undefined }
): Effect.Effect<string> =>
  Effect.gen(function*() {
    const claims = Rules.proofClaims({
      method: input.method,
      url: input.url,
      iat: yield* epochSeconds,
      jti: yield* Rules.makeJti,
      ath: input.accessToken === undefined ? undefined : yield* Rules.ath(input.accessToken),
      nonce: input.nonce
    })
    return yield* Effect.promise(() =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: key.alg, typ: Rules.PROOF_TYP, jwk: key.publicJwk })
        .sign(key.privateKey)
    )
  })

/** Remembers the `DPoP-Nonce` a response carries for its origin (RFC 9449 §8: the latest one wins). */
export const remember = (dpop: DpopConfig | undefined, url: string, response: Http.Response): void => {
  const nonce = response.headers["dpop-nonce"]
  if (dpop === undefined || nonce === undefined || nonce === "") return
  try {
    dpop.nonces.set(Rules.originOf(url), nonce)
  } catch {
    // an unparsable URL was never sent
  }
}

/** The nonce to put in the next proof for `url`, if its origin gave one. */
export const nonceFor = (dpop: DpopConfig | undefined, url: string): string | undefined => {
  if (dpop === undefined) return undefined
  try {
    return dpop.nonces.get(Rules.originOf(url))
  } catch {
    return undefined
  }
}

/** Which rule says "retry with this nonce": the token endpoint's (§8) or a resource server's (§9). */
export type Kind = "token" | "resource"

const challenged = (kind: Kind, response: Http.Response): Option.Option<string> => {
  const nonce = response.headers["dpop-nonce"]
  if (kind === "resource") return Rules.resourceNonce(response.status, response.headers["www-authenticate"], nonce)
  const body = Http.tryParseJson(response)
  const error = Http.isRecord(body) ? Http.optionalString(body["error"]) : undefined
  return Rules.tokenEndpointNonce(response.status, error, nonce)
}

export interface SendOptions {
  readonly kind: Kind
  readonly timeout: Duration.DurationInput
  /** The access token the request presents: the proof then carries `ath`. */
  readonly accessToken?: string | undefined
}

/**
 * Sends the request `build` makes (run again for the one nonce retry, so a client assertion is
 * fresh too), with a DPoP proof when `dpop` is configured. Without DPoP this is `Http.send`.
 */
export const send = <E, R>(
  dpop: DpopConfig | undefined,
  build: Effect.Effect<HttpClientRequest.HttpClientRequest, E, R>,
  options: SendOptions
): Effect.Effect<Http.Response, E | TransportError, R | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const key = yield* keyOf(dpop)
    if (key === undefined) return yield* Effect.flatMap(build, (request) => Http.send(request, options.timeout))
    const attempt = (nonce: string | undefined) =>
      Effect.gen(function*() {
        const request = yield* build
        const response = yield* Http.send(request, options.timeout, {
          prepare: (r) =>
            Effect.map(
              // The cached nonce is re-read per attempt: a retried GET uses the latest one.
              sign(key, { method: r.method, url: r.url, accessToken: options.accessToken, nonce: nonce ?? nonceFor(dpop, r.url) }),
              (proof) => HttpClientRequest.setHeader(r, "dpop", proof)
            )
        })
        remember(dpop, request.url, response)
        return response
      })
    const first = yield* attempt(undefined)
    const asked = challenged(options.kind, first)
    // One retry, with the nonce the server just gave; a second challenge is the caller's error.
    return Option.isSome(asked) ? yield* attempt(asked.value) : first
  })
