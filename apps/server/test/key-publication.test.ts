import { createHash } from 'node:crypto';
import { OAUTH_PATHS } from '@tokenward/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeJwt, personalAccessJwt, verifyWithPyJwkClient } from './access-jwt.js';
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
 * Issue 14 item 6: `keys rotate` publishes the next key at once and signs with it only after the
 * publication delay (JWKS max-age 60 s + 60 s), so a verifier that fetched the JWKS just before
 * the rotation never meets an unknown kid; JWKS answers carry a strong ETag. Checked with the
 * verifiers integrators use: jose's createRemoteJWKSet (30 s refetch cooldown) and PyJWT's
 * PyJWKClient, each fetching the JWKS from the real server itself.
 */

const MINUTE = 60_000;
const DELAY_MS = 2 * MINUTE;

const kidOf = (jwt: string): string => decodeJwt(jwt).header.kid as string;

for (const dialect of DIALECTS) {
  describe(`a rotation seen by verifiers that cache the JWKS [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;

    // One clock for the server and for jose (both read Date.now): jose's cooldown and cache ages
    // and the server's activation time move together. PyJWT reads the real clock, so the fake one
    // starts a few minutes in the past and stays behind it.
    beforeAll(async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() - 10 * MINUTE);
      store = freshStore(dialect);
      s = await startServer(store, { clock: () => Date.now() });
      admin = await adminToken(s.url);
    });
    afterAll(async () => {
      vi.useRealTimers();
      await s?.close();
    });

    const rotate = async (body?: { now: boolean }) => {
      const res = await http(s.url, 'POST', '/api/v1/keys/rotate', {
        token: admin,
        ...(body ? { json: body } : {}),
      });
      expect(res.status, res.text).toBe(200);
      return res.body as { kid: string; status: string; activeFrom: string };
    };
    const verifyWithJose = async (jwks: ReturnType<typeof createRemoteJWKSet>, jwt: string) =>
      jwtVerify(jwt, jwks, { issuer: s.url, audience: 'tokenward', algorithms: ['EdDSA'] });

    it('jose: a verifier that fetched the JWKS just before the rotation verifies every token, before and after the switch', async () => {
      const jwks = createRemoteJWKSet(new URL(`${s.url}${OAUTH_PATHS.jwks}`));
      const first = await personalAccessJwt(s.url, admin);
      await verifyWithJose(jwks, first.jwt); // the fetch "just before"
      const oldKid = kidOf(first.jwt);

      const pending = await rotate();
      expect(pending.status).toBe('pending');
      expect(Date.parse(pending.activeFrom)).toBe(Date.now() + DELAY_MS);

      // Within jose's 30 s cooldown: tokens are still signed with the key it has.
      const during = await personalAccessJwt(s.url, admin);
      expect(kidOf(during.jwt)).toBe(oldKid);
      await verifyWithJose(jwks, during.jwt);

      // After the delay the new key signs; jose meets its kid, may refetch (cooldown over), and
      // the key is there: no JWKSNoMatchingKey.
      vi.setSystemTime(Date.parse(pending.activeFrom));
      const after = await personalAccessJwt(s.url, admin);
      expect(kidOf(after.jwt)).toBe(pending.kid);
      const { payload } = await verifyWithJose(jwks, after.jwt);
      expect(payload.sub).toBe('1');
      // The token signed before the switch still verifies too.
      await verifyWithJose(jwks, first.jwt);
    });

    it('jose: with now=true (an emergency) a verifier within its cooldown refuses new tokens until it refetches — the documented trade-off', async () => {
      const jwks = createRemoteJWKSet(new URL(`${s.url}${OAUTH_PATHS.jwks}`));
      await verifyWithJose(jwks, (await personalAccessJwt(s.url, admin)).jwt);

      const emergency = await rotate({ now: true });
      expect(emergency.status).toBe('active');
      const fresh = await personalAccessJwt(s.url, admin);
      expect(kidOf(fresh.jwt)).toBe(emergency.kid);
      // This is the failure issue 14 reports, now confined to emergencies.
      await expect(verifyWithJose(jwks, fresh.jwt)).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
      // Once the cooldown has passed it refetches and accepts the token.
      vi.setSystemTime(Date.now() + 31_000);
      await expect(verifyWithJose(jwks, fresh.jwt)).resolves.toBeTruthy();
    });

    it("PyJWT's PyJWKClient fetches the JWKS itself and verifies signature, iss and aud across a rotation", async () => {
      const jwksUri = `${s.url}${OAUTH_PATHS.jwks}`;
      const before = await personalAccessJwt(s.url, admin);
      const pending = await rotate();
      vi.setSystemTime(Date.parse(pending.activeFrom));
      const after = await personalAccessJwt(s.url, admin);
      expect(kidOf(after.jwt)).toBe(pending.kid);
      for (const jwt of [before.jwt, after.jwt]) {
        const result = await verifyWithPyJwkClient(jwksUri, jwt, s.url);
        expect(result, JSON.stringify(result)).toMatchObject({
          ok: true,
          claims: { sub: '1', iss: s.url, aud: 'tokenward' },
        });
      }
      // PyJWT does not check the header's typ (at+jwt): RFC 9068 §4 leaves that to the resource.
      expect(decodeJwt(after.jwt).header.typ).toBe('at+jwt');
      // …and it does check iss and aud.
      const wrongIss = await verifyWithPyJwkClient(jwksUri, after.jwt, 'https://elsewhere.example');
      expect(wrongIss.ok ? 'ok' : wrongIss.error).toMatch(/^InvalidIssuerError/);
      const wrongAud = await verifyWithPyJwkClient(jwksUri, after.jwt, s.url, 'another-api');
      expect(wrongAud.ok ? 'ok' : wrongAud.error).toMatch(/^InvalidAudienceError/);
    });
  });

  describe(`JWKS ETag and If-None-Match [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
      admin = await adminToken(s.url);
    });
    afterAll(async () => s?.close());
    afterEach(() => vi.useRealTimers());

    it('carries a strong ETag that is the hash of the exact body, and a public max-age', async () => {
      const res = await fetch(`${s.url}${OAUTH_PATHS.jwks}`);
      const body = await res.text();
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag');
      expect(etag).toBe(`"${createHash('sha256').update(body).digest('base64url')}"`);
      expect(etag).not.toMatch(/^W\//);
      expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    });

    it('If-None-Match with the current ETag (strong, weak, in a list, or *) answers 304 without a body', async () => {
      const etag = (await fetch(`${s.url}${OAUTH_PATHS.jwks}`)).headers.get('etag')!;
      for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await fetch(`${s.url}${OAUTH_PATHS.jwks}`, { headers: { 'if-none-match': header } });
        expect(res.status, header).toBe(304);
        expect(await res.text()).toBe('');
        expect(res.headers.get('etag')).toBe(etag);
        expect(res.headers.get('cache-control')).toBe('public, max-age=60');
      }
    });

    it('a rotation changes the ETag: the old one gets the new set with 200', async () => {
      const before = await fetch(`${s.url}${OAUTH_PATHS.jwks}`);
      const oldEtag = before.headers.get('etag')!;
      const oldKeys = ((await before.json()) as { keys: unknown[] }).keys;
      const rotated = await http(s.url, 'POST', '/api/v1/keys/rotate', { token: admin });
      expect(rotated.status, rotated.text).toBe(200);
      const res = await fetch(`${s.url}${OAUTH_PATHS.jwks}`, { headers: { 'if-none-match': oldEtag } });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).not.toBe(oldEtag);
      const keys = ((await res.json()) as { keys: Array<{ kid: string }> }).keys;
      expect(keys).toHaveLength(oldKeys.length + 1);
      expect(keys.map((k) => k.kid)).toContain(rotated.body.kid);
    });

    it('a stale or malformed If-None-Match gets the full answer', async () => {
      for (const header of ['"stale"', 'W/"stale"', 'garbage', '']) {
        const res = await fetch(`${s.url}${OAUTH_PATHS.jwks}`, { headers: { 'if-none-match': header } });
        expect(res.status, header).toBe(200);
        expect(((await res.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
      }
    });
  });
}
