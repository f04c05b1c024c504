import { AppError, endpointAllowed } from '@tokenward/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { gatewayHeaders } from '../plugins/fast-paths.js';
import { errors } from '../schemas/common.js';

export async function gatewayRoutes(app: FastifyInstance): Promise<void> {
  /**
   * For gateways (nginx `auth_request`): 204 with the caller's identity and roles, 401 or 403.
   * The endpoint allow-list is checked against X-Original-Method / X-Original-URI. The plain
   * case of a cached valid token is answered before Fastify (plugins/fast-paths.ts), with the same
   * 204; everything else comes here.
   */
  app.get(
    '/auth/verify',
    {
      config: { skipEndpointCheck: true },
      schema: {
        tags: ['token protocol'],
        summary:
          'Gateway check: 204 with X-Tokenward-Identity, X-Tokenward-Identity-Name, X-Tokenward-Roles, X-Tokenward-Permissions; 401/403 otherwise. ?permission=x requires a permission.',
        querystring: Type.Object({ permission: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    // Not async: a verify answered from the caches completes without a promise.
    (request, reply) => {
      const p = caller(request);
      if (p.endpoints) {
        const method = request.headers['x-original-method'];
        const uri = request.headers['x-original-uri'];
        const m = typeof method === 'string' ? method : request.method;
        const u = typeof uri === 'string' ? uri : request.url;
        if (!endpointAllowed(p.endpoints, m, u)) throw new AppError('endpoint_not_allowed');
      }
      const wanted = (request.query as { permission?: string }).permission;
      if (wanted && !p.permissions.has(wanted)) throw new AppError('permission_denied');
      reply.code(204).headers(gatewayHeaders(p)).send();
      return reply;
    },
  );
}
