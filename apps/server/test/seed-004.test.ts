import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  startApp,
  type TestServer,
} from './helpers.js';

const SEED_BODY = `{
"tokenName": "string",
"renewableUntilTimestamp": 0,
"apiEndpoints": [
"string"
],
"tokenExpiryTimestamp": 0
}`;

for (const dialect of DIALECTS) {
  describe(`seed 004: the access-token API [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string };

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'operator', ['Operator']);
    });
    afterAll(async () => s?.close());

    const post = (path: string, authtoken: string, body: unknown) =>
      http(s.url, 'POST', path, {
        headers: { 'content-type': 'application/json', accept: 'application/json', authtoken },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('the seed curl request works as written and its access token authenticates with Authtoken', async () => {
      const res = await post('/commandcenter/api/V4/AccessToken', op.token, SEED_BODY);
      expect(res.status).toBe(200);
      expect(res.body.error).toEqual({ errorMessage: '', errorCode: 0 });
      const info = res.body.tokenInfo;
      expect(info).toMatchObject({ tokenName: 'string', userId: op.id });
      const now = Date.now() / 1000;
      expect(info.tokenExpiryTimestamp - now).toBeGreaterThan(29 * 60);
      expect(info.tokenExpiryTimestamp - now).toBeLessThanOrEqual(30 * 60 + 5);
      // renewableUntilTimestamp 0 means 90 days from creation.
      expect((info.renewableUntilTimestamp - now) / 86400).toBeCloseTo(90, 1);
      expect(info.refreshTokenExpiryTimestamp).toBe(info.renewableUntilTimestamp);
      expect(info.accessToken.split('.')).toHaveLength(3);
      expect(info.refreshToken).toMatch(/^tw_rt_/);
      const use = await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: info.accessToken } });
      expect(use.status).toBe(200);
      // A refresh token is not a bearer credential.
      expect(
        (await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: info.refreshToken } })).status,
      ).toBe(401);
    });

    it('the path matches in any case, with or without /commandcenter', async () => {
      for (const path of [
        '/api/v4/accesstoken',
        '/api/V4/AccessToken',
        '/COMMANDCENTER/API/v4/ACCESSTOKEN',
      ]) {
        const res = await post(path, op.token, { tokenName: `n-${path.length}` });
        expect(res.status, path).toBe(200);
      }
      // Bearer works as well as Authtoken.
      const bearer = await http(s.url, 'POST', '/api/v4/accesstoken', {
        token: op.token,
        json: { tokenName: 'b' },
      });
      expect(bearer.status).toBe(200);
    });

    it('CUSTOM needs apiEndpoints and limits the token to them, on every route', async () => {
      const missing = await post('/api/v4/accesstoken', op.token, { tokenName: 'c', tokenType: 'CUSTOM' });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('invalid_endpoint_pattern');
      const res = await post('/api/v4/accesstoken', op.token, {
        tokenName: 'c',
        tokenType: 'CUSTOM',
        apiEndpoints: ['GET /api/v1/identity/*'],
      });
      expect(res.status).toBe(200);
      const t = res.body.tokenInfo.accessToken;
      expect(
        (await http(s.url, 'GET', `/api/v1/identity/${op.id}`, { headers: { authtoken: t } })).status,
      ).toBe(200);
      const refused = await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: t } });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('endpoint_not_allowed');
      // The limit survives a refresh.
      const refreshed = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: res.body.tokenInfo.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      expect(
        (await http(s.url, 'GET', '/api/v1/apptoken', { token: refreshed.body.access_token })).status,
      ).toBe(403);
    });

    it('numeric token types are accepted as in the seed (0 DEFAULT … 4 OneTouch)', async () => {
      const results = await Promise.all(
        [0, 1, 2, 3, 4].map((tokenType) =>
          post('/api/v4/accesstoken', op.token, {
            tokenName: `t${tokenType}`,
            tokenType,
            apiEndpoints: ['GET /x'],
          }),
        ),
      );
      for (const r of results) expect(r.status).toBe(200);
      const [d, scim, all, custom, onetouch] = results.map((r) => r.body.tokenInfo);
      for (const jwtType of [d, all, custom]) expect(jwtType.refreshToken).toMatch(/^tw_rt_/);
      for (const opaque of [scim, onetouch]) {
        expect(opaque.accessToken).toMatch(/^tw_at_/);
        expect(opaque.refreshToken).toBe('');
        expect(opaque.refreshTokenExpiryTimestamp).toBe(0);
        expect(opaque.renewableUntilTimestamp).toBe(0);
      }
      const now = Date.now() / 1000;
      expect((scim.tokenExpiryTimestamp - now) / 86400).toBeCloseTo(30, 1);
      expect((onetouch.tokenExpiryTimestamp - now) / 86400).toBeCloseTo(7, 1);
      const bad = await post('/api/v4/accesstoken', op.token, { tokenName: 'bad', tokenType: 9 });
      expect(bad.status).toBe(400);
    });

    it('MS_SCIM tokens reach only /scim/v2/*', async () => {
      const res = await post('/api/v4/accesstoken', op.token, { tokenName: 'scim', tokenType: 'MS_SCIM' });
      const t = res.body.tokenInfo.accessToken;
      const verify = await http(s.url, 'GET', '/api/v1/auth/verify', {
        headers: { authtoken: t, 'x-original-method': 'GET', 'x-original-uri': '/scim/v2/Users?filter=x' },
      });
      expect(verify.status).toBe(204);
      const outside = await http(s.url, 'GET', '/api/v1/auth/verify', {
        headers: { authtoken: t, 'x-original-method': 'GET', 'x-original-uri': '/api/v1/identity' },
      });
      expect(outside.status).toBe(403);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: t } })).status).toBe(403);
    });

    it('a OneTouch token works once and is refused on second use', async () => {
      const res = await post('/api/v4/accesstoken', op.token, { tokenName: 'once', tokenType: 'OneTouch' });
      const t = res.body.tokenInfo.accessToken;
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: t } })).status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { headers: { authtoken: t } })).status).toBe(401);
    });

    it('lifetimes beyond the maximum are refused, never cut', async () => {
      const now = Math.floor(Date.now() / 1000);
      const tooLong = await post('/api/v4/accesstoken', op.token, {
        tokenName: 'x',
        tokenType: 'OneTouch',
        tokenExpiryTimestamp: now + 15 * 86400,
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.code).toBe('lifetime_exceeded');
      const renew = await post('/api/v4/accesstoken', op.token, {
        tokenName: 'x',
        renewableUntilTimestamp: now + 366 * 86400,
      });
      expect(renew.status).toBe(400);
      const ok = await post('/api/v4/accesstoken', op.token, {
        tokenName: 'x',
        tokenType: 'OneTouch',
        tokenExpiryTimestamp: now + 3600,
      });
      expect(ok.status).toBe(200);
      expect(ok.body.tokenInfo.tokenExpiryTimestamp).toBe(now + 3600);
    });

    it("one lists and deletes one's own access tokens; deleting kills the access and refresh tokens", async () => {
      const res = await post('/api/v4/accesstoken', op.token, { tokenName: 'to-delete' });
      const { accessTokenId, accessToken, refreshToken } = res.body.tokenInfo;
      const list = await http(s.url, 'GET', '/api/v4/accesstoken', { token: op.token });
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { accessTokenId: number }) => i.accessTokenId)).toContain(accessTokenId);
      expect(list.text).not.toContain(accessToken);
      expect(
        (await http(s.url, 'DELETE', `/api/v4/accesstoken/${accessTokenId}`, { token: admin })).status,
      ).toBe(404);
      expect(
        (await http(s.url, 'DELETE', `/api/v4/accesstoken/${accessTokenId}`, { token: op.token })).status,
      ).toBe(204);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: accessToken })).status).toBe(401);
      // RFC 6749 §5.2 (issue 14): a revoked refresh token is 400 invalid_grant (it was 401).
      expect(
        (await http(s.url, 'POST', '/api/v1/token/refresh', { json: { refresh_token: refreshToken } }))
          .status,
      ).toBe(400);
    });

    it('a Reader may not create access tokens, and nobody may without a credential', async () => {
      const reader = await makeIdentity(s.url, admin, 'reader', ['Reader']);
      expect((await post('/api/v4/accesstoken', reader.token, { tokenName: 'r' })).status).toBe(403);
      expect((await http(s.url, 'POST', '/api/v4/accesstoken', { json: { tokenName: 'r' } })).status).toBe(
        401,
      );
    });
  });
}
