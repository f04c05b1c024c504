import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type SignedIn,
  type StoreHandle,
  signIn,
  startServer,
  type TestServer,
} from './helpers.js';
import { fakeClock, grantTo, iso } from './test-kit.js';

/**
 * State lives in the store, not in the process: a server stopped and started again on the same
 * store keeps every token, revocation, session and usage record.
 */
for (const dialect of DIALECTS) {
  describe(`a restart on the same store [${dialect}]`, () => {
    const clock = fakeClock();
    let store: StoreHandle;
    let first: TestServer;
    let second: TestServer;
    let admin: string;
    let live: { id: number; token: string };
    let revoked: { id: number; token: string };
    let session: SignedIn;
    let usedAtMs: number;
    let listBefore: unknown;

    const strip = (items: Array<Record<string, unknown>>) =>
      items.map(({ lastUsed: _l, useCount: _u, ...t }) => t);

    beforeAll(async () => {
      store = freshStore(dialect);
      // A flush interval far beyond the test: only the flush on close can write usage.
      first = await startServer(store, { clock: clock.clock, config: { usageFlushSeconds: 3600 } });
      admin = await adminToken(first.url);
      live = await grantTo(first.url, admin, 1, { name: 'survivor' });
      revoked = await grantTo(first.url, admin, 1, { name: 'revoked' });
      expect((await http(first.url, 'GET', '/api/v1/me', { token: revoked.token })).status).toBe(200);
      expect(
        (await http(first.url, 'DELETE', `/api/v1/apptoken/${revoked.id}`, { token: admin })).status,
      ).toBe(200);
      session = await signIn(first.url, 'admin', ADMIN_PASSWORD);

      clock.advance(60_000);
      usedAtMs = clock.now();
      for (let i = 0; i < 3; i++) {
        expect((await http(first.url, 'GET', '/api/v1/me', { token: live.token })).status).toBe(200);
      }
      clock.advance(60_000);
      const list = await http(first.url, 'GET', '/api/v1/apptoken?kind=all&limit=500', { token: admin });
      listBefore = strip(list.body.items);

      // Graceful stop (not close: the store stays), then a new process-equivalent on the same store.
      await first.stop();
      second = await startServer(store, { clock: clock.clock });
    });
    afterAll(async () => {
      await first?.stop();
      await second?.close();
    });

    it('the first server is really gone', async () => {
      await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();
    });

    // First, before this server's own use of the token adds a fresher pending lastUsed.
    it('lastUsed and the use count written by the usage batcher survive a graceful stop', async () => {
      const view = await http(second.url, 'GET', `/api/v1/apptoken/${live.id}`, { token: admin });
      expect(view.status).toBe(200);
      expect(view.body.lastUsed).toBe(iso(usedAtMs));
      expect(view.body.useCount).toBe(3);
    });

    it('a valid token still works after the restart', async () => {
      const res = await http(second.url, 'GET', '/api/v1/me', { token: live.token });
      expect(res.status, res.text).toBe(200);
      expect(res.body.tokenId).toBe(live.id);
    });

    it('a revoked token stays revoked after the restart', async () => {
      const res = await http(second.url, 'GET', '/api/v1/me', { token: revoked.token });
      expect(res.status).toBe(401);
      const view = await http(second.url, 'GET', `/api/v1/apptoken/${revoked.id}`, { token: admin });
      expect(view.body).toMatchObject({ revoked: true, status: 'Revoked' });
    });

    it('a session survives the restart, CSRF token included', async () => {
      expect((await http(second.url, 'GET', '/api/v1/me', { cookie: session.cookie })).status).toBe(200);
      const write = await http(second.url, 'PATCH', `/api/v1/apptoken/${live.id}`, {
        cookie: session.cookie,
        headers: { 'x-csrf-token': session.csrf },
        json: { description: 'changed after restart' },
      });
      expect(write.status, write.text).toBe(200);
    });

    it('every token reads the same after the restart', async () => {
      const list = await http(second.url, 'GET', '/api/v1/apptoken?kind=all&limit=500', { token: admin });
      const after = strip(list.body.items).map((t) => (t.id === live.id ? { ...t, description: '' } : t));
      expect(after).toEqual(listBefore);
    });

    it('the restart neither re-creates the admin nor changes its password', async () => {
      const ids = await http(second.url, 'GET', '/api/v1/identity?search=admin', { token: admin });
      expect(ids.body.total).toBe(1);
      expect((await signIn(second.url, 'admin', ADMIN_PASSWORD)).csrf).toBeTruthy();
      const fresh = await adminToken(second.url);
      expect(fresh).not.toBe(admin);
    });
  });
}
