/**
 * @auth0-effect/core: Auth0 flows as Effect programs. Each module is a namespace; the error
 * classes are also exported at the top level. For the smallest cold start, import modules by
 * path (`@auth0-effect/core/Login`) instead of this barrel.
 *
 * @since 0.1.0
 */
export * from "./Errors.js"
export * as AccessToken from "./AccessToken.js"
export * as AccessTokenAudience from "./AccessTokenAudience.js"
export * as Auth0 from "./Auth0.js"
export * as Auth0Config from "./Auth0Config.js"
export * as AuthorizationServer from "./AuthorizationServer.js"
export * as BackchannelLogout from "./BackchannelLogout.js"
export * as CallbackUrl from "./CallbackUrl.js"
export * as CookieChunks from "./CookieChunks.js"
export * as CookieStateStore from "./CookieStateStore.js"
export * as CookieTransactionStore from "./CookieTransactionStore.js"
export * as Errors from "./Errors.js"
export * as IdToken from "./IdToken.js"
export * as Login from "./Login.js"
export * as Logout from "./Logout.js"
export * as Pkce from "./Pkce.js"
export * as Randomness from "./Randomness.js"
export * as RequestCoalescer from "./RequestCoalescer.js"
export * as RequestCookies from "./RequestCookies.js"
export * as Scopes from "./Scopes.js"
export * as ServerClient from "./ServerClient.js"
export * as Session from "./Session.js"
export * as SessionBackend from "./SessionBackend.js"
export * as SessionCrypto from "./SessionCrypto.js"
export * as StatefulStateStore from "./StatefulStateStore.js"
export * as StateStore from "./StateStore.js"
export * as TokenEndpoint from "./TokenEndpoint.js"
export * as TokenSets from "./TokenSets.js"
export * as TransactionStore from "./TransactionStore.js"
export * as UserSession from "./UserSession.js"
export * as WebCookies from "./WebCookies.js"
