/**
 * One route of the Tokenward API: method and OpenAPI path template.
 *
 * @example
 * ```ts
 * const route: Route = { method: 'GET', path: '/api/v1/apptoken/{id}' };
 * ```
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
}

const r = (method: Route['method'], path: string): Route => ({ method, path });

/**
 * Every route the client calls, by the method that calls it. The single place paths are
 * written: a test checks this table against the server's OpenAPI document in both directions.
 *
 * @example
 * ```ts
 * import { ROUTES } from '@tokenward/client';
 * console.log(ROUTES.grant); // { method: 'POST', path: '/api/v1/apptoken/grant' }
 * ```
 */
export const ROUTES = {
  signIn: r('POST', '/api/v1/signin'),
  signOut: r('POST', '/api/v1/signout'),
  listSessions: r('GET', '/api/v1/usersession'),
  endSession: r('DELETE', '/api/v1/usersession/{id}'),

  grantDefault: r('GET', '/api/v1/apptoken/grant'),
  grant: r('POST', '/api/v1/apptoken/grant'),
  grantDefaultTo: r('GET', '/api/v1/apptoken/grant/{identityId}'),
  grantTo: r('POST', '/api/v1/apptoken/grant/{identityId}'),
  importValue: r('POST', '/api/v1/apptoken'),
  listTokens: r('GET', '/api/v1/apptoken'),
  exportTokens: r('GET', '/api/v1/apptoken/export'),
  importHashes: r('POST', '/api/v1/apptoken/import-hashes'),
  getToken: r('GET', '/api/v1/apptoken/{id}'),
  updateToken: r('PATCH', '/api/v1/apptoken/{id}'),
  revokeToken: r('DELETE', '/api/v1/apptoken/{id}'),

  listPersonalTokens: r('GET', '/api/v1/PersonalTokens'),
  createPersonalToken: r('POST', '/api/v1/PersonalTokens'),
  updatePersonalToken: r('PATCH', '/api/v1/PersonalTokens/{id}'),
  revokePersonalToken: r('DELETE', '/api/v1/PersonalTokens/{id}'),
  authenticatePersonalToken: r('POST', '/api/v1/PersonalTokens/authenticate'),

  listIdentities: r('GET', '/api/v1/identity'),
  createIdentity: r('POST', '/api/v1/identity'),
  getIdentity: r('GET', '/api/v1/identity/{id}'),
  updateIdentity: r('PUT', '/api/v1/identity/{id}'),
  deleteIdentity: r('DELETE', '/api/v1/identity/{id}'),
  getClientKeys: r('GET', '/api/v1/identity/{id}/jwks'),
  putClientKeys: r('PUT', '/api/v1/identity/{id}/jwks'),
  deleteClientKeys: r('DELETE', '/api/v1/identity/{id}/jwks'),

  listRoles: r('GET', '/api/v1/role'),
  createRole: r('POST', '/api/v1/role'),
  getRole: r('GET', '/api/v1/role/{name}'),
  updateRole: r('PUT', '/api/v1/role/{name}'),
  deleteRole: r('DELETE', '/api/v1/role/{name}'),

  audit: r('GET', '/api/v1/audit'),
  me: r('GET', '/api/v1/me'),
  limits: r('GET', '/api/v1/settings/limits'),

  token: r('POST', '/api/v1/token'),
  introspect: r('POST', '/api/v1/token/introspect'),
  revokeValue: r('POST', '/api/v1/token/revoke'),
  refresh: r('POST', '/api/v1/token/refresh'),
  exchange: r('POST', '/api/v1/token/exchange'),
  gatewayVerify: r('GET', '/api/v1/auth/verify'),

  listKeys: r('GET', '/api/v1/keys'),
  rotateKey: r('POST', '/api/v1/keys/rotate'),
  jwks: r('GET', '/.well-known/jwks.json'),
} as const satisfies Record<string, Route>;

/**
 * The name of a client route.
 *
 * @example
 * ```ts
 * const name: RouteName = 'grant';
 * ```
 */
export type RouteName = keyof typeof ROUTES;
