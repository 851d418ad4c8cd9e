/** The demo app, importable so tests can start it in-process. */
export { DEMO_API, DEMO_API_POLICY_SCOPES, DEMO_API_SCOPES, DEMO_CLIENT_ID, DEMO_USERS, startDemo, type Demo, type DemoOptions } from "./demo.js"
export { safeReturnTo } from "./returnTo.js"
