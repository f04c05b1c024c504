import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors } from '../schemas/common.js';
import { CreateRoleBody, RoleParams, UpdateRoleBody } from '../schemas/identity.js';
import type { RoleService } from '../services/role.service.js';
import { meta } from './meta.js';

export interface RoleRouteOptions {
  roleAdmin: RoleService;
}

export const roleRoutes: FastifyPluginAsyncTypebox<RoleRouteOptions> = async (app, { roleAdmin }) => {
  app.get(
    '/role',
    {
      schema: {
        tags: ['roles'],
        operationId: 'listRoles',
        summary: 'Lists built-in and custom roles (identities:read).',
        response: { 200: Type.Array(Type.Ref('Role')), ...errors(401, 403) },
      },
    },
    async (request) => roleAdmin.list(caller(request)),
  );

  app.post(
    '/role',
    {
      schema: {
        tags: ['roles'],
        operationId: 'createRole',
        summary: 'Creates a custom role (roles:write).',
        body: CreateRoleBody,
        response: { 201: Type.Ref('Role'), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const role = await roleAdmin.create(caller(request), request.body, meta(request));
      return reply.code(201).send(role);
    },
  );

  app.get(
    '/role/:name',
    {
      schema: {
        tags: ['roles'],
        operationId: 'getRole',
        summary: 'One role (identities:read).',
        params: RoleParams,
        response: { 200: Type.Ref('Role'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => roleAdmin.get(caller(request), request.params.name),
  );

  app.put(
    '/role/:name',
    {
      schema: {
        tags: ['roles'],
        operationId: 'updateRole',
        summary: 'Changes a custom role (roles:write); built-ins are read-only.',
        params: RoleParams,
        body: UpdateRoleBody,
        response: { 200: Type.Ref('Role'), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => roleAdmin.update(caller(request), request.params.name, request.body, meta(request)),
  );

  app.delete(
    '/role/:name',
    {
      schema: {
        tags: ['roles'],
        operationId: 'deleteRole',
        summary: 'Deletes a custom role that nobody holds (roles:write).',
        params: RoleParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await roleAdmin.remove(caller(request), request.params.name, meta(request));
      return reply.code(204).send(null);
    },
  );
};
