import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors, Pagination } from '../schemas/common.js';
import type { AuditService } from '../services/audit.service.js';

const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 128, description: 'Actor name or id.' })),
  action: Type.Optional(
    Type.String({ maxLength: 64, description: 'Exact action, or a prefix ending in * (token.*).' }),
  ),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  targetType: Type.Optional(Type.String({ maxLength: 32 })),
  targetId: Type.Optional(Type.String({ maxLength: 64 })),
  since: Type.Optional(Type.String({ maxLength: 64 })),
  until: Type.Optional(Type.String({ maxLength: 64 })),
  ...Pagination,
});

const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    id: Type.Union([Type.Integer(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
  }),
  action: Type.String(),
  outcome: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

export interface AuditRouteOptions {
  audit: AuditService;
}

export const auditRoutes: FastifyPluginAsyncTypebox<AuditRouteOptions> = async (app, { audit }) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'The audit log, newest first (audit:read). Never contains token values.',
        querystring: AuditQuery,
        response: {
          200: Type.Object({
            items: Type.Array(AuditEventSchema),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, offset, ...q } = request.query;
      return audit.list(caller(request), { ...q, limit: limit ?? 50, offset: offset ?? 0 });
    },
  );
};
