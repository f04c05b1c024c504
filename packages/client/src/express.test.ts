import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import { requirePermission, requireRole, tokenward } from './express.js';
import { callerView, describeMiddleware, type StartApp } from './test-helpers/middleware-suite.js';

// The peer range is express >=4.21: the same suite runs on both majors.
function startExpress(express: typeof express5): StartApp {
  return async (options) => {
    const app = express();
    app.get('/public', (_req, res) => {
      res.json({ ok: true });
    });
    app.use(tokenward(options));
    app.get('/invoices', requirePermission('billing:read'), (req, res) => {
      res.json(callerView(req.tokenward!));
    });
    app.post('/invoices', requirePermission('billing:write'), (_req, res) => {
      res.status(201).json({ created: true });
    });
    app.get('/books', requireRole('BillingClerk'), (req, res) => {
      res.json(callerView(req.tokenward!));
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  };
}

describeMiddleware('Express 5', startExpress(express5));
// express4's own API is what the middleware uses (req.headers, req.method, req.originalUrl,
// res.status().json(), next): typed with Express 5's declarations, which are a superset here.
describeMiddleware('Express 4', startExpress(express4));
