import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  freshStore,
  http,
  makeIdentity,
  type StoreHandle,
  startApp,
  type TestServer,
} from './helpers.js';

/** Polls until `check` is true or the deadline passes; returns the elapsed milliseconds. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

const pg = process.env.TOKENWARD_TEST_DATABASE_URL;

describe.skipIf(!pg)('two instances sharing one PostgreSQL', () => {
  let store: StoreHandle;
  let a: TestServer;
  let b: TestServer;
  let admin: string;

  beforeAll(async () => {
    store = freshStore('postgres');
    a = await startApp(store);
    b = await startApp(store);
    admin = await adminToken(a.url);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await store?.drop();
  });

  it('a revocation made through one instance is refused by the other within one second', async () => {
    const granted = await http(a.url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: {} });
    const token = granted.body.token as string;
    // Warm the other instance's cache so only an invalidation can make it refuse.
    expect((await http(b.url, 'GET', '/api/v1/identity', { token })).status).toBe(200);
    expect((await http(b.url, 'GET', '/api/v1/identity', { token })).status).toBe(200);
    const revoked = await http(a.url, 'DELETE', `/api/v1/apptoken/${granted.body.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    await within(1000, async () => (await http(b.url, 'GET', '/api/v1/identity', { token })).status === 401);
  });

  it('a demotion made through one instance takes the power away on the other within one second', async () => {
    const op = await makeIdentity(a.url, admin, 'soon-reader', ['Operator', 'Reader']);
    const own = await http(b.url, 'POST', '/api/v1/apptoken/grant', { token: op.token, json: {} });
    expect(own.status).toBe(200);
    const demote = await http(a.url, 'PUT', `/api/v1/identity/${op.id}`, {
      token: admin,
      json: { roles: ['Reader'] },
    });
    expect(demote.status).toBe(200);
    await within(
      1000,
      async () =>
        (await http(b.url, 'POST', '/api/v1/apptoken/grant', { token: op.token, json: {} })).status === 403,
    );
  });

  it('disabling an identity on one instance refuses its tokens on the other within one second', async () => {
    const user = await makeIdentity(a.url, admin, 'to-disable', ['Reader']);
    expect((await http(b.url, 'GET', '/api/v1/identity', { token: user.token })).status).toBe(200);
    await http(a.url, 'PUT', `/api/v1/identity/${user.id}`, { token: admin, json: { enabled: false } });
    await within(
      1000,
      async () => (await http(b.url, 'GET', '/api/v1/identity', { token: user.token })).status === 401,
    );
  });

  it('a custom role changed on one instance changes permissions on the other within one second', async () => {
    const role = await http(a.url, 'POST', '/api/v1/role', {
      token: admin,
      json: { name: 'Auditor', permissions: ['audit:read'] },
    });
    expect(role.status).toBe(201);
    const user = await makeIdentity(a.url, admin, 'auditor', ['Auditor']);
    expect((await http(b.url, 'GET', '/api/v1/audit', { token: user.token })).status).toBe(200);
    await http(a.url, 'PUT', '/api/v1/role/Auditor', {
      token: admin,
      json: { permissions: ['billing:read'] },
    });
    await within(
      1000,
      async () => (await http(b.url, 'GET', '/api/v1/audit', { token: user.token })).status === 403,
    );
  });
});
