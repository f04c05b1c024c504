// HTTP Basic on every API route (issue 14 item 3): username = an identity's name or email,
// password = one of its live app or personal tokens; and WWW-Authenticate on every 401 (item 4).
import { ASYMMETRIC_ALGORITHMS, OAUTH_PATHS } from '@tokenward/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  type StoreHandle,
  startApp,
  type TestServer,
} from './helpers.js';

const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});
const form = (params: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
});

for (const dialect of DIALECTS) {
  describe(`HTTP Basic and WWW-Authenticate [${dialect}]`, () => {
    let store: StoreHandle;
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string };
    let reader: { id: number; token: string };
    let pat: string;

    beforeAll(async () => {
      store = freshStore(dialect);
      s = await startApp(store);
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'op', ['Operator']);
      reader = await makeIdentity(s.url, admin, 'reader', ['Reader']);
      const p = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: op.token,
        json: { name: 'pat' },
      });
      pat = p.body.token;
    });

    afterAll(async () => {
      await s?.close();
    });

    // RFC 6750 §3 (issue 14 item 4): 401s carried no WWW-Authenticate.
    it('every 401 of the API names its scheme; error=invalid_token only when a credential was sent', async () => {
      const none = await http(s.url, 'GET', '/api/v1/apptoken');
      expect(none.status).toBe(401);
      // Both schemes the API takes tokens by (RFC 6750 §3, RFC 9449 §7.1); Basic is not offered,
      // so browsers never pop up a password dialog for the console's calls.
      const dpop = `DPoP realm="tokenward", algs="${ASYMMETRIC_ALGORITHMS.join(' ')}"`;
      expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="tokenward", ${dpop}`);
      const bad = await http(s.url, 'GET', '/api/v1/apptoken', { token: 'tw_app_nope' });
      expect(bad.headers.get('www-authenticate')).toBe(
        `Bearer realm="tokenward", error="invalid_token", ${dpop}`,
      );
    });

    describe('HTTP Basic on every API route', () => {
      it('username = name or email, password = an app or personal token of that identity', async () => {
        for (const [user, token] of [
          ['op', op.token],
          ['OP@example.com', op.token],
          ['op', pat],
        ] as const) {
          const me = await http(s.url, 'GET', '/api/v1/me', { headers: basic(user, token) });
          expect(me.status, user).toBe(200);
          expect(me.body.identity.id).toBe(op.id);
        }
      });

      it('a username that does not name the token’s identity, or a token of another kind, is 401', async () => {
        const v4 = await http(s.url, 'POST', '/api/v4/accesstoken', {
          headers: { authtoken: op.token },
          json: { tokenName: 'rt2', tokenType: 'DEFAULT' },
        });
        for (const [user, token] of [
          ['reader', op.token],
          [String(op.id), op.token],
          ['op', v4.body.tokenInfo.refreshToken],
          ['op', 'tw_app_nope'],
        ] as const) {
          const res = await http(s.url, 'GET', '/api/v1/me', { headers: basic(user, token) });
          expect(res.status, user).toBe(401);
          expect(res.headers.get('www-authenticate')).toBeTruthy();
        }
        // Basic and a different Bearer-style credential: two credentials.
        const two = await http(s.url, 'GET', '/api/v1/me', {
          headers: { ...basic('op', op.token), 'x-tokenward-authorization': reader.token },
        });
        expect(two.status).toBe(400);
      });

      it('property: whatever username and token are combined, Basic yields the token’s own identity or nothing', async () => {
        const tokens = [op.token, pat, reader.token, admin, 'tw_app_garbage'];
        const users = [
          'op',
          'op@example.com',
          'reader',
          'reader@example.com',
          'admin',
          String(op.id),
          'nobody',
        ];
        const owner = new Map<string, number>([
          [op.token, op.id],
          [pat, op.id],
          [reader.token, reader.id],
        ]);
        const names = new Map<number, string[]>([
          [op.id, ['op', 'op@example.com']],
          [reader.id, ['reader', 'reader@example.com']],
        ]);
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...users), fc.constantFrom(...tokens), async (user, token) => {
            const res = await http(s.url, 'GET', '/api/v1/me', { headers: basic(user, token) });
            if (res.status === 200) {
              const id = res.body.identity.id;
              expect(owner.get(token) ?? id).toBe(id);
              if (owner.has(token)) expect(names.get(id)).toContain(user.toLowerCase());
            } else expect([401, 429]).toContain(res.status);
          }),
          { numRuns: 40 },
        );
      });

      it('failed Basic credentials count toward the guessing limit', async () => {
        const store2 = freshStore(dialect);
        const limited = await startApp(store2, { config: { authFailureMax: 3 } });
        try {
          const statuses: number[] = [];
          for (let i = 0; i < 5; i++) {
            statuses.push(
              (await http(limited.url, 'GET', '/api/v1/me', { headers: basic('admin', `tw_app_guess${i}`) }))
                .status,
            );
          }
          expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
          expect(statuses.at(-1)).toBe(429);
          const client = await http(
            limited.url,
            'POST',
            OAUTH_PATHS.token,
            form({ grant_type: 'client_credentials' }, basic('admin', 'tw_app_x')),
          );
          expect(client.status).toBe(429);
        } finally {
          await limited.close();
        }
      });
    });
  });
}
