import { AppError, endpointAllowed } from '@tokenward/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  const found = new Set<string>();
  const auth = request.headers.authorization;
  if (auth !== undefined) {
    // Node keeps the first of repeated Authorization headers and drops the others: read them
    // all, so two different ones are refused like any two credentials (SPEC §3).
    for (const value of authorizationHeaders(request, auth)) {
      const v = value.trim();
      if (!/^bearer\s+\S/i.test(v)) throw new AppError('unauthenticated');
      found.add(stripBearer(v));
    }
  }
  for (const h of ALT_HEADERS) {
    const raw = request.headers[h];
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
 * Every Authorization header of the request. `headersDistinct` rebuilds all headers, so it is
 * only asked when the raw header list names Authorization more than once (rare).
 */
function authorizationHeaders(request: FastifyRequest, first: string): readonly string[] {
  const raw = request.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization' && ++seen > 1) {
      return request.raw.headersDistinct.authorization ?? [first];
    }
  }
  return [first];
}

export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;

/**
 * Authenticates every request whose route asks for it (the default), checks CSRF for
 * cookie-authenticated writes and enforces a token's endpoint allow-list.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: {
    authenticateHeader: (credential: string) => Promise<Principal | null>;
    authenticateSession: (secret: string) => Promise<Principal | null>;
    csrfMatches: (principal: Principal, presented: string | undefined) => boolean;
  },
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    // Unknown routes answer 404 whoever asks.
    if (request.is404) return;
    const mode: AuthMode = request.routeOptions.config?.auth ?? 'required';
    if (mode === 'none') return;
    const credential = headerCredential(request);
    let principal: Principal | null = null;
    if (credential !== null) {
      // A header credential and a live session are two credentials (SPEC §3). A stale cookie
      // left in a browser is no credential and does not get in the way.
      const secret = request.cookies?.[SESSION_COOKIE];
      if (secret && (await deps.authenticateSession(secret))) throw new AppError('multiple_credentials');
      principal = await deps.authenticateHeader(credential);
      if (!principal) throw new AppError('unauthenticated');
    } else {
      const secret = request.cookies?.[SESSION_COOKIE];
      if (secret) {
        principal = await deps.authenticateSession(secret);
        if (!principal && mode === 'required')
          throw new AppError('unauthenticated', 'Your session has expired; sign in again.');
        if (principal && !SAFE_METHODS.has(request.method)) {
          const presented = request.headers[CSRF_HEADER];
          if (typeof presented !== 'string' || !deps.csrfMatches(principal, presented)) {
            throw new AppError('csrf_failed');
          }
        }
      }
    }
    if (!principal) {
      if (mode === 'required') throw new AppError('unauthenticated');
      return;
    }
    if (principal.endpoints && !request.routeOptions.config?.skipEndpointCheck) {
      if (!endpointAllowed(principal.endpoints, request.method, request.url)) {
        throw new AppError('endpoint_not_allowed');
      }
    }
    request.principal = principal;
  });
}

/** The authenticated caller of a route that requires authentication. */
export function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated');
  return request.principal;
}
