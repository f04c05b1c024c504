import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@tokenward/core';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { INTROSPECTION_HEADERS } from '../plugins/fast-paths.js';
import { BodyObject, errors, FORM_OR_JSON } from '../schemas/common.js';
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
const RefreshBody = BodyObject({
  grant_type: Type.Optional(Type.Literal('refresh_token')),
  refresh_token: Type.Optional(TokenParam),
  refreshToken: Type.Optional(TokenParam),
});
const ExchangeBody = BodyObject({
  grant_type: Type.Literal('urn:ietf:params:oauth:grant-type:token-exchange'),
  subject_token: TokenParam,
  subject_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  actor_token: Type.Optional(TokenParam),
  actor_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  scope: Type.Optional(Type.String({ maxLength: 2000 })),
  requested_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  audience: Type.Optional(Type.String({ maxLength: 256 })),
  resource: Type.Optional(Type.String({ maxLength: 1024 })),
});

const StringList = Type.Array(Type.String());
/** RFC 7662 §2.2 members, then Tokenward's own (IntrospectionService.introspection). */
const IntrospectionAnswer = Type.Object(
  {
    active: Type.Boolean(),
    scope: Type.Optional(
      Type.String({
        description: 'Space-separated: the scopes it was narrowed to, else the roles it holds.',
      }),
    ),
    client_id: Type.Optional(Type.String({ description: 'Name of the identity whose client obtained it.' })),
    username: Type.Optional(Type.String()),
    token_type: Type.Optional(Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')])),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    nbf: Type.Optional(Type.Integer()),
    sub: Type.Optional(Type.String()),
    aud: Type.Optional(Type.String()),
    iss: Type.Optional(Type.String()),
    jti: Type.Optional(Type.String({ description: "An access JWT's own jti." })),
    act: Type.Optional(
      Type.Object(
        { sub: Type.String(), name: Type.Optional(Type.String()) },
        {
          additionalProperties: true,
          description: 'RFC 8693 §4.1: the acting party, earlier actors nested.',
        },
      ),
    ),
    cnf: Type.Optional(Type.Object({ jkt: Type.String() }, { additionalProperties: true })),
    kind: Type.Optional(
      Type.Union([
        Type.Literal('app'),
        Type.Literal('personal'),
        Type.Literal('access'),
        Type.Literal('refresh'),
      ]),
    ),
    token_id: Type.Optional(Type.Integer({ description: "The token's id in Tokenward." })),
    roles: Type.Optional(StringList),
    permissions: Type.Optional(StringList),
    grants: Type.Optional(StringList),
    api_endpoints: Type.Optional(StringList),
    tid: Type.Optional(Type.Integer({ description: 'Id of the token this one was minted by.' })),
    token_subtype: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Already JSON text (see IntrospectionService.introspect): sent as is. */
function sendIntrospection(reply: FastifyReply, json: string): void {
  reply.headers(INTROSPECTION_HEADERS).send(json);
}

export interface ProtocolRouteOptions {
  introspection: IntrospectionService;
  revocation: RevocationService;
  refresh: RefreshService;
  exchange: TokenExchangeService;
}

export const protocolRoutes: FastifyPluginAsyncTypebox<ProtocolRouteOptions> = async (
  app,
  { introspection, revocation, refresh, exchange },
) => {
  app.post(
    '/token/introspect',
    {
      schema: {
        tags: ['token protocol'],
        operationId: 'introspectToken',
        consumes: FORM_OR_JSON,
        summary:
          'RFC 7662 introspection (caller must be authenticated): {active:false} for anything not active.',
        body: IntrospectBody,
        response: {
          200: IntrospectionAnswer,
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
        operationId: 'revokeToken',
        consumes: FORM_OR_JSON,
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
        operationId: 'refreshToken',
        consumes: FORM_OR_JSON,
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
      return refresh.refresh(value, meta(request));
    },
  );

  app.post(
    '/token/exchange',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['token protocol'],
        operationId: 'exchangeToken',
        consumes: FORM_OR_JSON,
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
      return exchange.exchange(
        actor,
        {
          subjectToken: b.subject_token,
          ...(b.subject_token_type ? { subjectTokenType: b.subject_token_type } : {}),
          ...(b.scope ? { scope: b.scope } : {}),
          audience: b.audience,
          resource: b.resource,
          requestedTokenType: b.requested_token_type,
        },
        meta(request),
      );
    },
  );
};
