import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@tokenward/core';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { tokenEndpointProof } from '../plugins/dpop-request.js';
import { canonicalFields, rewriteInput } from '../plugins/validation.js';
import { BodyObject, DateInput, errors, FORM_OR_JSON, IdParams, Pagination } from '../schemas/common.js';
import { PatchTokenBody, StatusFilter, statusFilter, TokenListSchema } from '../schemas/token.js';
import type { DpopProofs } from '../services/dpop.js';
import type { PersonalTokenService } from '../services/personal-token.service.js';
import { meta } from './meta.js';

const CreateBody = BodyObject({
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  expiration: Type.Optional(DateInput),
});

const authFields = {
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  personalToken: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
};
const AuthBody = BodyObject(authFields);
const AuthQuery = Type.Object(authFields);
const AUTH_FIELDS = Object.keys(authFields);

export interface PersonalTokenRouteOptions {
  personalTokens: PersonalTokenService;
  /** RFC 9449 proofs: `/PersonalTokens/authenticate` binds its token to a proof's key. */
  dpop: DpopProofs;
}

export const personalTokenRoutes: FastifyPluginAsyncTypebox<PersonalTokenRouteOptions> = async (
  app,
  { personalTokens, dpop },
) => {
  app.get(
    '/PersonalTokens',
    {
      schema: {
        tags: ['personal tokens'],
        operationId: 'listPersonalTokens',
        summary: 'Your own personal access tokens (never their values).',
        querystring: Type.Object({ status: Type.Optional(StatusFilter), ...Pagination }),
        response: { 200: TokenListSchema, ...errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const status = statusFilter(q.status);
      return personalTokens.list(caller(request), {
        ...(status ? { status } : {}),
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
    },
  );

  app.post(
    '/PersonalTokens',
    {
      schema: {
        tags: ['personal tokens'],
        operationId: 'createPersonalToken',
        summary: 'Creates a personal access token; the value is in this response only.',
        body: CreateBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403) },
      },
    },
    async (request) => personalTokens.create(caller(request), request.body, meta(request)),
  );

  app.patch(
    '/PersonalTokens/:id',
    {
      schema: {
        tags: ['personal tokens'],
        operationId: 'updatePersonalToken',
        summary: 'Renames one of your personal tokens or changes its description.',
        params: IdParams,
        body: PatchTokenBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 404) },
      },
    },
    async (request) =>
      personalTokens.update(caller(request), Number(request.params.id), request.body, meta(request)),
  );

  app.delete(
    '/PersonalTokens/:id',
    {
      schema: {
        tags: ['personal tokens'],
        operationId: 'revokePersonalToken',
        summary: 'Revokes one of your personal tokens and every access token obtained with it.',
        params: IdParams,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 404) },
      },
    },
    async (request) => personalTokens.revoke(caller(request), Number(request.params.id), meta(request)),
  );

  app.post(
    '/PersonalTokens/authenticate',
    {
      config: { auth: 'none' },
      // Seed 003's parameters, in any case, in the query string or the body (a compatibility route).
      preValidation: rewriteInput({
        query: (query) => canonicalFields(query, AUTH_FIELDS, 'keep'),
        body: (body) => canonicalFields(body, AUTH_FIELDS),
      }),
      schema: {
        tags: ['personal tokens'],
        operationId: 'authenticatePersonalToken',
        consumes: FORM_OR_JSON,
        summary:
          'Exchanges a username (or email) and personal token for a short-lived bearer token (seed 003). Parameters in the query string, a JSON body or a form body.',
        querystring: AuthQuery,
        body: AuthBody,
        response: {
          200: Type.Object({
            token: Type.String(),
            user: Type.Object({
              userId: Type.String(),
              email: Type.Union([Type.String(), Type.Null()]),
              firstName: Type.Union([Type.String(), Type.Null()]),
              lastName: Type.Union([Type.String(), Type.Null()]),
              fullName: Type.String(),
              enabled: Type.Boolean(),
            }),
            tokenExpires: Type.String({ format: 'date-time' }),
          }),
          ...errors(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const b = request.body ?? {};
      const username = q.username ?? b.username;
      const personalToken = q.personalToken ?? b.personalToken;
      if (!username || !personalToken)
        throw new AppError('invalid_request', 'username and personalToken are required.');
      const jkt = await tokenEndpointProof(request, reply, dpop);
      return personalTokens.authenticate(username, personalToken, meta(request), jkt);
    },
  );
};
