import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@tokenward/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errorHeaders, publicErrorBody, toErrorResponse } from '../plugins/errors.js';
import { gatewayHeaders, spoofedTokenwardHeader } from '../plugins/fast-paths.js';
import { errors } from '../schemas/common.js';

/**
 * The only answers a gateway gets from `/auth/verify`. nginx's `auth_request` passes 401 and 403
 * on and turns anything else but a 2xx into a 500, so every other refusal is a 401 (its body
 * keeps its code, e.g. `multiple_credentials`) and every other failure a 503 to retry; 429 and
 * 503 are for gateways that pass them on (the README's nginx config maps them from its 500).
 */
export function gatewayErrorHandler(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, body: spec, headers } = toErrorResponse(err);
  const body = publicErrorBody(spec, request.id);
  if (status >= 500) {
    request.log.error(
      { err, reqId: request.id },
      body.code === 'store_unavailable' ? 'store unavailable' : 'unhandled error',
    );
    // The body keeps its code (store_unavailable, internal_error); the status says "retry".
    return reply
      .code(503)
      .headers(headers)
      .header('retry-after', headers['retry-after'] ?? '1')
      .send(body);
  }
  if (status === 403 || status === 429) return reply.code(status).headers(headers).send(body);
  // 401, and every other 4xx (a 400 for two different credentials, a bad query string…).
  return reply
    .code(401)
    .headers(errorHeaders(request, 401, body.code, headers))
    .send(body);
}

export const gatewayRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * For gateways (nginx `auth_request`): 204 with the caller's identity, roles and management
   * permissions; 401, 403, 429 or 503 otherwise, nothing else (gatewayErrorHandler). The
   * endpoint allow-list is checked against X-Original-Method / X-Original-URI, normalised by
   * `endpointAllowed` (dot segments, encoded separators: README, "Putting an existing API behind
   * Tokenward with nginx"). A request carrying an `X-Tokenward-*` header other than
   * X-Tokenward-Authorization is refused: only Tokenward sets those, and the gateway's check
   * carries the client's headers, so such a request is a client trying to speak for Tokenward.
   * The plain case of a cached valid token is answered before Fastify (plugins/fast-paths.ts),
   * with the same 204; everything else comes here.
   */
  app.get(
    '/auth/verify',
    {
      config: { skipEndpointCheck: true, dpopFromGateway: true },
      errorHandler: gatewayErrorHandler,
      schema: {
        tags: ['token protocol'],
        operationId: 'verifyRequest',
        summary:
          'Gateway check: 204 with X-Tokenward-Identity, X-Tokenward-Identity-Name, X-Tokenward-Roles, X-Tokenward-Permissions; 401/403 otherwise (429 when rate-limited, 503 to retry). ?permission=x requires a permission.',
        querystring: Type.Object({ permission: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: { 204: Type.Null(), ...errors(401, 403, 429, 503) },
      },
    },
    // Not async: a verify answered from the caches completes without a promise.
    (request, reply) => {
      if (spoofedTokenwardHeader(request.raw.rawHeaders)) throw new AppError('header_not_allowed');
      const { authority } = caller(request);
      if (authority.endpoints) {
        const method = request.headers['x-original-method'];
        const uri = request.headers['x-original-uri'];
        const m = typeof method === 'string' ? method : request.method;
        const u = typeof uri === 'string' ? uri : request.url;
        if (!authority.allowsRequest(m, u)) throw new AppError('endpoint_not_allowed');
      }
      const wanted = request.query.permission;
      if (wanted && !authority.has(wanted)) throw new AppError('permission_denied');
      const p = caller(request);
      reply.code(204).headers(gatewayHeaders(p)).send(null);
    },
  );
};
