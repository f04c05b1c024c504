import type { IncomingHttpHeaders } from 'node:http';
import { AppError, dpopBindingHolds, presentedCredential } from '@tokenward/core';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Principal } from '../services/verifier.js';
import './dpop-request.js';

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
    /**
     * An OAuth endpoint: `Authorization: Basic` is client authentication, which the route does
     * (services/client-authenticator.ts), so this hook leaves it alone.
     */
    clientAuth?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BASIC = { basic: true } as const;

/** A token presented as the password of HTTP Basic, with the username that must name its identity. */
export interface BasicCredential {
  token: string;
  username: string;
}

/**
 * The credential presented in headers, or null (core's presentedCredential: the one reading of
 * SPEC §3, shared with the SDK, plus HTTP Basic). Two different values are a 400; a header
 * credential always wins over the (ambient) session cookie. A token sent as
 * `Authorization: DPoP` comes as `{dpop}`.
 */
export function headerCredential(
  request: FastifyRequest,
): string | BasicCredential | { dpop: string } | null {
  const common = singleBearer(request.headers, request.raw.rawHeaders);
  if (common !== undefined) return common;
  // Node joins a repeated header into one value (or keeps only the first Authorization): the
  // raw header list keeps every value, so two different ones are seen as two credentials.
  const raw = request.raw.rawHeaders;
  const found = presentedCredential((name) => {
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
    return values.length > 0 ? values : undefined;
  }, BASIC);
  if (found === null) return null;
  if ('error' in found) throw new AppError(found.error);
  if (found.username !== undefined) return { token: found.token, username: found.username };
  return found.dpop ? { dpop: found.token } : found.token;
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
  /** Whether any client address is blocked for guessing (BearerFailureLimiter.anyBlocked). */
  anyAddressBlocked: () => boolean;
  /** Throws 429 when the client address is blocked for guessing (BearerFailureLimiter.check). */
  checkAddress: (address: string) => void;
  /** Counts a failed header credential from the address (BearerFailureLimiter.failed). */
  credentialFailed: (address: string) => Promise<void>;
  /** The caches' answer for a bearer token, or undefined when only the store can tell. */
  cachedToken: (credential: string) => Principal | null | undefined;
  /** Verifier.authenticateToken; `spend: false` leaves a single-use token unspent. */
  authenticateHeader: (credential: string, spend?: boolean) => Promise<Principal | null>;
  /** HTTP Basic: the token's principal when the username names its identity (client-authenticator's identityToken). */
  authenticateBasic: (username: string, token: string) => Promise<Principal | null>;
  authenticateSession: (secret: string) => Promise<Principal | null>;
  /**
   * The key of the request's valid DPoP proof for this access token (DpopProofs.proofFor at a
   * resource), null when it has none; throws 401 for a wrong one.
   */
  dpopProof: (request: FastifyRequest, accessToken: string) => Promise<string | null>;
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
    const hook = authHook(
      app,
      mode,
      !route.config?.skipEndpointCheck,
      route.config?.clientAuth === true,
      deps,
    );
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined ? [hook] : [hook, ...(Array.isArray(existing) ? existing : [existing])];
  });
}

function authHook(
  app: FastifyInstance,
  mode: 'optional' | 'required',
  checkEndpoints: boolean,
  clientAuth: boolean,
  deps: AuthDeps,
): onRequestHookHandler {
  const admit = (request: FastifyRequest, principal: Principal | null): void => {
    if (!principal) {
      if (mode === 'required') throw new AppError('unauthenticated');
      return;
    }
    if (checkEndpoints && !principal.authority.allowsRequest(request.method, request.url)) {
      throw new AppError('endpoint_not_allowed');
    }
    request.principal = principal;
  };
  // Callback style, not async: a verify the caches can answer completes without a promise.
  return (request, _reply, done) => {
    let found: Principal | null | Promise<Principal | null>;
    try {
      found = resolvePrincipal(request, sessionSecret(app, request), mode, clientAuth, deps);
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
  clientAuth: boolean,
  deps: AuthDeps,
): Principal | null | Promise<Principal | null> {
  let presented = headerCredential(request);
  // On an OAuth endpoint, Basic is the client's authentication: the route's to check.
  if (clientAuth && presented !== null && typeof presented === 'object' && 'username' in presented)
    presented = null;
  if (presented !== null && typeof presented === 'object' && 'username' in presented) {
    const basic = presented;
    if (deps.anyAddressBlocked()) deps.checkAddress(request.ip);
    return (async () => {
      if (secret && (await deps.authenticateSession(secret))) throw new AppError('multiple_credentials');
      const principal = await deps.authenticateBasic(basic.username, basic.token);
      // A token bound to a DPoP key is no password either (RFC 9449 §7.1).
      return principal && !principal.token?.cnfJkt ? principal : refuse(request, deps);
    })();
  }
  if (presented !== null) {
    // A plain string: a bearer credential (the common case allocates nothing more).
    const dpop = typeof presented !== 'string';
    const credential = typeof presented === 'string' ? presented : presented.dpop;
    // An address caught guessing gets 429 for every credential, good ones too: no oracle. (The
    // client address is only worked out while some address is blocked.)
    if (deps.anyAddressBlocked()) deps.checkAddress(request.ip);
    if (!secret && !dpop) {
      const cached = deps.cachedToken(credential);
      if (cached === null) return refuse(request, deps);
      // A token bound to a DPoP key is no bearer token (RFC 9449 §7.1): one property read.
      if (cached !== undefined) return cached.token?.cnfJkt ? refuse(request, deps) : cached;
    }
    return (async () => {
      // A header credential and a live session are two credentials (SPEC §3). A stale cookie
      // left in a browser is no credential and does not get in the way.
      if (secret && (await deps.authenticateSession(secret))) throw new AppError('multiple_credentials');
      // `Authorization: DPoP` (RFC 9449 §7): proof and binding are checked before a single-use
      // token is spent, so only a request proving possession of its key spends it.
      let jkt: string | null = null;
      if (dpop) {
        jkt = await deps.dpopProof(request, credential);
        if (jkt === null)
          throw new AppError('invalid_dpop_proof', 'A DPoP proof is required.', { status: 401 });
      }
      const principal = await deps.authenticateHeader(credential, !dpop);
      if (!principal) return refuse(request, deps);
      const bound = principal.token?.cnfJkt ?? null;
      // A bound token only as DPoP with a proof of its key, DPoP only for a bound token: core's
      // dpopBindingHolds. A bound token as Bearer, or DPoP for a bearer token, is a bad token.
      if (!dpop || bound === null) return bound === null && !dpop ? principal : refuse(request, deps);
      if (!dpopBindingHolds('resource', bound, jkt)) {
        throw new AppError(
          'invalid_dpop_proof',
          'The DPoP proof is not made with the key the token is bound to.',
          {
            status: 401,
          },
        );
      }
      if (principal.token?.subtype === 'OneTouch' && !(await deps.authenticateHeader(credential, true)))
        return refuse(request, deps);
      request.dpopJkt = jkt;
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

/** A header credential that is not valid: counted against the client address, then 401. */
async function refuse(request: FastifyRequest, deps: AuthDeps): Promise<never> {
  await deps.credentialFailed(request.ip);
  throw new AppError('unauthenticated');
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
