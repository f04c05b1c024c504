import Fastify5 from 'fastify';
import Fastify4 from 'fastify4';
import { requirePermission, requireRole, tokenward } from './fastify.js';
import { callerView, describeMiddleware, type StartApp } from './test-helpers/middleware-suite.js';

// The peer range is fastify >=4.28: the same suite runs on both majors.
function startFastify(Fastify: typeof Fastify5): StartApp {
  return async (options) => {
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
  };
}

describeMiddleware('Fastify 5', startFastify(Fastify5));
// Fastify 4's declarations differ from 5's in places the plugin does not use (its hook and
// decorator are the same calls): the app is driven through 5's types.
describeMiddleware('Fastify 4', startFastify(Fastify4 as unknown as typeof Fastify5));
