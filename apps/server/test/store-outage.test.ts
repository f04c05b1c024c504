import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freshStore, http, type StoreHandle, startServer, type TestServer } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;

async function eventually(ms: number, check: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not true within ${ms} ms`);
}

describe.skipIf(!pgUrl)('PostgreSQL outage: fail closed, stay up, recover by itself', () => {
  let proxy: TcpProxy;
  let store: StoreHandle;
  let strict: TestServer;
  let lenient: TestServer;
  let admin: string;
  let cached: string;
  let uncached: string;

  beforeAll(async () => {
    const target = new URL(pgUrl!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    store = freshStore('postgres');
    const viaProxy = new URL(pgUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    if (store.config.dialect !== 'postgres') throw new Error('unreachable');
    store.config = { ...store.config, url: viaProxy.toString() };
    strict = await startServer(store);
    // The documented setting: cached verifications stay trusted for 60 s of outage.
    lenient = await startServer(store, { config: { outageGraceSeconds: 60 } });
    admin = await adminToken(strict.url);
    const grant = async () =>
      (await http(strict.url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: {} })).body
        .token as string;
    cached = await grant();
    uncached = await grant();
    for (const s of [strict, lenient])
      expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: cached })).status).toBe(204);
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await strict?.stop();
    await lenient?.stop();
    await store?.drop();
    await proxy?.cut();
  });

  it('during the outage nothing is accepted that could not be checked, nothing crashes, and /readyz says not ready', async () => {
    await proxy.cut();
    await eventually(5000, async () => (await http(strict.url, 'GET', '/readyz')).status === 503);
    // Default (grace 0): even a cached token is refused once invalidations may be missed.
    await eventually(
      5000,
      async () => (await http(strict.url, 'GET', '/api/v1/auth/verify', { token: cached })).status !== 204,
    );
    for (const s of [strict, lenient]) {
      for (const token of [
        uncached,
        'tw_app_unknownunknownunknownunknownunknownunknownxx',
        'some-foreign-token-value',
      ]) {
        const r = await http(s.url, 'GET', '/api/v1/auth/verify', { token });
        expect([401, 503], `${s === strict ? 'strict' : 'lenient'} ${r.status}`).toContain(r.status);
        expect(r.body).toHaveProperty('code');
      }
      expect((await http(s.url, 'GET', '/healthz')).status).toBe(200);
    }
    const r = await http(strict.url, 'GET', '/api/v1/auth/verify', { token: cached });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('store_unavailable');
    expect(r.headers.get('retry-after')).toBe('1');
    // With a grace period, a token verified before the outage keeps working.
    expect((await http(lenient.url, 'GET', '/api/v1/auth/verify', { token: cached })).status).toBe(204);
  });

  it('when the store returns, service resumes by itself', async () => {
    await proxy.restore();
    await eventually(15_000, async () => (await http(strict.url, 'GET', '/readyz')).status === 200);
    await eventually(
      15_000,
      async () => (await http(strict.url, 'GET', '/api/v1/auth/verify', { token: uncached })).status === 204,
    );
    expect((await http(strict.url, 'GET', '/api/v1/auth/verify', { token: cached })).status).toBe(204);
    expect((await http(lenient.url, 'GET', '/api/v1/auth/verify', { token: uncached })).status).toBe(204);
    // Revocations made after the outage reach the other instance again.
    const list = await http(strict.url, 'GET', '/api/v1/apptoken', { token: admin });
    const id = list.body.items.find((t: { hint: string }) => t.hint === cached.slice(-4)).id;
    await http(strict.url, 'DELETE', `/api/v1/apptoken/${id}`, { token: admin });
    await eventually(
      2000,
      async () => (await http(lenient.url, 'GET', '/api/v1/auth/verify', { token: cached })).status === 401,
    );
  });
});
