import type { IncomingHttpHeaders } from 'node:http';
import { AppError, endpointAllowed } from '@tokenward/core';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Principal } from '../services/verifier.js';

export const SESSION_COOKIE = 'tw_session';
export const CSRF_COOKIE = 'tw_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export type AuthMode = 'none' | 'optional' | 'required';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Default `required`. */
    auth?: AuthMode;
    /** Skip the endpoint allow-list check (routes that evaluate it themselves). */
    skipEndpointCheck?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ALT_HEADERS = ['x-tokenward-authorization', 'x-psu-authorization', 'authtoken'] as const;

function stripBearer(value: string): string {
  const v = value.trim();
  return /^bearer\s+/i.test(v) ? v.replace(/^bearer\s+/i, '').trim() : v;
}

/**
 * The credential presented in headers, or null. Two different values are a 400; a header
 * credential always wins over the (ambient) session cookie.
 */
export function headerCredential(request: FastifyRequest): string | null {
  const headers = request.headers;
  const common = singleBearer(headers, request.raw.rawHeaders);
  if (common !== undefined) return common;
  const auth = headers.authorization;
  const found = new Set<string>();
  if (auth !== undefined) {
    // Node keeps the first of repeated Authorization headers and drops the others: read them
    // all, so two different ones are refused like any two credentials (SPEC §3).
    const values = repeatedAuthorization(request.raw.rawHeaders)
      ? (request.raw.headersDistinct.authorization ?? [auth])
      : [auth];
    for (const value of values) {
      const v = value.trim();
      if (!/^bearer\s+\S/i.test(v)) throw new AppError('unauthenticated');
      found.add(stripBearer(v));
    }
  }
  for (const h of ALT_HEADERS) {
    const raw = headers[h];
    if (raw === undefined) continue;
    // A repeated header arrives as an array (or joined): treat each value as presented.
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      const v = stripBearer(value);
      if (v.length === 0) throw new AppError('unauthenticated');
      found.add(v);
    }
  }
  if (found.size > 1) throw new AppError('multiple_credentials');
  const [only] = found;
  if (only === undefined) return null;
  if (only.length > 8192) throw new AppError('unauthenticated');
  return only;
}

/**
 * The common case of headerCredential: the token of a single `Authorization: Bearer <token>`
 * when no other credential header is present, else undefined (headerCredential then looks at
 * everything).
 */
export function singleBearer(headers: IncomingHttpHeaders, rawHeaders: string[]): string | undefined {
  const auth = headers.authorization;
  if (
    auth !== undefined &&
    auth.length > 7 &&
    auth.length <= 8192 + 7 &&
    auth.startsWith('Bearer ') &&
    auth.charCodeAt(7) > 32 &&
    auth.charCodeAt(auth.length - 1) > 32 &&
    headers['x-tokenward-authorization'] === undefined &&
    headers['x-psu-authorization'] === undefined &&
    headers.authtoken === undefined &&
    !repeatedAuthorization(rawHeaders)
  ) {
    return auth.slice(7);
  }
  return undefined;
}

/**
 * Whether the raw header list names Authorization more than once (rare). `headersDistinct`
 * rebuilds all headers, so it is only asked then.
 */
function repeatedAuthorization(raw: string[]): boolean {
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (
      name.length === 13 &&
      (name === 'Authorization' || name.toLowerCase() === 'authorization') &&
      ++seen > 1
    )
      return true;
  }
  return false;
}

export interface AuthDeps {
  /** The caches' answer for a bearer token, or undefined when only the store can tell. */
  cachedToken: (credential: string) => Principal | null | undefined;
  authenticateHeader: (credential: string) => Promise<Principal | null>;
  authenticateSession: (secret: string) => Promise<Principal | null>;
  csrfMatches: (principal: Principal, presented: string | undefined) => boolean;
}

/**
 * Authenticates every request whose route asks for it (the default), checks CSRF for
 * cookie-authenticated writes and enforces a token's endpoint allow-list. Each route gets its
 * own hook, built once with the route's settings; routes with `auth: 'none'` get none, and
 * unknown paths answer 404 whoever asks. Must be registered before the routes it guards.
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const mode: AuthMode = route.config?.auth ?? 'required';
    if (mode === 'none') return;
    const hook = authHook(app, mode, !route.config?.skipEndpointCheck, deps);
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])];
  });
}

function authHook(
  app: FastifyInstance,
  mode: 'optional' | 'required',
  checkEndpoints: boolean,
  deps: AuthDeps,
): onRequestHookHandler {
  const admit = (request: FastifyRequest, principal: Principal | null): void => {
    if (!principal) {
      if (mode === 'required') throw new AppError('unauthenticated');
      return;
    }
    if (
      checkEndpoints &&
      principal.endpoints &&
      !endpointAllowed(principal.endpoints, request.method, request.url)
    ) {
      throw new AppError('endpoint_not_allowed');
    }
    request.principal = principal;
  };
  // Callback style, not async: a verify the caches can answer completes without a promise.
  return (request, _reply, done) => {
    let found: Principal | null | Promise<Principal | null>;
    try {
      found = resolvePrincipal(request, sessionSecret(app, request), mode, deps);
      if (!(found instanceof Promise)) {
        admit(request, found);
        done();
        return;
      }
    } catch (err) {
      done(err as Error);
      return;
    }
    found.then(
      (principal) => {
        try {
          admit(request, principal);
        } catch (err) {
          done(err as Error);
          return;
        }
        done();
      },
      (err: Error) => done(err),
    );
  };
}

/** The caller of a request: synchronously when the caches can tell, else a promise. */
function resolvePrincipal(
  request: FastifyRequest,
  secret: string | undefined,
  mode: AuthMode,
  deps: AuthDeps,
): Principal | null | Promise<Principal | null> {
  const credential = headerCredential(request);
  if (credential !== null) {
    if (!secret) {
      const cached = deps.cachedToken(credential);
      if (cached === null) throw new AppError('unauthenticated');
      if (cached !== undefined) return cached;
    }
    return (async () => {
      // A header credential and a live session are two credentials (SPEC §3). A stale cookie
      // left in a browser is no credential and does not get in the way.
      if (secret && (await deps.authenticateSession(secret))) throw new AppError('multiple_credentials');
      const principal = await deps.authenticateHeader(credential);
      if (!principal) throw new AppError('unauthenticated');
      return principal;
    })();
  }
  if (!secret) return null;
  return (async () => {
    const principal = await deps.authenticateSession(secret);
    if (!principal && mode === 'required')
      throw new AppError('unauthenticated', 'Your session has expired; sign in again.');
    if (principal && !SAFE_METHODS.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (typeof presented !== 'string' || !deps.csrfMatches(principal, presented)) {
        throw new AppError('csrf_failed');
      }
    }
    return principal;
  })();
}

/** The session cookie's value, parsing the request's cookies only when it has any. */
function sessionSecret(app: FastifyInstance, request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  request.cookies ??= app.parseCookie(header);
  return request.cookies[SESSION_COOKIE];
}

/** The authenticated caller of a route that requires authentication. */
export function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated');
  return request.principal;
}
