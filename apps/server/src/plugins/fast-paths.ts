import type { IncomingMessage, ServerResponse } from 'node:http';
import { MANAGEMENT_PERMISSIONS } from '@tokenward/core';
import type { Principal } from '../services/verifier.js';
import { singleBearer } from './auth.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** The gateway check (`GET`, routes/protocol.ts). */
export const VERIFY_PATH = '/api/v1/auth/verify';
/** RFC 7662 introspection (`POST`, routes/protocol.ts). */
export const INTROSPECT_PATH = '/api/v1/token/introspect';

/** The headers of the gateway check's 204, computed once per principal. */
export function gatewayHeaders(p: Principal): Record<string, string> {
  p.gatewayHeaders ??= {
    'x-tokenward-identity': String(p.identity.id),
    'x-tokenward-identity-name': encodeURIComponent(p.identity.name),
    'x-tokenward-roles': p.roles.join(','),
    'x-tokenward-permissions': MANAGEMENT_PERMISSIONS.filter((x) => p.authority.has(x)).join(','),
  };
  return p.gatewayHeaders;
}

/** The fast path's 204: the security headers, then the route's (computed once per principal). */
function fastVerifyHeaders(p: Principal): Record<string, string> {
  p.fastGatewayHeaders ??= { ...SECURITY_HEADERS, ...gatewayHeaders(p) };
  return p.fastGatewayHeaders;
}

/** The headers of an introspection answer (its length comes on top). */
export const INTROSPECTION_HEADERS = {
  'cache-control': 'no-store',
  'content-type': 'application/json; charset=utf-8',
} as const;

/** `x-tokenward-`: the prefix of the headers only Tokenward sets (and of the credential one). */
export const TOKENWARD_HEADER_PREFIX = 'x-tokenward-';
/** The one `X-Tokenward-*` header a client may send: a credential (plugins/auth.ts). */
export const TOKENWARD_CREDENTIAL_HEADER = 'x-tokenward-authorization';

/**
 * Whether a request carries an `X-Tokenward-*` header other than X-Tokenward-Authorization: the
 * names of Tokenward's answers to a gateway (X-Tokenward-Identity, -Roles, -Permissions…),
 * which a client sends only to pass them off as Tokenward's. Reads the raw header names
 * without allocating (it runs on every gateway check).
 */
export function spoofedTokenwardHeader(rawHeaders: readonly string[]): boolean {
  const prefix = TOKENWARD_HEADER_PREFIX.length;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length <= prefix || (name.charCodeAt(0) | 0x20) !== 0x78) continue;
    let j = 1;
    // `| 0x20` lower-cases letters and leaves `-` as it is (header names hold no control bytes).
    while (j < prefix && (name.charCodeAt(j) | 0x20) === TOKENWARD_HEADER_PREFIX.charCodeAt(j)) j++;
    if (j < prefix) continue;
    if (
      name.length === TOKENWARD_CREDENTIAL_HEADER.length &&
      name.toLowerCase() === TOKENWARD_CREDENTIAL_HEADER
    )
      continue;
    return true;
  }
  return false;
}

/**
 * The one introspection body answered here: `{"token":"…"}` with a value made of token
 * characters (opaque tokens and JWTs), nothing else. Any other body goes to the route.
 */
const INTROSPECT_BODY = /^\s*\{\s*"token"\s*:\s*"([A-Za-z0-9._~+/=-]{1,8192})"\s*\}\s*$/;
/** Longest introspection body looked at here (a token of 8192 characters with some spaces). */
export const MAX_INTROSPECT_BODY = 8192 + 64;

export interface FastPathDeps {
  /** The verifier's cached answer, its use recorded if `accept` takes it (Verifier.cachedPrincipal). */
  cachedToken: (credential: string, accept: (p: Principal) => boolean) => Principal | null | undefined;
  /** The same without recording the use (Verifier.peekPrincipal). */
  cachedCaller: (credential: string) => Principal | null | undefined;
  /** Records the use of a token whose principal `cachedCaller` gave (Verifier.recordUse). */
  recordUse: (principal: Principal) => void;
  /** The introspection answer from the caches (IntrospectionService.cachedIntrospection). */
  cachedIntrospection: (value: string) => string | undefined;
  /** Count answers for /metrics under the routes' own labels. */
  countVerify: (method: string, statusCode: number) => void;
  countIntrospect: (method: string, statusCode: number) => void;
  /** Longest introspection body answered here: at most MAX_INTROSPECT_BODY and the body limit. */
  maxIntrospectBody: number;
  /**
   * Whether the bearer-failure rate limiter blocks any client address right now: then every
   * gateway check goes to the route, which answers a blocked address 429 (issue 12 item 7).
   * Asked on every fast verify: it must be a cheap read.
   */
  anyAddressBlocked: () => boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A principal the fast paths may answer for: no endpoint allow-list, and not bound to a DPoP
 * key (a bound token presented as Bearer is refused by the route's auth hook).
 */
const unrestricted = (p: Principal): boolean => p.authority.endpoints === null && !p.token?.cnfJkt;

/**
 * The two calls every API call behind Tokenward may pay for, in front of the framework. Most of
 * what Fastify does per request (request and reply objects, hooks, routing, body parsing and
 * validation) is spent on answers the verifier's caches already hold. So the plain cases are
 * answered here, in the `node:http` request handler:
 *
 * - `GET /api/v1/auth/verify`: exactly that path, no query, no body, no cookie, one
 *   `Authorization: Bearer` and no other credential header, no other `X-Tokenward-*` header
 *   (the route refuses those), no client address blocked by the bearer-failure limiter, a
 *   token the caches hold as valid, without an endpoint allow-list;
 * - `POST /api/v1/token/introspect`: the same for the caller, `Content-Type: application/json`
 *   with a Content-Length, a body of just `{"token":"…"}`, and a token the caches can answer for.
 *
 * They are off when CORS origins are configured (the CORS plugin adds headers to the routes'
 * answers) and when request lines are logged (the framework writes them).
 *
 * The answers are the routes' own, byte for byte (test/fast-paths.test.ts compares them), and
 * are counted like theirs (metrics, token use). Everything else, including every refusal and
 * every cache miss, goes to Fastify: at once, or for an introspection body that does not
 * qualify, with the body put back into the request stream (`unshift`) before Fastify reads it.
 */
export class FastPaths {
  private closing = false;

  constructor(private readonly deps: FastPathDeps) {}

  /** From now on every request goes to Fastify (which answers 503 while closing). */
  close(): void {
    this.closing = true;
  }

  /** Answers the request, or hands it to `next` (Fastify) untouched. */
  handle(req: IncomingMessage, res: ServerResponse, next: Handler): void {
    if (!this.closing) {
      if (req.method === 'GET' && req.url === VERIFY_PATH) {
        if (this.verify(req, res)) return;
      } else if (req.method === 'POST' && req.url === INTROSPECT_PATH) {
        if (this.introspect(req, res, next)) return;
      }
    }
    next(req, res);
  }

  private verify(req: IncomingMessage, res: ServerResponse): boolean {
    const headers = req.headers;
    if (
      headers.cookie !== undefined ||
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      spoofedTokenwardHeader(req.rawHeaders) ||
      this.deps.anyAddressBlocked()
    )
      return false;
    const credential = singleBearer(headers, req.rawHeaders);
    if (credential === undefined) return false;
    const principal = this.deps.cachedToken(credential, unrestricted);
    if (!principal) return false;
    res.writeHead(204, fastVerifyHeaders(principal));
    res.end();
    this.deps.countVerify('GET', 204);
    return true;
  }

  /** True when the request is taken over (answered here, or later handed to `next`). */
  private introspect(req: IncomingMessage, res: ServerResponse, next: Handler): boolean {
    const headers = req.headers;
    const length = headers['content-length'];
    if (
      headers['content-type'] !== 'application/json' ||
      length === undefined ||
      !/^[1-9]\d{0,4}$/.test(length) ||
      Number(length) > this.deps.maxIntrospectBody ||
      headers.cookie !== undefined ||
      headers['transfer-encoding'] !== undefined
    )
      return false;
    const credential = singleBearer(headers, req.rawHeaders);
    if (credential === undefined) return false;
    // The caller is authenticated now, as the route's auth hook would before the body is read;
    // its use is only recorded if the answer is given here.
    const authenticated = this.deps.cachedCaller(credential);
    if (!authenticated || !unrestricted(authenticated)) return false;

    const expected = Number(length);
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < expected) return;
      // The whole body is here (Node's parser never passes more than Content-Length): decide
      // now, before the stream can end, so that the body can still be put back.
      req.removeListener('data', onData);
      req.pause();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      const answer = this.introspection(body);
      if (answer === undefined) {
        req.unshift(body);
        next(req, res);
        return;
      }
      this.deps.recordUse(authenticated);
      // A literal of fixed shape, not a spread: each spread result took V8's slow path, and a
      // fresh key enumeration when Node wrote it (bench/README.md, third pass).
      res.writeHead(200, {
        'x-content-type-options': SECURITY_HEADERS['x-content-type-options'],
        'cache-control': INTROSPECTION_HEADERS['cache-control'],
        'content-type': INTROSPECTION_HEADERS['content-type'],
        'content-length': Buffer.byteLength(answer),
      });
      res.end(answer);
      this.deps.countIntrospect('POST', 200);
    };
    req.on('data', onData);
    return true;
  }

  private introspection(body: Buffer): string | undefined {
    const m = INTROSPECT_BODY.exec(body.toString('latin1'));
    return m ? this.deps.cachedIntrospection(m[1]!) : undefined;
  }
}
