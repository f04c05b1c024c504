import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type SignedIn,
  signIn,
  startServer,
  type TestServer,
} from '../helpers.js';
import {
  expectErrorShape,
  type Holder,
  identityWithToken,
  rawRequest,
  rawSocket,
  tokenCount,
  uniqueName,
} from '../test-kit.js';
import { tokenSnapshot } from './regression-kit.js';

const strongValue = () => randomBytes(32).toString('base64url');

for (const dialect of DIALECTS) {
  describe(`issue 12 smaller findings [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let session: SignedIn;
    let reader: Holder;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
      admin = await adminToken(s.url);
      session = await signIn(s.url, 'admin', ADMIN_PASSWORD);
      reader = await identityWithToken(s.url, admin, uniqueName('reader'), ['Reader']);
    });
    afterAll(async () => s?.close());

    it('HEAD on the grant routes is 405 and mints nothing (session cookie or token)', async () => {
      // Issue 12 item 8: HEAD /api/v1/apptoken/grant ran the GET handler and minted a token
      // whose value nobody saw (HEAD has no body).
      const before = await tokenCount(s.url, admin, 1);
      const readerBefore = await tokenCount(s.url, admin, reader.id);
      const attempts: Array<{ path: string; headers: Record<string, string> }> = [
        { path: '/api/v1/apptoken/grant', headers: { cookie: session.cookie } },
        { path: '/api/v1/apptoken/grant', headers: { authorization: `Bearer ${admin}` } },
        { path: `/api/v1/apptoken/grant/${reader.id}`, headers: { authorization: `Bearer ${admin}` } },
      ];
      for (const a of attempts) {
        const res = await rawRequest(s.url, 'HEAD', a.path, a.headers);
        expect(res.status, `HEAD ${a.path}`).toBe(405);
      }
      expect(await tokenCount(s.url, admin, 1)).toBe(before);
      expect(await tokenCount(s.url, admin, reader.id)).toBe(readerBefore);
    });

    it('a single-use token as actor_token is refused with single_use_credential and not spent by the refusal', async () => {
      // Found by the OpenAPI fuzz pass: the refused exchange spent the OneTouch token.
      const v4 = await http(s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: admin },
        json: { tokenName: 'once', tokenType: 'OneTouch' },
      });
      expect(v4.status, v4.text).toBe(200);
      const once = v4.body.tokenInfo.accessToken as string;
      const res = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: admin,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: admin,
          actor_token: once,
        },
      });
      expect(res.status, res.text).toBe(403);
      expectErrorShape(res, 'single_use_credential');
      // Still good for its one use.
      expect((await http(s.url, 'GET', '/api/v1/me', { token: once })).status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: once })).status).toBe(401);
    });

    it('an unknown field is named when it is a field name, and never when it could be a token', async () => {
      // Found by the OpenAPI fuzz pass: JSON text posted as a form became one field name, the
      // personal token in it, and unknown_field quoted it back.
      const pat = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: admin,
        json: { name: 'echo' },
      });
      expect(pat.status, pat.text).toBe(200);
      const value = pat.body.token as string;
      const leaked = await http(s.url, 'POST', '/api/v1/PersonalTokens/authenticate', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: JSON.stringify({ personalToken: value }),
      });
      expect(leaked.status, leaked.text).toBe(400);
      expectErrorShape(leaked, 'unknown_field');
      expect(leaked.text).not.toContain(value);
      const named = await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.body.id}`, {
        token: admin,
        json: { identity_id: 1 },
      });
      expect(named.status).toBe(400);
      expect(named.body.errorMessage).toContain('"identity_id"');
    });

    it('two Authtoken headers with different values are refused with multiple_credentials', async () => {
      // Issue 12 item 8: Node joins repeated headers ("a, b"); the request must not be judged
      // on one of them.
      const port = new URL(s.url).port;
      const res = await rawSocket(
        s.url,
        `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthtoken: ${admin}\r\nAuthtoken: ${reader.token}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status, res.text).toBe(400);
      expectErrorShape(res, 'multiple_credentials');
    });

    it('an import body with both "Token" and "token" is refused with duplicate_field, and neither value works', async () => {
      // Issue 12 item 8: case-insensitive keys silently kept the last of two different values.
      const a = strongValue();
      const b = strongValue();
      const res = await http(s.url, 'POST', '/api/v1/apptoken', {
        token: admin,
        headers: { 'content-type': 'application/json' },
        body: `{"Token":"${a}","token":"${b}","Identity":{"Name":"${reader.name}"},"Role":"Reader"}`,
      });
      expect(res.status, res.text).toBe(400);
      expectErrorShape(res, 'duplicate_field');
      expect(res.body.errorMessage.toLowerCase()).toContain('token');
      expect((await http(s.url, 'GET', '/api/v1/me', { token: a })).status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: b })).status).toBe(401);
    });

    it('a NUL or a lone surrogate in an identity name is refused with invalid_text, and nothing is stored', async () => {
      // Issue 12 item 8: PostgreSQL refused NUL with a 500, SQLite stored it; lone surrogates
      // were stored on one store and mangled on the other.
      const count = async () =>
        (await http(s.url, 'GET', '/api/v1/identity?limit=1', { token: admin })).body.total;
      const before = await count();
      const names = [`nul${'\u0000'}name`, `lone${'\ud800'}surrogate`, `low${'\udc00'}`];
      const answers = [];
      for (const name of names) {
        const res = await http(s.url, 'POST', '/api/v1/identity', {
          token: admin,
          json: { name, roles: ['Reader'] },
        });
        answers.push({ name, status: res.status, code: res.body?.code });
      }
      expect(answers).toEqual(names.map((name) => ({ name, status: 400, code: 'invalid_text' })));
      expect(await count()).toBe(before);
    });

    it('a NUL or a lone surrogate in a token name is refused with invalid_text, and nothing is minted', async () => {
      // Issue 12 item 8: the same on POST /api/v1/apptoken/grant {name}.
      const before = await tokenCount(s.url, admin, 1);
      const names = [`nul${'\u0000'}name`, `lone${'\ud800'}surrogate`, `low${'\udc00'}`];
      const answers = [];
      for (const name of names) {
        const res = await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: { name } });
        answers.push({ name, status: res.status, code: res.body?.code, minted: /tw_app_/.test(res.text) });
      }
      expect(answers).toEqual(
        names.map((name) => ({ name, status: 400, code: 'invalid_text', minted: false })),
      );
      expect(await tokenCount(s.url, admin, 1)).toBe(before);
    });

    it('"GET /api/v1/identity/*" allows the identities below /api/v1/identity, not /api/v1/identity itself', async () => {
      // Issue 12 item 8: `/x/*` matched `/x`, so a token limited to reading one identity at a
      // time could list them all.
      const granted = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
        token: admin,
        json: { name: 'by-id', apiEndpoints: ['GET /api/v1/identity/*'] },
      });
      expect(granted.status, granted.text).toBe(200);
      const t = granted.body.token as string;
      const list = await http(s.url, 'GET', '/api/v1/identity', { token: t });
      expect(list.status, list.text).toBe(403);
      expectErrorShape(list, 'endpoint_not_allowed');
      const one = await http(s.url, 'GET', `/api/v1/identity/${reader.id}`, { token: t });
      expect(one.status, one.text).toBe(200);
    });

    it('an Administrator may grant itself a Reader token, which then holds Reader only', async () => {
      // Issue 12 item 8: role grants were judged by name (Administrator does not "hold"
      // Reader), so the README's least-privilege example was refused.
      const res = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
        token: admin,
        json: { role: ['Reader'] },
      });
      expect(res.status, res.text).toBe(200);
      const t = res.body.token as string;
      const me = await http(s.url, 'GET', '/api/v1/me', { token: t });
      expect(me.status, me.text).toBe(200);
      expect(me.body.roles).toEqual(['Reader']);
      const write = await http(s.url, 'POST', '/api/v1/identity', {
        token: t,
        json: { name: uniqueName('nope'), roles: ['Reader'] },
      });
      expect(write.status, write.text).toBe(403);
    });

    it('personal-token answers name the owner and its roles, not empty strings', async () => {
      // Issue 12 item 8: POST/GET /api/v1/PersonalTokens answered identity {name: "", role: ""}.
      const created = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: reader.token,
        json: { name: 'p' },
      });
      expect(created.status, created.text).toBe(200);
      const expected = { id: reader.id, name: reader.name, role: 'Reader' };
      expect(created.body.identity).toMatchObject(expected);
      const list = await http(s.url, 'GET', '/api/v1/PersonalTokens', { token: reader.token });
      expect(list.status, list.text).toBe(200);
      const item = (list.body.items as Array<{ id: number; identity: unknown }>).find(
        (x) => x.id === created.body.id,
      );
      expect(item?.identity).toMatchObject(expected);
    });
  });

  describe(`a revocation whose audit event cannot be written [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
      admin = await adminToken(s.url);
      // The store refuses revocation events (a trigger), as a full disk would (PostgreSQL: with
      // the disk_full SQLSTATE; SQLite: a trigger can only RAISE, which reports a constraint).
      const db = s.app.tw.store.db;
      if (dialect === 'sqlite') {
        await sql`CREATE TRIGGER fail_revoke_audit BEFORE INSERT ON audit_events
          WHEN NEW.action LIKE 'token.revoke%' BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END`.execute(
          db,
        );
      } else {
        await sql`CREATE FUNCTION fail_revoke_audit() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.action LIKE 'token.revoke%' THEN RAISE EXCEPTION 'audit unavailable' USING ERRCODE = 'disk_full'; END IF; RETURN NEW; END $$`.execute(
          db,
        );
        await sql`CREATE TRIGGER fail_revoke_audit BEFORE INSERT ON audit_events
          FOR EACH ROW EXECUTE FUNCTION fail_revoke_audit()`.execute(db);
      }
    });
    afterAll(async () => s?.close());

    it('is refused with 503 store_unavailable, and the token stays valid (revocation rolled back with its event)', async () => {
      // Issue 12 item 8: the revocation committed first and its failed audit event was only
      // logged: a 200, and a revoked token with no record of who revoked it.
      const victim = await identityWithToken(s.url, admin, uniqueName('holder'), ['Reader']);
      const before = await tokenSnapshot(s.url, admin, victim.tokenId);
      const res = await http(s.url, 'DELETE', `/api/v1/apptoken/${victim.tokenId}`, { token: admin });
      expect(res.status, res.text).toBe(503);
      expectErrorShape(res, 'store_unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await tokenSnapshot(s.url, admin, victim.tokenId)).toEqual(before);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: victim.token })).status).toBe(200);
    });
  });
}
