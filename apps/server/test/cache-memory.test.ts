import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startApp, type TestServer } from './helpers.js';

/*
 * The verify caches are bounded by size, but memory should follow the tokens in recent use:
 * an entry past its TTL is dropped by a periodic purge, not kept until the cache is full
 * (every grant, exchange and refresh presents a token that may never be seen again).
 */
for (const dialect of DIALECTS) {
  describe(`verify cache memory on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startApp(freshStore(dialect), { config: { cacheTtlSeconds: 1 } });
    });
    afterAll(async () => {
      await s.close();
    });

    it('entries past the TTL are purged without being read again', async () => {
      const admin = await adminToken(s.url);
      for (let i = 0; i < 20; i++) {
        const granted = await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: {} });
        expect(granted.status).toBe(200);
        expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: granted.body.token })).status).toBe(
          204,
        );
      }
      expect(s.app.tw.verifier.sizes().tokens).toBeGreaterThanOrEqual(20);
      // TTL 1 s, purge every 0.5 s: nothing is left once every entry is past its TTL.
      const deadline = Date.now() + 5_000;
      while (s.app.tw.verifier.sizes().tokens! > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(s.app.tw.verifier.sizes().tokens).toBe(0);
      // A purged token is simply read again from the store.
      expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: admin })).status).toBe(204);
    });
  });
}
