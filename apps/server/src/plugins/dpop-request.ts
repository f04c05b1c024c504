import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DpopProofs, DpopRequest } from '../services/dpop.js';

/** Every `DPoP` header value of a request (a repeated header is two proofs, and refused). */
export function dpopHeaderValues(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'dpop') out.push(rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * What DpopProofs.proofFor checks a request's proof against: its method, the path the client
 * sent (before compat paths are rewritten), the origin it arrived at, and at a resource the
 * access token presented.
 */
export function dpopRequest(request: FastifyRequest, accessToken?: string): DpopRequest {
  const proofs = dpopHeaderValues(request.raw.rawHeaders);
  const token = accessToken === undefined ? {} : { accessToken };
  if (request.routeOptions.config.dpopFromGateway) {
    // The gateway check (`/auth/verify`): the proof is for the request the gateway guards, which
    // the gateway names, as it does for endpoint allow-lists (README, nginx).
    const method = request.headers['x-original-method'];
    const uri = request.headers['x-original-uri'];
    const url = request.headers['x-original-url'];
    let origin = `${request.protocol}://${request.host}`;
    // Without them (a client asking /auth/verify itself), the proof is for this request.
    let path = typeof uri === 'string' ? uri : (request.raw.url ?? request.url);
    if (typeof url === 'string') {
      const u = URL.parse(url);
      // A URL that does not parse matches no proof.
      origin = u ? u.origin : 'invalid:';
      path = u ? u.pathname : '';
    }
    return { method: typeof method === 'string' ? method : request.method, proofs, path, origin, ...token };
  }
  return {
    method: request.method,
    proofs,
    path: request.raw.url ?? request.url,
    origin: `${request.protocol}://${request.host}`,
    ...token,
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A DPoP proof is for the request named by X-Original-Method and X-Original-URL/-URI. */
    dpopFromGateway?: boolean;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The key (RFC 7638 thumbprint) of the request's DPoP proof once the auth hook has checked
     * it (a token presented as `Authorization: DPoP`), so the proof is not checked twice (its
     * jti would then be a replay); undefined until then.
     */
    dpopJkt?: string | null;
  }
}

/**
 * The token endpoint's reading of a request's DPoP proof (RFC 9449 §5), for every grant: the
 * key of its valid proof, null when it has none; a wrong proof is a 400. The answer will carry
 * a fresh `DPoP-Nonce` when nonces are on. Handlers pass the key on to the services, which bind
 * the new tokens to it (checkTokenEndpointDpop decides what needs one).
 */
export async function tokenEndpointProof(
  request: FastifyRequest,
  reply: FastifyReply,
  dpop: DpopProofs,
): Promise<string | null> {
  reply.headers(dpop.nonceHeaders());
  if (request.dpopJkt !== undefined) return request.dpopJkt;
  request.dpopJkt = await dpop.proofFor(dpopRequest(request), 'token-endpoint');
  return request.dpopJkt;
}
