import type { Refusal } from './errors.js';
import type { Guard } from './guards.js';
import { type TokenwardAuth, TokenwardVerifier, type VerifierOptions } from './verifier.js';

const verified = new WeakMap<Request, TokenwardAuth>();

/**
 * The verified caller of a request that went through {@link withTokenward}.
 *
 * @example
 * ```ts
 * const auth = getTokenward(request);
 * ```
 */
export function getTokenward(request: Request): TokenwardAuth | undefined {
  return verified.get(request);
}

/**
 * A refusal as a fetch `Response` with the SPEC §4 JSON body.
 *
 * @example
 * ```ts
 * if (!outcome.ok) return refusalResponse(outcome.refusal);
 * ```
 */
export function refusalResponse(r: Refusal): Response {
  return new Response(JSON.stringify(r.body), {
    status: r.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(r.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
    },
  });
}

/**
 * Protects a fetch-style handler (`(req: Request) => Response`, as in Bun, Deno, Hono or
 * Cloudflare-style runtimes): verifies the credential, runs the guards, then calls the handler
 * with the verified caller. Answers 401/403 with `{errorCode, errorMessage, code}` otherwise.
 *
 * @example
 * ```ts
 * import { TokenwardVerifier, requirePermission, withTokenward } from '@tokenward/client';
 *
 * const verifier = new TokenwardVerifier({ baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_SERVICE_TOKEN });
 * export const handler = withTokenward(
 *   verifier,
 *   async (req, auth) => Response.json({ hello: auth.name }),
 *   requirePermission('billing:read'),
 * );
 * ```
 */
export function withTokenward(
  verifier: TokenwardVerifier | VerifierOptions,
  handler: (request: Request, auth: TokenwardAuth) => Response | Promise<Response>,
  ...guards: Guard[]
): (request: Request) => Promise<Response> {
  const v = verifier instanceof TokenwardVerifier ? verifier : new TokenwardVerifier(verifier);
  return async (request) => {
    const url = new URL(request.url);
    const outcome = await v.verifyRequest(
      (name) => request.headers.get(name),
      request.method,
      url.pathname + url.search,
      url.origin,
    );
    if (!outcome.ok) return refusalResponse(outcome.refusal);
    for (const guard of guards) {
      const refused = guard(outcome.auth);
      if (refused) return refusalResponse(refused);
    }
    verified.set(request, outcome.auth);
    return handler(request, outcome.auth);
  };
}
