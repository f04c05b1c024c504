export { type ClientOptions, type SessionCredential, TokenwardClient } from './client.js';
export { endpointAllowed } from './endpoints.js';
export { type ErrorBody, MIDDLEWARE_ERRORS, type Refusal, refusal, TokenwardError } from './errors.js';
export { getTokenward, refusalResponse, withTokenward } from './fetch.js';
export { type Guard, requirePermission, requireRole } from './guards.js';
export { BUILTIN_ROLE_GRANTS, grantAllows, grantsAllow, MANAGEMENT_PERMISSIONS } from './permissions.js';
export { ROUTES, type Route, type RouteName } from './routes.js';
export type * from './types.js';
export {
  type HeaderReader,
  presentedCredential,
  type TokenwardAuth,
  TokenwardVerifier,
  type VerifierOptions,
  type VerifyOutcome,
} from './verifier.js';
