import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Readiness } from '../services/readiness.js';

export interface HealthRouteOptions {
  readiness: Readiness;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { readiness }) => {
  app.get(
    '/healthz',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['operations'],
        operationId: 'getHealth',
        summary: 'Liveness: the process answers.',
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary: 'Readiness: the store is reachable and its schema is the one this build knows.',
        response: {
          200: Type.Object({ status: Type.String(), store: Type.String() }),
          503: Type.Object({ status: Type.String(), store: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const result = await readiness.check();
      if (result.ready) return { status: 'ready', store: result.store };
      if (result.reason === 'schema_behind')
        request.log.warn('not ready: the store schema is not at the latest migration of this build');
      else request.log.warn({ err: result.err }, 'not ready: the store is not reachable');
      return reply.code(503).send({ status: 'not_ready', store: result.store });
    },
  );

  app.get('/api/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
};
