import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, personalAccessJwt } from './access-jwt.js';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type StoreHandle,
  startServer,
  type TestServer,
} from './helpers.js';

/**
 * Issue 14 item 1: the issuer became a URL (TOKENWARD_PUBLIC_URL). Access tokens issued before,
 * with the old default issuer `tokenward`, keep verifying until they expire
 * (TOKENWARD_LEGACY_ISSUERS, default `tokenward`); no other issuer is accepted, and new tokens
 * carry the URL.
 */

const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`tokens of the previous issuer [${dialect}]`, () => {
    let store: StoreHandle;
    let before: TestServer;
    let s: TestServer;
    let strict: TestServer;
    let admin: string;
    let now = Date.now();
    const clock = () => now;

    beforeAll(async () => {
      store = freshStore(dialect);
      // The same store before the upgrade: issuer `tokenward`, as every earlier version had.
      before = await startServer(store, { clock, config: { issuer: 'tokenward' } });
      admin = await adminToken(before.url);
      s = await startServer(store, { clock });
      strict = await startServer(store, { clock, config: { legacyIssuers: [] } });
    });
    afterAll(async () => {
      await strict?.stop();
      await before?.stop();
      await s?.close();
    });

    it('new tokens carry the public URL as iss', async () => {
      const { jwt } = await personalAccessJwt(s.url, admin);
      expect(decodeJwt(jwt).payload.iss).toBe(s.url);
    });

    it('a token issued as `tokenward` verifies on the upgraded server (routes, /auth/verify, key ring) until it expires', async () => {
      const { jwt } = await personalAccessJwt(before.url, admin);
      expect(decodeJwt(jwt).payload.iss).toBe('tokenward');
      expect((await http(s.url, 'GET', '/api/v1/identity', { token: jwt })).status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: jwt })).status).toBe(204);
      expect(await s.app.tw.keys.verify(jwt)).toMatchObject({ iss: 'tokenward', sub: '1' });

      now += 31 * MINUTE;
      expect((await http(s.url, 'GET', '/api/v1/identity', { token: jwt })).status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: jwt })).status).toBe(401);
      expect(await s.app.tw.keys.verify(jwt)).toBeNull();
    });

    it('with TOKENWARD_LEGACY_ISSUERS empty, a `tokenward` token is refused (so the acceptance above is the setting)', async () => {
      const { jwt } = await personalAccessJwt(before.url, admin);
      expect(await strict.app.tw.keys.verify(jwt)).toBeNull();
      expect((await http(strict.url, 'GET', '/api/v1/auth/verify', { token: jwt })).status).toBe(401);
      // Its own tokens are fine.
      const own = await personalAccessJwt(strict.url, admin);
      expect((await http(strict.url, 'GET', '/api/v1/auth/verify', { token: own.jwt })).status).toBe(204);
    });

    it('an issuer outside the legacy list is refused, though its signature is ours', async () => {
      const other = await startServer(store, { clock, config: { issuer: 'https://evil.example' } });
      try {
        const { jwt } = await personalAccessJwt(other.url, admin);
        expect(await s.app.tw.keys.verify(jwt)).toBeNull();
        expect((await http(s.url, 'GET', '/api/v1/auth/verify', { token: jwt })).status).toBe(401);
      } finally {
        await other.stop();
      }
    });
  });
}
