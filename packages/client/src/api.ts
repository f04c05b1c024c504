/**
 * `@tokenward/client/api`: the API client alone, for browsers and other runtimes without
 * `node:` modules (the admin console uses it). The verifier and the middleware are in the
 * package root and its `/fastify` and `/express` subpaths.
 */
export { type ClientOptions, type SessionCredential, TokenwardClient } from './client.js';
export { type ErrorBody, TokenwardError } from './errors.js';
export { ROUTES, type Route, type RouteName } from './routes.js';
export type * from './types.js';
