import type { AddressInfo } from 'node:net';
import { TokenwardClient } from '@tokenward/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freshStore, startServer, type TestServer } from '../../../apps/server/test/helpers.js';
import { buildBillingApi } from './app.js';

// The example as its README runs it: roles and identities set up through the API, the billing
// API started beside Tokenward with a service token, then called with each person's token.
describe('examples/billing-api beside a real Tokenward', () => {
  let tw: TestServer;
  let api: import('node:http').Server;
  let base: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    tw = await startServer(freshStore('sqlite'));
    const admin = new TokenwardClient({ baseUrl: tw.url, token: await adminToken(tw.url) });
    await admin.roles.create({ name: 'BillingViewer', permissions: ['billing:read'] });
    await admin.roles.create({ name: 'BillingClerk', permissions: ['billing:read', 'billing:write'] });
    await admin.roles.create({ name: 'BillingAdmin', permissions: ['billing:*'] });
    for (const [name, roles] of [
      ['billing-api', ['Reader']],
      ['vera', ['BillingViewer']],
      ['carl', ['BillingClerk']],
      ['ada', ['BillingAdmin']],
      ['otto', ['Operator']],
    ] as const) {
      const identity = await admin.identities.create({ name, roles: [...roles] });
      tokens[name] = (await admin.appTokens.grant({}, identity.id)).token;
    }
    api = buildBillingApi({ baseUrl: tw.url, token: tokens['billing-api']! }).listen(0, '127.0.0.1');
    await new Promise((resolve) => api.once('listening', resolve));
    base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await tw?.close();
  });

  const call = async (who: string | null, method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (who) headers.authorization = `Bearer ${tokens[who]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('custom roles decide who may read, write, refund and see the report', async () => {
    expect((await call(null, 'GET', '/health')).status).toBe(200);
    expect((await call(null, 'GET', '/invoices')).status).toBe(401);
    expect((await call('vera', 'GET', '/invoices')).status).toBe(200);
    const denied = await call('vera', 'POST', '/invoices', { customer: 'Initech', amountCents: 500 });
    expect(denied).toMatchObject({ status: 403, body: { code: 'permission_denied', errorCode: 3000 } });
    const created = await call('carl', 'POST', '/invoices', { customer: 'Initech', amountCents: 500 });
    expect(created).toMatchObject({ status: 201, body: { createdBy: 'carl' } });
    expect((await call('carl', 'POST', `/invoices/${created.body.id}/refund`)).status).toBe(403);
    expect((await call('ada', 'POST', `/invoices/${created.body.id}/refund`)).body.status).toBe('refunded');
    expect((await call('carl', 'GET', '/reports/revenue')).status).toBe(403);
    expect((await call('ada', 'GET', '/reports/revenue')).body).toEqual({ totalCents: 12_000, invoices: 2 });
  });

  it("built-in Operator reaches every custom permission (custom:*) but not a custom role's route", async () => {
    expect((await call('otto', 'POST', '/invoices', { customer: 'Hooli', amountCents: 1 })).status).toBe(201);
    expect((await call('otto', 'GET', '/reports/revenue')).status).toBe(403);
  });
});
