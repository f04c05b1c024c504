import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTokenward } from './fetch.js';
import { requirePermission, requireRole } from './guards.js';
import { callerView, describeMiddleware } from './test-helpers/middleware-suite.js';
import { TokenwardVerifier } from './verifier.js';

/** Serves a fetch-style handler over node:http (what Bun, Deno or a Hono adapter would do). */
function serveFetch(handler: (req: Request) => Promise<Response>) {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await handler(new Request(`http://local${req.url}`, { method: req.method, headers }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

describeMiddleware('fetch-style handler', async (options) => {
  const verifier = new TokenwardVerifier(options);
  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    'GET /invoices': withTokenward(
      verifier,
      async (_req, auth) => json(callerView(auth)),
      requirePermission('billing:read'),
    ),
    'POST /invoices': withTokenward(
      verifier,
      async () => json({ created: true }, 201),
      requirePermission('billing:write'),
    ),
    'GET /books': withTokenward(
      verifier,
      async (_req, auth) => json(callerView(auth)),
      requireRole('BillingClerk'),
    ),
    'GET /public': async () => json({ ok: true }),
  };
  const server = serveFetch(async (req) => {
    const route = routes[`${req.method} ${new URL(req.url).pathname}`];
    return route
      ? route(req)
      : json({ errorCode: 4001, errorMessage: 'No such route.', code: 'route_not_found' }, 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
