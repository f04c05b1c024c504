import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors, IdParams } from '../schemas/common.js';
import {
  CreateIdentityBody,
  IdentityListQuery,
  IdentityListSchema,
  UpdateIdentityBody,
} from '../schemas/identity.js';
import type { IdentityService } from '../services/identity.service.js';
import { meta } from './meta.js';

export interface IdentityRouteOptions {
  identities: IdentityService;
}

export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRouteOptions> = async (
  app,
  { identities },
) => {
  app.get(
    '/identity',
    {
      schema: {
        tags: ['identities'],
        operationId: 'listIdentities',
        summary: 'Lists identities (identities:read).',
        querystring: IdentityListQuery,
        response: { 200: IdentityListSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      return identities.list(caller(request), {
        ...(q.search ? { search: q.search } : {}),
        ...(q.role ? { role: q.role } : {}),
        ...(q.enabled === undefined ? {} : { enabled: q.enabled }),
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
    },
  );

  app.post(
    '/identity',
    {
      schema: {
        tags: ['identities'],
        operationId: 'createIdentity',
        summary: 'Creates an identity (identities:write).',
        body: CreateIdentityBody,
        response: { 201: Type.Ref('Identity'), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const view = await identities.create(caller(request), request.body, meta(request));
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/identity/:id',
    {
      schema: {
        tags: ['identities'],
        operationId: 'getIdentity',
        summary: 'One identity (your own, or any with identities:read).',
        params: IdParams,
        response: { 200: Type.Ref('Identity'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => identities.get(caller(request), Number(request.params.id)),
  );

  app.put(
    '/identity/:id',
    {
      schema: {
        tags: ['identities'],
        operationId: 'updateIdentity',
        summary: 'Changes an identity: fields given are replaced (identities:write).',
        params: IdParams,
        body: UpdateIdentityBody,
        response: { 200: Type.Ref('Identity'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      identities.update(caller(request), Number(request.params.id), request.body, meta(request)),
  );

  app.delete(
    '/identity/:id',
    {
      schema: {
        tags: ['identities'],
        operationId: 'deleteIdentity',
        summary: 'Deletes an identity with its tokens and sessions (identities:write).',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await identities.remove(caller(request), Number(request.params.id), meta(request));
      return reply.code(204).send(null);
    },
  );
};
