import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../../../apps/server/test/helpers.js';
import type { VerifierOptions } from '../verifier.js';
import { type Fixture, startFixture } from './fixture.js';

/**
 * A protected app under test, whatever the framework. Routes:
 * GET /invoices (billing:read), POST /invoices (billing:write), GET /books (role BillingClerk),
 * GET /public (no credential). Protected routes answer the verified caller as JSON.
 */
export type StartApp = (options: VerifierOptions) => Promise<{ url: string; close(): Promise<void> }>;

/** What protected routes answer. */
export function callerView(auth: {
  identityId: number;
  name: string;
  roles: string[];
  tokenType: string;
  verifiedBy: string;
  can(p: string): boolean;
  act?: { name: string };
}) {
  return {
    identityId: auth.identityId,
    name: auth.name,
    roles: auth.roles,
    tokenType: auth.tokenType,
    verifiedBy: auth.verifiedBy,
    canWrite: auth.can('billing:write'),
    act: auth.act ?? null,
  };
}

async function call(base: string, method: string, path: string, token?: string) {
  const res = await fetch(base + path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

export function describeMiddleware(framework: string, startApp: StartApp): void {
  describe(`${framework} middleware against a real Tokenward`, () => {
    let f: Fixture;
    let app: { url: string; close(): Promise<void> };
    let strict: { url: string; close(): Promise<void> };

    beforeAll(async () => {
      f = await startFixture();
      const options = { baseUrl: f.url, token: f.service, clock: f.clock, jwksCooldownMs: 0 };
      app = await startApp(options);
      strict = await startApp({ ...options, introspectJwts: true });
    });
    afterAll(async () => {
      await app?.close();
      await strict?.close();
      await f?.close();
    });

    it('a valid access JWT is verified offline against the JWKS', async () => {
      const { jwt } = await f.accessJwt(f.alice.token, 'alice');
      const res = await call(app.url, 'GET', '/invoices', jwt);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        identityId: f.alice.id,
        name: 'alice',
        roles: ['BillingReader'],
        tokenType: 'access',
        verifiedBy: 'jwks',
        canWrite: false,
      });
    });

    it('a valid opaque app token is verified by introspection', async () => {
      const res = await call(app.url, 'GET', '/invoices', f.bob.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        identityId: f.bob.id,
        name: 'bob',
        roles: ['BillingClerk'],
        tokenType: 'app',
        verifiedBy: 'introspection',
        canWrite: true,
      });
    });

    it('a missing permission or role is refused with 403 and the SPEC §4 body', async () => {
      const write = await call(app.url, 'POST', '/invoices', f.alice.token);
      expect(write.status).toBe(403);
      expect(write.body).toMatchObject({ errorCode: 3000, code: 'permission_denied' });
      expect(write.body.errorMessage).toMatch(/billing:write/);
      expect((await call(app.url, 'POST', '/invoices', f.bob.token)).status).toBe(201);
      const role = await call(app.url, 'GET', '/books', f.alice.token);
      expect(role.status).toBe(403);
      expect(role.body.code).toBe('permission_denied');
      expect((await call(app.url, 'GET', '/books', f.bob.token)).status).toBe(200);
    });

    // Issue 12 item 2: a narrowed token passed requireRole and requirePermission on the strength
    // of roles it did not hold in full (its roles claim and introspection named them all).
    it('a token narrowed to billing:read holds billing:read only: offline (JWT) and by introspection (a PAT made with it)', async () => {
      const exchanged = await http(f.url, 'POST', '/api/v1/token/exchange', {
        token: f.bob.token,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: f.bob.token,
          scope: 'billing:read',
        },
      });
      expect(exchanged.status, exchanged.text).toBe(200);
      const narrowed = exchanged.body.access_token as string;
      const pat = await http(f.url, 'POST', '/api/v1/PersonalTokens', {
        token: narrowed,
        json: { name: 'narrow' },
      });
      expect(pat.status, pat.text).toBe(200);
      for (const [token, verifiedBy] of [
        [narrowed, 'jwks'],
        [pat.body.token as string, 'introspection'],
      ] as const) {
        const read = await call(app.url, 'GET', '/invoices', token);
        expect(read.status).toBe(200);
        expect(read.body).toMatchObject({ identityId: f.bob.id, verifiedBy, canWrite: false });
        expect(read.body.roles).not.toContain('BillingClerk');
        expect((await call(app.url, 'POST', '/invoices', token)).status).toBe(403);
        expect((await call(app.url, 'GET', '/books', token)).status).toBe(403);
      }
    });

    it('no credential, or one Tokenward does not know, is refused with 401', async () => {
      for (const token of [undefined, 'tw_app_not-a-real-token-at-all-0000000000000000000000']) {
        const res = await call(app.url, 'GET', '/invoices', token);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          errorCode: 2000,
          errorMessage: expect.any(String),
          code: 'unauthenticated',
        });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect((await call(app.url, 'GET', '/public')).status).toBe(200);
    });

    it('a revoked opaque token is refused', async () => {
      const granted = await http(f.url, 'POST', `/api/v1/apptoken/grant/${f.alice.id}`, {
        token: f.admin,
        json: {},
      });
      const revoked = await http(f.url, 'DELETE', `/api/v1/apptoken/${granted.body.id}`, { token: f.admin });
      expect(revoked.body.revoked).toBe(true);
      const res = await call(app.url, 'GET', '/invoices', granted.body.token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthenticated');
    });

    it('a revoked access JWT: accepted offline until it expires, refused at once with introspectJwts', async () => {
      const { jwt, patId } = await f.accessJwt(f.alice.token, 'alice');
      const del = await http(f.url, 'DELETE', `/api/v1/PersonalTokens/${patId}`, { token: f.alice.token });
      expect(del.status).toBe(200);
      // Offline verification cannot see a revocation: that is the documented price of no round trip.
      expect((await call(app.url, 'GET', '/invoices', jwt)).status).toBe(200);
      const res = await call(strict.url, 'GET', '/invoices', jwt);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthenticated');
    });

    it('after a signing-key rotation, a token with the new kid verifies offline', async () => {
      const before = await f.accessJwt(f.bob.token, 'bob');
      expect((await call(app.url, 'GET', '/invoices', before.jwt)).body.verifiedBy).toBe('jwks');
      const rotated = await http(f.url, 'POST', '/api/v1/keys/rotate', { token: f.admin });
      expect(rotated.status).toBe(200);
      // The new key signs once the publication delay has passed (issue 14).
      f.advance(Date.parse(rotated.body.activeFrom) - f.clock());
      const after = await f.accessJwt(f.bob.token, 'bob');
      expect(decodeProtectedHeader(after.jwt).kid).toBe(rotated.body.kid);
      expect(decodeProtectedHeader(after.jwt).kid).not.toBe(decodeProtectedHeader(before.jwt).kid);
      const res = await call(app.url, 'GET', '/invoices', after.jwt);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'bob', verifiedBy: 'jwks' });
      // The old key stays published until its tokens expire.
      expect((await call(app.url, 'GET', '/invoices', before.jwt)).status).toBe(200);
    });

    it('an expired access JWT and an expired opaque token are refused (fake clock)', async () => {
      const { jwt } = await f.accessJwt(f.alice.token, 'alice');
      const shortLived = await http(f.url, 'POST', `/api/v1/apptoken/grant/${f.alice.id}`, {
        token: f.admin,
        json: { expiration: new Date(f.clock() + 120_000).toISOString() },
      });
      expect(shortLived.status).toBe(200);
      expect((await call(app.url, 'GET', '/invoices', jwt)).status).toBe(200);
      expect((await call(app.url, 'GET', '/invoices', shortLived.body.token)).status).toBe(200);
      f.advance(31 * 60_000);
      const jwtRes = await call(app.url, 'GET', '/invoices', jwt);
      expect(jwtRes.status).toBe(401);
      expect(jwtRes.body.code).toBe('unauthenticated');
      // The cached introspection answer ends with the token's own expiry, not 30 s later.
      const opaqueRes = await call(app.url, 'GET', '/invoices', shortLived.body.token);
      expect(opaqueRes.status).toBe(401);
      // Long-lived tokens still work at the new time.
      expect((await call(app.url, 'GET', '/invoices', f.bob.token)).status).toBe(200);
    });
  });
}
