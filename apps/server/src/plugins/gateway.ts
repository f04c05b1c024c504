import type { IncomingMessage, ServerResponse } from 'node:http';
import { MANAGEMENT_PERMISSIONS } from '@tokenward/core';
import type { Principal } from '../services/verifier.js';
import { singleBearer } from './auth.js';

/** The gateway check (`GET /api/v1/auth/verify`, routes/protocol.ts). */
export const VERIFY_PATH = '/api/v1/auth/verify';

/** The headers of the gateway check's 204, computed once per principal. */
export function gatewayHeaders(p: Principal): Record<string, string> {
  p.gatewayHeaders ??= {
    'x-tokenward-identity': String(p.identity.id),
    'x-tokenward-identity-name': encodeURIComponent(p.identity.name),
    'x-tokenward-roles': p.roles.join(','),
    'x-tokenward-permissions': MANAGEMENT_PERMISSIONS.filter((x) => p.permissions.has(x)).join(','),
  };
  return p.gatewayHeaders;
}

export interface FastVerifyDeps {
  /** The verifier's cached answer (Verifier.cachedPrincipal). */
  cachedToken: (credential: string, accept: (p: Principal) => boolean) => Principal | null | undefined;
  /** Counts an answer for /metrics under the route's own label. */
  count: (method: string, statusCode: number) => void;
}

const unrestricted = (p: Principal): boolean => p.endpoints === null;

/**
 * The gateway check in front of the framework. Every API call behind a gateway pays for
 * `GET /api/v1/auth/verify`, and most of what Fastify does per request (request and reply
 * objects, hooks, routing, validation of an absent query) is spent on an answer the caches
 * already hold. So the plain case is answered here, in the `node:http` request handler: a GET
 * of exactly that path, no query, no body, no cookie, one `Authorization: Bearer` and no other
 * credential header, a token the verifier's caches can answer as valid, without an endpoint
 * allow-list. The answer is the route's own 204 with the same headers (test/gateway-fast-path.test.ts
 * compares the two byte for byte). Everything else, including every refusal, is handed to
 * Fastify untouched, and the route answers it as usual.
 */
export class FastVerify {
  private closing = false;

  constructor(private readonly deps: FastVerifyDeps) {}

  /** From now on every request goes to Fastify (which answers 503 while closing). */
  close(): void {
    this.closing = true;
  }

  /** Answers the request and returns true, or returns false without touching it. */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.closing || req.method !== 'GET' || req.url !== VERIFY_PATH) return false;
    const headers = req.headers;
    if (
      headers.cookie !== undefined ||
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined
    )
      return false;
    const credential = singleBearer(headers, req.rawHeaders);
    if (credential === undefined) return false;
    const principal = this.deps.cachedToken(credential, unrestricted);
    if (!principal) return false;
    res.writeHead(204, gatewayHeaders(principal));
    res.end();
    this.deps.count('GET', 204);
    return true;
  }
}
