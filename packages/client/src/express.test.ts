import type { AddressInfo } from 'node:net';
import express from 'express';
import { requirePermission, requireRole, tokenward } from './express.js';
import { callerView, describeMiddleware } from './test-helpers/middleware-suite.js';

describeMiddleware('Express', async (options) => {
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
});
