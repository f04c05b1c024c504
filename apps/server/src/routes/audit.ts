import { AppError, parseDateInput } from '@tokenward/core';
import { listAuditEvents } from '@tokenward/store';
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors, Pagination } from '../schemas/common.js';

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

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
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
      caller(request).authority.require('audit:read');
      const q = request.query as Static<typeof AuditQuery>;
      const date = (v: string | undefined, field: string) => {
        if (v === undefined) return undefined;
        const ms = parseDateInput(v);
        if (ms === null) throw new AppError('invalid_date', `"${field}" is not a valid date.`);
        return ms;
      };
      const sinceMs = date(q.since, 'since');
      const untilMs = date(q.until, 'until');
      const limit = q.limit ?? 50;
      const offset = q.offset ?? 0;
      const { rows, total } = await listAuditEvents(app.tw.store.db, {
        ...(q.actor === undefined ? {} : { actor: q.actor }),
        ...(q.action === undefined ? {} : { action: q.action }),
        ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
        ...(q.targetType === undefined ? {} : { targetType: q.targetType }),
        ...(q.targetId === undefined ? {} : { targetId: q.targetId }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
        ...(untilMs === undefined ? {} : { untilMs }),
        limit,
        offset,
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          at: new Date(r.at_ms).toISOString(),
          actor: { id: r.actor_id, name: r.actor_name },
          action: r.action,
          outcome: r.outcome,
          targetType: r.target_type,
          targetId: r.target_id,
          ip: r.ip,
          details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
        })),
        total,
        limit,
        offset,
      };
    },
  );
}
