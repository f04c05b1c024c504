import Fastify from 'fastify';
import { requirePermission, requireRole, tokenward } from './fastify.js';
import { callerView, describeMiddleware } from './test-helpers/middleware-suite.js';

describeMiddleware('Fastify', async (options) => {
  const app = Fastify();
  await app.register(tokenward, options);
  app.get('/invoices', { preHandler: requirePermission('billing:read') }, async (request) =>
    callerView(request.tokenward!),
  );
  app.post('/invoices', { preHandler: requirePermission('billing:write') }, async (_request, reply) =>
    reply.code(201).send({ created: true }),
  );
  app.get('/books', { preHandler: requireRole('BillingClerk') }, async (request) =>
    callerView(request.tokenward!),
  );
  app.get('/public', { config: { tokenward: false } }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
});
