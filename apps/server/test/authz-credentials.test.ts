import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type SignedIn,
  signIn,
  startApp,
  type TestServer,
} from './helpers.js';
import { expectErrorShape, grantTo, tokenCount, uniqueName } from './test-kit.js';

/** SPEC §3: the ways a credential may be presented, CSRF for cookies, and one credential per request. */
for (const dialect of DIALECTS) {
  describe(`presenting credentials [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let adminId: number;
    let session: SignedIn;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      adminId = (await http(s.url, 'GET', '/api/v1/me', { token: admin })).body.tokenId;
      session = await signIn(s.url, 'admin', ADMIN_PASSWORD);
    });
    afterAll(async () => s?.close());

    describe('cookie sessions and CSRF', () => {
      const writes = () => [
        { method: 'POST', path: '/api/v1/apptoken/grant', json: {} },
        { method: 'POST', path: '/api/v1/identity', json: { name: uniqueName('csrf') } },
        { method: 'PATCH', path: `/api/v1/apptoken/${adminId}`, json: { name: 'csrf-renamed' } },
        { method: 'DELETE', path: `/api/v1/apptoken/${adminId}` },
      ];

      it('a cookie-authenticated write without X-CSRF-Token is refused with 403 csrf_failed and changes nothing', async () => {
        const tokensBefore = await tokenCount(s.url, admin, 1);
        for (const w of writes()) {
          const res = await http(s.url, w.method, w.path, { cookie: session.cookie, json: w.json });
          expect(res.status, `${w.method} ${w.path}: ${res.text}`).toBe(403);
          expectErrorShape(res, 'csrf_failed');
        }
        expect(await tokenCount(s.url, admin, 1)).toBe(tokensBefore);
        const token = await http(s.url, 'GET', `/api/v1/apptoken/${adminId}`, { token: admin });
        expect(token.body).toMatchObject({ revoked: false, name: '' });
      });

      it("a wrong X-CSRF-Token, or another session's, is refused like a missing one", async () => {
        const second = await signIn(s.url, 'admin', ADMIN_PASSWORD);
        for (const csrf of ['', 'x', session.csrf.slice(0, -1), `${session.csrf}x`, second.csrf]) {
          const res = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
            cookie: session.cookie,
            headers: { 'x-csrf-token': csrf },
            json: {},
          });
          expect(res.status, res.text).toBe(403);
          expectErrorShape(res, 'csrf_failed');
        }
      });

      it("a cookie-authenticated write with the session's X-CSRF-Token succeeds", async () => {
        const res = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
          cookie: session.cookie,
          headers: { 'x-csrf-token': session.csrf },
          json: {},
        });
        expect(res.status, res.text).toBe(200);
        const renamed = await http(s.url, 'PATCH', `/api/v1/apptoken/${res.body.id}`, {
          cookie: session.cookie,
          headers: { 'x-csrf-token': session.csrf },
          json: { name: 'via-cookie' },
        });
        expect(renamed.status, renamed.text).toBe(200);
        expect(renamed.body.name).toBe('via-cookie');
      });

      it('cookie-authenticated reads need no CSRF token', async () => {
        expect((await http(s.url, 'GET', '/api/v1/apptoken', { cookie: session.cookie })).status).toBe(200);
        expect((await http(s.url, 'GET', '/api/v1/apptoken/grant', { cookie: session.cookie })).status).toBe(
          200,
        );
      });

      it('signing out needs the CSRF token, and afterwards the cookie is refused', async () => {
        const own = await signIn(s.url, 'admin', ADMIN_PASSWORD);
        const noCsrf = await http(s.url, 'POST', '/api/v1/signout', { cookie: own.cookie });
        expect(noCsrf.status).toBe(403);
        expect((await http(s.url, 'GET', '/api/v1/me', { cookie: own.cookie })).status).toBe(200);
        const out = await http(s.url, 'POST', '/api/v1/signout', {
          cookie: own.cookie,
          headers: { 'x-csrf-token': own.csrf },
        });
        expect(out.status, out.text).toBe(200);
        const after = await http(s.url, 'GET', '/api/v1/me', { cookie: own.cookie });
        expect(after.status).toBe(401);
        expectErrorShape(after, 'unauthenticated');
      });

      it('ending one session (DELETE /usersession/{id}) refuses its cookie at once and leaves the others', async () => {
        const a = await signIn(s.url, 'admin', ADMIN_PASSWORD);
        const b = await signIn(s.url, 'admin', ADMIN_PASSWORD);
        const mine = await http(s.url, 'GET', '/api/v1/usersession', { cookie: a.cookie });
        const id = mine.body.items.find((x: { current: boolean }) => x.current).id;
        const end = await http(s.url, 'DELETE', `/api/v1/usersession/${id}`, {
          cookie: b.cookie,
          headers: { 'x-csrf-token': b.csrf },
        });
        expect(end.status, end.text).toBe(204);
        expect((await http(s.url, 'GET', '/api/v1/me', { cookie: a.cookie })).status).toBe(401);
        expect((await http(s.url, 'GET', '/api/v1/me', { cookie: b.cookie })).status).toBe(200);
      });
    });

    describe('header credentials', () => {
      const ALT = ['x-tokenward-authorization', 'x-psu-authorization', 'authtoken'] as const;

      for (const header of ALT) {
        for (const scheme of ['Bearer ', 'bearer ', '']) {
          it(`${header} accepts the token ${scheme ? `with the "${scheme.trim()}" scheme` : 'bare'}`, async () => {
            const res = await http(s.url, 'GET', '/api/v1/me', {
              headers: { [header]: `${scheme}${admin}` },
            });
            expect(res.status, res.text).toBe(200);
            expect(res.body.tokenId).toBe(adminId);
          });
        }

        it(`${header} refuses a revoked token with 401, with or without the scheme`, async () => {
          const t = await grantTo(s.url, admin, 1);
          expect((await http(s.url, 'GET', '/api/v1/me', { headers: { [header]: t.token } })).status).toBe(
            200,
          );
          await http(s.url, 'DELETE', `/api/v1/apptoken/${t.id}`, { token: admin });
          for (const value of [t.token, `Bearer ${t.token}`]) {
            const res = await http(s.url, 'GET', '/api/v1/me', { headers: { [header]: value } });
            expect(res.status).toBe(401);
            expectErrorShape(res, 'unauthenticated');
          }
        });
      }

      it('Authorization must use the Bearer scheme (a bare token is 401)', async () => {
        const res = await http(s.url, 'GET', '/api/v1/me', { headers: { authorization: admin } });
        expect(res.status).toBe(401);
        expectErrorShape(res, 'unauthenticated');
        const basic = await http(s.url, 'GET', '/api/v1/me', {
          headers: { authorization: `Basic ${admin}` },
        });
        expect(basic.status).toBe(401);
      });

      it('two different credentials (Authorization + Authtoken) are a 400 multiple_credentials', async () => {
        const other = await grantTo(s.url, admin, 1);
        const pairs: Array<Record<string, string>> = [
          { authorization: `Bearer ${admin}`, authtoken: other.token },
          { authorization: `Bearer ${admin}`, 'x-psu-authorization': `Bearer ${other.token}` },
          { 'x-tokenward-authorization': admin, authtoken: other.token },
          // Even when one of them is worthless: the request is ambiguous, not "the good one wins".
          { authorization: `Bearer ${admin}`, authtoken: 'garbage-garbage-garbage' },
        ];
        for (const headers of pairs) {
          const res = await http(s.url, 'GET', '/api/v1/me', { headers });
          expect(res.status, JSON.stringify(Object.keys(headers))).toBe(400);
          expectErrorShape(res, 'multiple_credentials');
          expect(res.text).not.toContain(admin);
          expect(res.text).not.toContain(other.token);
        }
      });

      it('the same token in two headers is one credential and is accepted', async () => {
        const res = await http(s.url, 'GET', '/api/v1/me', {
          headers: { authorization: `Bearer ${admin}`, authtoken: admin, 'x-psu-authorization': admin },
        });
        expect(res.status, res.text).toBe(200);
      });
    });
  });
}
