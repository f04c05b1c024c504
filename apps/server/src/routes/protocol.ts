import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@tokenward/core';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { tokenEndpointProof } from '../plugins/dpop-request.js';
import { INTROSPECTION_HEADERS } from '../plugins/fast-paths.js';
import { BodyObject, errors } from '../schemas/common.js';
import type { DpopProofs } from '../services/dpop.js';
import type { IntrospectionService } from '../services/introspection.service.js';
import type { RefreshService } from '../services/refresh.service.js';
import type { RevocationService } from '../services/revocation.service.js';
import type { TokenExchangeService } from '../services/token-exchange.service.js';
import { meta } from './meta.js';

const TokenParam = Type.String({ minLength: 1, maxLength: 8192 });

const IntrospectBody = BodyObject({
  token: TokenParam,
  token_type_hint: Type.Optional(Type.String({ maxLength: 64 })),
});
/**
 * A public client's `client_id` (RFC 6749 §2.3, §3.2.1: OAuth libraries send it, e.g.
 * oauth4webapi's `None()`); it names no one and authenticates nothing here.
 */
const PublicClientId = Type.Optional(Type.String({ minLength: 1, maxLength: 256 }));
const RefreshBody = BodyObject({
  grant_type: Type.Optional(Type.Literal('refresh_token')),
  client_id: PublicClientId,
  refresh_token: Type.Optional(TokenParam),
  refreshToken: Type.Optional(TokenParam),
});
const ExchangeBody = BodyObject({
  grant_type: Type.Literal('urn:ietf:params:oauth:grant-type:token-exchange'),
  client_id: PublicClientId,
  subject_token: TokenParam,
  subject_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  actor_token: Type.Optional(TokenParam),
  actor_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  scope: Type.Optional(Type.String({ maxLength: 2000 })),
  requested_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  audience: Type.Optional(Type.String({ maxLength: 256 })),
  resource: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** Already JSON text (see IntrospectionService.introspect): sent as is. */
function sendIntrospection(reply: FastifyReply, json: string): void {
  reply.headers(INTROSPECTION_HEADERS).send(json);
}

export interface ProtocolRouteOptions {
  introspection: IntrospectionService;
  revocation: RevocationService;
  refresh: RefreshService;
  exchange: TokenExchangeService;
  dpop: DpopProofs;
}

export const protocolRoutes: FastifyPluginAsyncTypebox<ProtocolRouteOptions> = async (
  app,
  { introspection, revocation, refresh, exchange, dpop },
) => {
  app.post(
    '/token/introspect',
    {
      schema: {
        tags: ['token protocol'],
        summary:
          'RFC 7662 introspection (caller must be authenticated): {active:false} for anything not active.',
        body: IntrospectBody,
        response: {
          200: Type.Object({ active: Type.Boolean() }, { additionalProperties: true }),
          ...errors(400, 401),
        },
      },
    },
    // Not async: an answer the caches hold is sent without a promise.
    (request, reply) => {
      caller(request);
      const answer = introspection.introspect(request.body.token);
      if (typeof answer === 'string') sendIntrospection(reply, answer);
      else return answer.then((json) => sendIntrospection(reply, json));
    },
  );

  app.post(
    '/token/revoke',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['token protocol'],
        summary:
          'RFC 7009 revocation: 200 whether or not the token was known. Holding a token is the right to revoke it.',
        body: IntrospectBody,
        response: { 200: Type.Object({}), ...errors(400) },
      },
    },
    async (request) => {
      await revocation.revoke(request.principal, request.body.token, meta(request));
      return {};
    },
  );

  app.post(
    '/token/refresh',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['token protocol'],
        summary:
          'Exchanges a refresh token for a new access token and a new refresh token (rotation). Reusing a spent refresh token revokes its whole family.',
        body: RefreshBody,
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.String(),
            expires_in: Type.Integer(),
            refresh_token: Type.String(),
            accessToken: Type.String(),
            refreshToken: Type.String(),
            tokenExpiryTimestamp: Type.Integer(),
            refreshTokenExpiryTimestamp: Type.Integer(),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const value = b.refresh_token ?? b.refreshToken;
      if (!value) throw new AppError('invalid_request', 'refresh_token is required.');
      reply.header('cache-control', 'no-store');
      const jkt = await tokenEndpointProof(request, reply, dpop);
      return refresh.refresh(value, meta(request), jkt);
    },
  );

  app.post(
    '/token/exchange',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['token protocol'],
        summary:
          'RFC 8693 token exchange: an app (the caller, or actor_token) obtains a short-lived, down-scoped access token for the user whose token is subject_token. scope: role names and/or permissions.',
        body: ExchangeBody,
        response: {
          200: Type.Object({
            access_token: Type.String(),
            issued_token_type: Type.String(),
            token_type: Type.String(),
            expires_in: Type.Integer(),
            scope: Type.String(),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const actor = b.actor_token ? await exchange.actorFrom(b.actor_token) : request.principal;
      reply.header('cache-control', 'no-store');
      const jkt = await tokenEndpointProof(request, reply, dpop);
      return exchange.exchange(
        actor,
        {
          subjectToken: b.subject_token,
          ...(b.subject_token_type ? { subjectTokenType: b.subject_token_type } : {}),
          ...(b.scope ? { scope: b.scope } : {}),
        },
        meta(request),
        jkt,
      );
    },
  );
};
