import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalAccessJwt } from '../../../apps/server/test/access-jwt.js';
import {
  adminToken,
  DIALECTS,
  freshStore,
  type StoreHandle,
  startServer,
  type TestServer,
} from '../../../apps/server/test/helpers.js';
import { TokenwardVerifier, type VerifierOptions } from './index.js';

/**
 * Issue 14 item 1, SDK side: the verifier takes the expected `iss` from the server's RFC 8414
 * metadata (fetched once), honours an explicit `issuer`, and keeps accepting access tokens of
 * the old issuer `tokenward` until they expire.
 */

const MINUTE = 60_000;

for (const dialect of DIALECTS) {
  describe(`the SDK verifier's issuer [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let legacy: TestServer;
    let admin: string;
    let now = Date.now();
    const clock = () => now;
    const fetched: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      fetched.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const verifier = (options: Partial<VerifierOptions> = {}) =>
      new TokenwardVerifier({ baseUrl: s.url, clock, fetch: countingFetch, ...options });

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startServer(store, { clock });
      // The same store as it was before the upgrade: issuer `tokenward`.
      legacy = await startServer(store, { clock, config: { issuer: 'tokenward' } });
      admin = await adminToken(s.url);
    });
    afterAll(async () => {
      await legacy?.stop();
      await s?.close();
    });

    it('by default the issuer comes from the metadata document, fetched once', async () => {
      fetched.length = 0;
      const v = verifier();
      for (let i = 0; i < 3; i++) {
        const { jwt } = await personalAccessJwt(s.url, admin);
        const outcome = await v.verifyToken(jwt);
        expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
        if (outcome.ok) expect(outcome.auth).toMatchObject({ verifiedBy: 'jwks', identityId: 1 });
      }
      expect(fetched.filter((p) => p === '/.well-known/oauth-authorization-server')).toHaveLength(1);
    });

    it('a token of another issuer, signed with the same key, is refused', async () => {
      const other = await startServer(store, { clock, config: { issuer: 'https://evil.example' } });
      try {
        const { jwt } = await personalAccessJwt(other.url, admin);
        const outcome = await verifier().verifyToken(jwt);
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.refusal.status).toBe(401);
      } finally {
        await other.stop();
      }
    });

    it('an explicit issuer is honoured and the metadata is not fetched', async () => {
      fetched.length = 0;
      const { jwt } = await personalAccessJwt(s.url, admin);
      expect((await verifier({ issuer: s.url }).verifyToken(jwt)).ok).toBe(true);
      const elsewhere = await verifier({ issuer: 'https://elsewhere.example' }).verifyToken(jwt);
      expect(elsewhere.ok).toBe(false);
      expect(fetched).not.toContain('/.well-known/oauth-authorization-server');
    });

    it('a token issued as `tokenward` before the upgrade verifies until it expires; legacyIssuers [] refuses it', async () => {
      const { jwt } = await personalAccessJwt(legacy.url, admin);
      const v = verifier();
      expect((await v.verifyToken(jwt)).ok).toBe(true);
      expect((await verifier({ legacyIssuers: [] }).verifyToken(jwt)).ok).toBe(false);
      now += 31 * MINUTE;
      const expired = await v.verifyToken(jwt);
      expect(expired.ok).toBe(false);
      if (!expired.ok) expect(expired.refusal.status).toBe(401);
    });

    it('metadata that cannot be fetched is a 503 (fail closed), and is fetched again on the next token', async () => {
      const { jwt } = await personalAccessJwt(s.url, admin);
      let down = true;
      const flaky: typeof fetch = (input, init) =>
        down && String(input).includes('oauth-authorization-server')
          ? Promise.reject(new TypeError('fetch failed'))
          : fetch(input, init);
      const v = verifier({ fetch: flaky });
      const first = await v.verifyToken(jwt);
      expect(first.ok).toBe(false);
      if (!first.ok)
        expect(first.refusal).toMatchObject({ status: 503, body: { code: 'tokenward_unavailable' } });
      down = false;
      expect((await v.verifyToken(jwt)).ok).toBe(true);
    });
  });
}
