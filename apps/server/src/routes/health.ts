import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['operations'],
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
        summary: 'Readiness: the store is reachable.',
        response: {
          200: Type.Object({ status: Type.String(), store: Type.String() }),
          503: Type.Object({ status: Type.String(), store: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await Promise.race([
          app.tw.store.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
        ]);
        return { status: 'ready', store: app.tw.store.dialect };
      } catch {
        return reply.code(503).send({ status: 'not_ready', store: app.tw.store.dialect });
      }
    },
  );

  app.get('/api/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
