import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  DIALECTS,
  freshStore,
  http,
  type Json,
  signIn,
  startApp,
  type TestServer,
} from './helpers.js';
import { uniqueName } from './test-kit.js';

/**
 * SPEC §2/§4 and STYLE "Security habits": a token value, password, session cookie or CSRF token
 * never reaches a log line, an error body, the token list or the audit log.
 */
for (const dialect of DIALECTS) {
  describe(`secrets stay out of logs and responses [${dialect}]`, () => {
    let s: TestServer;
    const secrets = new Map<string, string>();
    const errorBodies: string[] = [];
    let tokenList = '';
    let auditLog = '';

    const keep = (res: Json) => {
      if (res.status >= 400) errorBodies.push(res.text);
      return res;
    };

    beforeAll(async () => {
      s = await startApp(freshStore(dialect), { config: { logLevel: 'info' } });
      const base = s.url;
      secrets.set('admin password', ADMIN_PASSWORD);

      // Sign-in with a password: the cookie value and CSRF token are secrets too.
      const session = await signIn(base, 'admin', ADMIN_PASSWORD);
      secrets.set('session cookie', session.cookie.match(/tw_session=([^;]+)/)![1]!);
      secrets.set('csrf token', session.csrf);
      const viaCookie = { cookie: session.cookie, headers: { 'x-csrf-token': session.csrf } };

      // Grants, through the session (GET, as seed 001 does, and POST) and through a token.
      const g1 = keep(await http(base, 'GET', '/api/v1/apptoken/grant', { cookie: session.cookie }));
      const admin = g1.body.token as string;
      secrets.set('granted token (GET)', admin);
      const g2 = keep(
        await http(base, 'POST', '/api/v1/apptoken/grant', { ...viaCookie, json: { name: 'ci' } }),
      );
      secrets.set('granted token (POST)', g2.body.token);
      const created = keep(
        await http(base, 'POST', '/api/v1/identity', {
          token: admin,
          json: { name: 'someone', roles: ['Operator'], password: 'someone-s-password-1' },
        }),
      );
      secrets.set('identity password', 'someone-s-password-1');
      const g3 = keep(
        await http(base, 'POST', `/api/v1/apptoken/grant/${created.body.id}`, { token: admin, json: {} }),
      );
      secrets.set('token granted to another', g3.body.token);

      // Import of a known value.
      const legacy = uniqueName('legacy-secret-value-0123456789');
      secrets.set('imported value', legacy);
      keep(
        await http(base, 'POST', '/api/v1/apptoken', {
          token: admin,
          json: { Token: legacy, Identity: { Name: 'admin' } },
        }),
      );
      // Importing it again is refused: the refusal must not echo it.
      keep(
        await http(base, 'POST', '/api/v1/apptoken', {
          token: admin,
          json: { token: legacy, identity: 'admin' },
        }),
      );

      // Use the tokens in every header, and in the query string.
      keep(await http(base, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${g2.body.token}` } }));
      keep(await http(base, 'GET', '/api/v1/me', { headers: { authtoken: legacy } }));
      keep(
        await http(base, 'GET', '/api/v1/me', {
          headers: { 'x-psu-authorization': `Bearer ${g3.body.token}` },
        }),
      );
      keep(await http(base, 'GET', '/api/v1/me', { headers: { 'x-tokenward-authorization': admin } }));
      keep(
        await http(base, 'GET', `/api/v1/apptoken?personalToken=${admin}&token=${legacy}`, { token: admin }),
      );
      keep(await http(base, 'GET', `/api/v1/apptoken?personalToken=${admin}&token=${legacy}`));
      keep(await http(base, 'GET', `/api/v1/no-such-route?access_token=${admin}`));
      // Two different credentials at once, and a malformed body carrying a token.
      keep(
        await http(base, 'GET', '/api/v1/me', {
          headers: { authorization: `Bearer ${admin}`, authtoken: legacy },
        }),
      );
      keep(
        await http(base, 'POST', '/api/v1/apptoken', {
          token: admin,
          headers: { 'content-type': 'application/json' },
          body: `{"token": "${legacy}", "identity":`,
        }),
      );

      // Revoke, then use the revoked token.
      keep(await http(base, 'DELETE', `/api/v1/apptoken/${g2.body.id}`, { token: admin }));
      keep(await http(base, 'GET', '/api/v1/me', { token: g2.body.token }));

      // Failed sign-ins: a wrong password, and a password typed where the username goes.
      const wrong = 'not-the-right-password-42';
      secrets.set('wrong password', wrong);
      keep(await http(base, 'POST', '/api/v1/signin', { json: { username: 'admin', password: wrong } }));
      keep(await http(base, 'POST', '/api/v1/signin', { json: { username: 'someone', password: wrong } }));
      keep(await http(base, 'POST', '/api/v1/signout', viaCookie));
      // The ended session's cookie, once more.
      keep(await http(base, 'GET', '/api/v1/me', { cookie: session.cookie }));

      tokenList = (await http(base, 'GET', '/api/v1/apptoken?kind=all&limit=500', { token: admin })).text;
      auditLog = (await http(base, 'GET', '/api/v1/audit?limit=500', { token: admin })).text;
      // Graceful close flushes whatever is still buffered into the log.
      await s.stop();
    });
    afterAll(async () => s?.close());

    it('the flows ran and were logged: request lines exist and the query string was redacted', () => {
      expect(secrets.size).toBe(9);
      expect(errorBodies.length).toBeGreaterThanOrEqual(8);
      expect(tokenList).toContain('"items"');
      expect(auditLog).toContain('token.import');
      const logs = s.logs.join('\n');
      expect(s.logs.length).toBeGreaterThan(20);
      expect(logs).toContain('/api/v1/apptoken?personalToken=[REDACTED]&token=[REDACTED]');
      expect(logs).toContain('access_token=[REDACTED]');
    });

    it('no secret appears in any server log line', () => {
      const logs = s.logs.join('\n');
      for (const [what, value] of secrets) expect(logs, what).not.toContain(value);
    });

    it('no secret appears in any error response body', () => {
      const bodies = errorBodies.join('\n');
      for (const [what, value] of secrets) expect(bodies, what).not.toContain(value);
    });

    it('no secret appears in the token list', () => {
      for (const [what, value] of secrets) expect(tokenList, what).not.toContain(value);
    });

    it('no secret appears in the audit log', () => {
      for (const [what, value] of secrets) expect(auditLog, what).not.toContain(value);
    });

    it('not even the random part of a token leaks (only its last four characters, the hint)', () => {
      const everything = [s.logs.join('\n'), errorBodies.join('\n'), tokenList, auditLog].join('\n');
      for (const [what, value] of secrets) {
        if (!value.startsWith('tw_')) continue;
        const random = value.slice(7, -4);
        expect(random.length).toBeGreaterThan(40);
        expect(everything, what).not.toContain(random);
      }
    });
  });
}
