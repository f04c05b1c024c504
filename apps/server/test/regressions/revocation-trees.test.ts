import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startApp, type TestServer } from '../helpers.js';
import { expectErrorShape, type Holder, identityWithToken, tokenCount, uniqueName } from '../test-kit.js';
import { exchange, verify } from './regression-kit.js';

interface TokenInfo {
  accessTokenId: number;
  accessToken: string;
}

for (const dialect of DIALECTS) {
  describe(`revoking a token revokes everything minted from it [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let op: Holder;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      op = await identityWithToken(s.url, admin, uniqueName('operator'), ['Operator']);
    });
    afterAll(async () => s?.close());

    const accessToken = async (authtoken: string, body: Record<string, unknown>): Promise<TokenInfo> => {
      const res = await http(s.url, 'POST', '/api/v4/accesstoken', { headers: { authtoken }, json: body });
      expect(res.status, res.text).toBe(200);
      return res.body.tokenInfo as TokenInfo;
    };

    /** An MS_SCIM token of the Operator, and a JWT the administrator obtained for it by exchange. */
    const scimAndExchanged = async () => {
      const scim = await accessToken(op.token, { tokenName: 's', tokenType: 'MS_SCIM' });
      const ex = await exchange(s.url, admin, { subject_token: scim.accessToken });
      expect(ex.status, ex.text).toBe(200);
      const jwt = ex.body.access_token as string;
      // It works before the revocation (on what the SCIM token may reach).
      expect((await verify(s.url, jwt, { method: 'GET', uri: '/scim/v2/Users' })).status).toBe(204);
      return { scim, jwt };
    };

    it('deleting an MS_SCIM token by its accessTokenId makes the JWT exchanged from it 401 at once', async () => {
      // Issue 12 item 5: the exchanged JWT's parent was not the SCIM token, so it outlived it.
      const { scim, jwt } = await scimAndExchanged();
      const del = await http(s.url, 'DELETE', `/api/v4/accesstoken/${scim.accessTokenId}`, {
        token: op.token,
      });
      expect(del.status, del.text).toBe(204);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: scim.accessToken })).status).toBe(401);
      const me = await http(s.url, 'GET', '/api/v1/me', { token: jwt });
      expect(me.status, me.text).toBe(401);
      expect((await verify(s.url, jwt, { method: 'GET', uri: '/scim/v2/Users' })).status).toBe(401);
    });

    it('revoking an MS_SCIM token with RFC 7009 revocation makes the JWT exchanged from it 401 at once', async () => {
      // Issue 12 item 5: the same through POST /api/v1/token/revoke {"token": <value>}.
      const { scim, jwt } = await scimAndExchanged();
      const rev = await http(s.url, 'POST', '/api/v1/token/revoke', { json: { token: scim.accessToken } });
      expect(rev.status, rev.text).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: scim.accessToken })).status).toBe(401);
      const me = await http(s.url, 'GET', '/api/v1/me', { token: jwt });
      expect(me.status, me.text).toBe(401);
      expect((await verify(s.url, jwt, { method: 'GET', uri: '/scim/v2/Users' })).status).toBe(401);
    });

    it('revoking a personal token revokes the JWT it authenticated and the app token that JWT granted', async () => {
      // Issue 12 item 5: PAT → PersonalTokens/authenticate JWT → POST /api/v1/apptoken/grant:
      // revoking the PAT killed the JWT but the app token lived on.
      const created = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: op.token,
        json: { name: 'p' },
      });
      expect(created.status, created.text).toBe(200);
      const pat = created.body as { id: number; token: string };
      const auth = await http(
        s.url,
        'POST',
        `/api/v1/PersonalTokens/authenticate?username=${encodeURIComponent(op.name)}&personalToken=${encodeURIComponent(pat.token)}`,
      );
      expect(auth.status, auth.text).toBe(200);
      const jwt = auth.body.token as string;
      const granted = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
        token: jwt,
        json: { name: 'child' },
      });
      expect(granted.status, granted.text).toBe(200);
      const app = granted.body.token as string;
      expect((await http(s.url, 'GET', '/api/v1/me', { token: app })).status).toBe(200);

      const revoked = await http(s.url, 'DELETE', `/api/v1/PersonalTokens/${pat.id}`, { token: op.token });
      expect(revoked.status, revoked.text).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: jwt })).status).toBe(401);
      const appAfter = await http(s.url, 'GET', '/api/v1/me', { token: app });
      expect(appAfter.status, appAfter.text).toBe(401);
      // The store says so too, not only a cache.
      const row = await http(s.url, 'GET', `/api/v1/apptoken/${granted.body.id}`, { token: admin });
      expect(row.status, row.text).toBe(200);
      expect(row.body.revoked).toBe(true);
    });

    it('a OneTouch token is refused as a token-exchange subject (single_use_credential)', async () => {
      // Issue 12 item 5: exchanging a single-use token minted a reusable 15-minute JWT from it.
      const once = await accessToken(op.token, { tokenName: 'once', tokenType: 'OneTouch' });
      const res = await exchange(s.url, admin, { subject_token: once.accessToken });
      expect(res.status, res.text).toBe(403);
      expectErrorShape(res, 'single_use_credential');
      expect(res.text).not.toMatch(/access_token/);
    });

    it('a OneTouch token cannot mint anything as a caller (single_use_credential), and nothing is minted', async () => {
      // Issue 12 item 5: a single-use token granted a year-long app token.
      const before = await tokenCount(s.url, admin, op.id);
      const attempts: Array<{ method: string; path: string; json: Record<string, unknown> }> = [
        { method: 'POST', path: '/api/v1/apptoken/grant', json: { name: 'from-onetouch' } },
        { method: 'POST', path: '/api/v1/PersonalTokens', json: { name: 'from-onetouch' } },
        { method: 'POST', path: '/api/v4/accesstoken', json: { tokenName: 'from-onetouch' } },
      ];
      for (const a of attempts) {
        const once = await accessToken(op.token, { tokenName: 'once', tokenType: 'OneTouch' });
        const minted = await tokenCount(s.url, admin, op.id);
        const res = await http(s.url, a.method, a.path, {
          headers: { authtoken: once.accessToken },
          json: a.json,
        });
        expect(res.status, `${a.path} → ${res.text}`).toBe(403);
        expectErrorShape(res, 'single_use_credential');
        expect(await tokenCount(s.url, admin, op.id), a.path).toBe(minted);
      }
      // Only the three OneTouch tokens themselves were added.
      expect(await tokenCount(s.url, admin, op.id)).toBe(before + attempts.length);
    });
  });
}
