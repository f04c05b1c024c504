import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

/** Longest /readyz waits for the store. */
const READY_TIMEOUT_MS = 2000;

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
        summary: 'Readiness: the store is reachable and its schema is the one this build knows.',
        response: {
          200: Type.Object({ status: Type.String(), store: Type.String() }),
          503: Type.Object({ status: Type.String(), store: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const store = app.tw.store;
      let timer: NodeJS.Timeout | undefined;
      try {
        // Not ready while the store is unreachable, or its schema is missing a table or a
        // migration of this build (dropped, restored from an older backup, not migrated yet).
        const ready = await Promise.race([
          store.schemaReady(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('store did not answer within 2 s')), READY_TIMEOUT_MS);
          }),
        ]);
        if (ready) return { status: 'ready', store: store.dialect };
        request.log.warn('not ready: the store schema is not at the latest migration of this build');
      } catch (err) {
        request.log.warn({ err }, 'not ready: the store is not reachable');
      } finally {
        clearTimeout(timer);
      }
      return reply.code(503).send({ status: 'not_ready', store: store.dialect });
    },
  );

  app.get('/api/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
