import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type Refusal, refusal, wwwAuthenticate } from './errors.js';
import { type Guard, requirePermission as permissionGuard, requireRole as roleGuard } from './guards.js';
import { type TokenwardAuth, TokenwardVerifier, type VerifierOptions } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller (null on routes that opted out with `config: { tokenward: false }`). */
    tokenward: TokenwardAuth | null;
  }
  interface FastifyContextConfig {
    /** `false` makes a route public: no credential is asked for. */
    tokenward?: boolean;
  }
}

/**
 * Options of the Fastify plugin: a ready {@link TokenwardVerifier}, or the options to make one.
 *
 * @example
 * ```ts
 * await app.register(tokenward, { baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_SERVICE_TOKEN });
 * ```
 */
export type FastifyTokenwardOptions = VerifierOptions | { verifier: TokenwardVerifier };

function send(reply: FastifyReply, r: Refusal): FastifyReply {
  if (r.status === 401) reply.header('www-authenticate', wwwAuthenticate(r));
  return reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
}

/**
 * Fastify plugin: every route registered in the same context (after it, or before it in the
 * same encapsulation scope) requires a valid Tokenward token; `request.tokenward` holds the
 * caller. Register it inside `app.register(async (scope) => …)` to protect only some routes, or
 * mark a route public with `config: { tokenward: false }`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { requirePermission, tokenward } from '@tokenward/client/fastify';
 *
 * const app = Fastify();
 * await app.register(tokenward, { baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_SERVICE_TOKEN });
 * app.get('/invoices', { preHandler: requirePermission('billing:read') }, async (request) => ({
 *   viewer: request.tokenward!.name,
 * }));
 * app.get('/health', { config: { tokenward: false } }, async () => ({ ok: true }));
 * ```
 */
export const tokenward: FastifyPluginAsync<FastifyTokenwardOptions> = async (app, options) => {
  const verifier = 'verifier' in options ? options.verifier : new TokenwardVerifier(options);
  app.decorateRequest('tokenward', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 || request.routeOptions.config?.tokenward === false) return;
    const outcome = await verifier.verifyRequest(
      (name) => request.headers[name],
      request.method,
      request.url,
      `${request.protocol}://${request.host}`,
    );
    if (!outcome.ok) return send(reply, outcome.refusal);
    request.tokenward = outcome.auth;
  });
};
// What fastify-plugin does: the hook and decorator apply to the context that registers the
// plugin, not only to the plugin's own.
Object.assign(tokenward, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@tokenward/client',
});

function preHandler(guard: Guard) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = request.tokenward;
    if (!auth) return send(reply, refusal('unauthenticated'));
    const refused = guard(auth);
    if (refused) return send(reply, refused);
  };
}

/**
 * A `preHandler` requiring every listed permission (403 otherwise).
 *
 * @example
 * ```ts
 * app.post('/invoices', { preHandler: requirePermission('billing:write') }, createInvoice);
 * ```
 */
export function requirePermission(...permissions: string[]) {
  return preHandler(permissionGuard(...permissions));
}

/**
 * A `preHandler` requiring one of the listed roles (403 otherwise).
 *
 * @example
 * ```ts
 * app.delete('/invoices/:id', { preHandler: requireRole('Accountant') }, deleteInvoice);
 * ```
 */
export function requireRole(...roles: string[]) {
  return preHandler(roleGuard(...roles));
}

export type { TokenwardAuth, VerifierOptions };
export { TokenwardVerifier };
