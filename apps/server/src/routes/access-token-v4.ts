import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { tokenEndpointProof } from '../plugins/dpop-request.js';
import { canonicalFields, rewriteInput } from '../plugins/validation.js';
import { BodyObject, errors, IdParams, Pagination } from '../schemas/common.js';
import { TokenViewSchema } from '../schemas/token.js';
import { type AccessTokenV4Service, TOKEN_TYPES } from '../services/access-token-v4.service.js';
import type { DpopProofs } from '../services/dpop.js';
import { meta } from './meta.js';

const Body = BodyObject({
  tokenName: Type.String({ minLength: 1, maxLength: 128 }),
  tokenType: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 16, description: `${TOKEN_TYPES.join(', ')} (case-insensitive)` }),
      Type.Integer({
        minimum: 0,
        maximum: 4,
        description: '0 DEFAULT, 1 MS_SCIM, 2 ALL, 3 CUSTOM, 4 OneTouch',
      }),
    ]),
  ),
  renewableUntilTimestamp: Type.Optional(Type.Integer({ minimum: 0, maximum: 253402300799 })),
  apiEndpoints: Type.Optional(Type.Array(Type.String({ maxLength: 600 }), { maxItems: 100 })),
  tokenExpiryTimestamp: Type.Optional(Type.Integer({ minimum: 0, maximum: 253402300799 })),
});

const V4_FIELDS = Object.keys(Body.properties);

const ErrorPart = Type.Object({ errorMessage: Type.String(), errorCode: Type.Integer() });
const TokenInfo = Type.Object({
  accessTokenId: Type.Integer(),
  tokenName: Type.String(),
  userId: Type.Integer(),
  tokenExpiryTimestamp: Type.Integer(),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  refreshTokenExpiryTimestamp: Type.Integer(),
  renewableUntilTimestamp: Type.Integer(),
});

/** One grant in the v4 list: the token view of its family's root, with seed 004's names beside it. */
const AccessTokenListItem = Type.Object({
  accessTokenId: Type.Integer(),
  tokenName: Type.String(),
  tokenType: Type.String({ description: TOKEN_TYPES.join(', ') }),
  userId: Type.Integer(),
  ...TokenViewSchema.properties,
});
const AccessTokenList = Type.Object({
  items: Type.Array(AccessTokenListItem),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** Seed 004: the access-token API, at `/api/v4/accesstoken` (matched case-insensitively). */
export interface AccessTokenV4RouteOptions {
  accessTokens: AccessTokenV4Service;
  dpop: DpopProofs;
}

export const accessTokenV4Routes: FastifyPluginAsyncTypebox<AccessTokenV4RouteOptions> = async (
  app,
  { accessTokens, dpop },
) => {
  app.post(
    '/api/v4/accesstoken',
    {
      schema: {
        tags: ['access tokens (seed 004)'],
        operationId: 'createAccessToken',
        summary:
          'Creates an access token for the caller. Also at /api/V4/AccessToken and /commandcenter/api/V4/AccessToken. Timestamps are epoch seconds.',
        body: Body,
        response: { 200: Type.Object({ error: ErrorPart, tokenInfo: TokenInfo }), ...errors(400, 401, 403) },
      },
      // Seed 004's fields, in any case (`TokenName` from .NET clients): a compatibility route.
      preValidation: rewriteInput({ body: (body) => canonicalFields(body, V4_FIELDS) }),
    },
    async (request, reply) => {
      // A DPoP proof binds the tokens made here as at the token endpoint (RFC 9449 §5).
      const jkt = await tokenEndpointProof(request, reply, dpop);
      const tokenInfo = await accessTokens.createAccessToken(
        caller(request),
        request.body,
        meta(request),
        jkt,
      );
      return { error: { errorMessage: '', errorCode: 0 }, tokenInfo };
    },
  );

  app.get(
    '/api/v4/accesstoken',
    {
      schema: {
        tags: ['access tokens (seed 004)'],
        operationId: 'listAccessTokens',
        summary: 'Your access tokens: one entry per grant (with its rotating refresh token family).',
        querystring: Type.Object(Pagination),
        response: { 200: AccessTokenList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      return accessTokens.listAccessTokens(caller(request), {
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
    },
  );

  app.delete(
    '/api/v4/accesstoken/:id',
    {
      schema: {
        tags: ['access tokens (seed 004)'],
        operationId: 'deleteAccessToken',
        summary: 'Deletes (revokes) one of your access tokens with its refresh tokens.',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await accessTokens.deleteAccessToken(caller(request), Number(request.params.id), meta(request));
      return reply.code(204).send(null);
    },
  );
};
