import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  makeIdentity,
  signIn,
  startApp,
  type TestServer,
} from './helpers.js';

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

for (const dialect of DIALECTS) {
  describe(`refresh rotation, exchange, introspection, revocation [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let op: { id: number; token: string; password: string };

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      op = await makeIdentity(s.url, admin, 'op', ['Operator', 'Reader']);
    });
    afterAll(async () => s?.close());

    const grant = async () =>
      (
        await http(s.url, 'POST', '/api/v4/accesstoken', {
          headers: { authtoken: op.token },
          json: { tokenName: 'r' },
        })
      ).body.tokenInfo;

    it('a refresh token rotates on every use: new access and refresh tokens, the old refresh is spent', async () => {
      const first = await grant();
      const r1 = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: first.refreshToken },
      });
      expect(r1.status).toBe(200);
      expect(r1.body.token_type).toBe('Bearer');
      expect(r1.body.refresh_token).not.toBe(first.refreshToken);
      expect(r1.body.refreshToken).toBe(r1.body.refresh_token);
      expect(r1.body.refreshTokenExpiryTimestamp).toBe(first.renewableUntilTimestamp);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: r1.body.access_token })).status).toBe(
        200,
      );
      // Form-encoded, the OAuth way.
      const r2 = await http(s.url, 'POST', '/api/v1/token/refresh', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: r1.body.refresh_token,
        }).toString(),
      });
      expect(r2.status).toBe(200);
    });

    it('presenting a spent refresh token revokes the whole family and is audited', async () => {
      const first = await grant();
      const r1 = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: first.refreshToken },
      });
      const r2 = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: r1.body.refresh_token },
      });
      expect(r2.status).toBe(200);
      // The first refresh token was stolen and replayed.
      const replay = await http(s.url, 'POST', '/api/v1/token/refresh', {
        json: { refresh_token: first.refreshToken },
      });
      // RFC 6749 §5.2 (issue 14): a spent refresh token is 400 invalid_grant (it was 401).
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      for (const access of [first.accessToken, r1.body.access_token, r2.body.access_token]) {
        expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: access })).status).toBe(401);
      }
      expect(
        (
          await http(s.url, 'POST', '/api/v1/token/refresh', {
            json: { refresh_token: r2.body.refresh_token },
          })
        ).status,
      ).toBe(400);
      const audit = await http(s.url, 'GET', '/api/v1/audit?action=token.refresh_reuse', { token: admin });
      expect(audit.body.total).toBeGreaterThanOrEqual(1);
      expect(audit.text).not.toContain(first.refreshToken);
    });

    it('two concurrent uses of one refresh token: at most one succeeds, and the family ends up revoked', async () => {
      const first = await grant();
      const [a, b] = await Promise.all([
        http(s.url, 'POST', '/api/v1/token/refresh', { json: { refresh_token: first.refreshToken } }),
        http(s.url, 'POST', '/api/v1/token/refresh', { json: { refresh_token: first.refreshToken } }),
      ]);
      // Either the race is decided before the winner issues (one 200) or during it (both 400
      // invalid_grant; 401 before issue 14).
      expect([a.status, b.status]).toContain(400);
      expect([a.status, b.status].filter((x) => x === 200).length).toBeLessThanOrEqual(1);
      for (const r of [a, b].filter((x) => x.status === 200)) {
        expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: r.body.access_token })).status).toBe(
          401,
        );
        expect(
          (
            await http(s.url, 'POST', '/api/v1/token/refresh', {
              json: { refresh_token: r.body.refresh_token },
            })
          ).status,
        ).toBe(400);
      }
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: first.accessToken })).status).toBe(401);
    });

    it('introspection: full claims for an active token, {active:false} alone otherwise, and a credential is required', async () => {
      const first = await grant();
      const active = await http(s.url, 'POST', '/api/v1/token/introspect', {
        token: admin,
        json: { token: first.accessToken },
      });
      expect(active.status).toBe(200);
      // Issue 14 item 5: token_type is the RFC 7662 one (Bearer); the kind has its own member.
      expect(active.body).toMatchObject({
        active: true,
        sub: String(op.id),
        username: 'op',
        token_type: 'Bearer',
        kind: 'access',
        iss: s.app.tw.config.issuer,
      });
      expect(active.body.roles).toEqual(['Operator', 'Reader']);
      const form = await http(s.url, 'POST', '/api/v1/token/introspect', {
        token: admin,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(op.token)}&token_type_hint=access_token`,
      });
      expect(form.body).toMatchObject({ active: true, token_type: 'Bearer', kind: 'app' });
      const typo = first.refreshToken.slice(0, -1) + (first.refreshToken.endsWith('x') ? 'y' : 'x');
      for (const dead of ['tw_app_nope', 'not-a-token-at-all-0123456789', typo]) {
        const r = await http(s.url, 'POST', '/api/v1/token/introspect', {
          token: admin,
          json: { token: dead },
        });
        expect(r.body).toEqual({ active: false });
      }
      expect(
        (await http(s.url, 'POST', '/api/v1/token/introspect', { json: { token: first.accessToken } }))
          .status,
      ).toBe(401);
    });

    it('RFC 7009 revocation answers 200 for unknown tokens and revokes known ones', async () => {
      const first = await grant();
      expect(
        (await http(s.url, 'POST', '/api/v1/token/revoke', { json: { token: 'unknown-token-value-123456' } }))
          .status,
      ).toBe(200);
      const r = await http(s.url, 'POST', '/api/v1/token/revoke', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(first.refreshToken)}&token_type_hint=refresh_token`,
      });
      expect(r.status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: first.accessToken })).status).toBe(401);
      const i = await http(s.url, 'POST', '/api/v1/token/introspect', {
        token: admin,
        json: { token: first.refreshToken },
      });
      expect(i.body).toEqual({ active: false });
    });

    it('seed 002: an app signs its user in and exchanges the session for a short-lived, down-scoped token naming the app', async () => {
      // Acting for another identity needs tokens:exchange (SPEC §10): the app gets it by a role.
      const role = await http(s.url, 'POST', '/api/v1/role', {
        token: admin,
        json: { name: 'Delegator', permissions: ['tokens:exchange'] },
      });
      expect(role.status, role.text).toBe(201);
      const app = await makeIdentity(s.url, admin, 'dashboard-app', ['Reader', 'Delegator']);
      const user = await signIn(s.url, 'op', op.password);
      const sessionSecret = /tw_session=([^;]+)/.exec(user.cookie)![1]!;
      const res = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: app.token,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: sessionSecret,
          subject_token_type: 'urn:tokenward:params:oauth:token-type:session',
          scope: 'Reader',
        }).toString(),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        token_type: 'Bearer',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        scope: 'Reader',
      });
      expect(res.body.expires_in).toBeLessThanOrEqual(15 * 60);
      const c = claims(res.body.access_token);
      expect(c).toMatchObject({
        sub: String(op.id),
        roles: ['Reader'],
        act: { sub: String(app.id), name: 'dashboard-app' },
      });
      const sessions = await http(s.url, 'GET', '/api/v1/usersession', { token: res.body.access_token });
      expect(sessions.status).toBe(200);
      expect(sessions.body.items.every((x: { identityId: number }) => x.identityId === op.id)).toBe(true);
      // Down-scoped: Reader cannot grant, although the user (Operator) could.
      expect(
        (await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: res.body.access_token, json: {} }))
          .status,
      ).toBe(403);
    });

    it('an exchange cannot ask for more than the subject holds, and needs a valid subject token', async () => {
      const more = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: admin,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: op.token,
          scope: 'Administrator',
        },
      });
      // RFC 6749 §5.2 (issue 14): a scope not held is 400 invalid_scope (it was 403).
      expect(more.status).toBe(400);
      expect(more.body.error).toBe('invalid_scope');
      expect(more.body.code).toBe('invalid_scope');
      const perm = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: admin,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: op.token,
          scope: 'audit:read',
        },
      });
      expect(perm.status).toBe(400);
      expect(perm.body.error).toBe('invalid_scope');
      const bad = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: admin,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: 'tw_app_forged',
        },
      });
      // RFC 8693 §2.2.2 (issue 14): an invalid subject_token is 400 invalid_request (it was 401).
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_request');
      // Narrowing one's own token to one permission (the caller is the subject's holder): the
      // token can read tokens but not grant.
      const narrow = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: op.token,
        json: {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: op.token,
          scope: 'tokens:read',
        },
      });
      expect(narrow.status).toBe(200);
      expect(claims(narrow.body.access_token).act).toBeUndefined();
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: narrow.body.access_token })).status).toBe(
        200,
      );
      expect(
        (await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: narrow.body.access_token, json: {} }))
          .status,
      ).toBe(403);
    });

    it('revoking the app token a delegated token came from revokes the delegated token', async () => {
      const user = await makeIdentity(s.url, admin, 'user2', ['Reader']);
      const ex = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: user.token,
        json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: user.token },
      });
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: ex.body.access_token })).status).toBe(
        200,
      );
      const own = await http(s.url, 'GET', '/api/v1/apptoken', { token: user.token });
      const id = own.body.items[0].id;
      expect((await http(s.url, 'DELETE', `/api/v1/apptoken/${id}`, { token: admin })).status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: ex.body.access_token })).status).toBe(
        401,
      );
    });

    it('a session cookie keeps working for the console alongside all this', async () => {
      const session = await signIn(s.url, 'admin', ADMIN_PASSWORD);
      expect((await http(s.url, 'GET', '/api/v1/me', { cookie: session.cookie })).status).toBe(200);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`exchange down-scoping by role [${dialect}]`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
    });
    afterAll(async () => s?.close());

    it('an Operator may exchange for a Reader token (its permissions are covered), not for Administrator', async () => {
      const admin = await adminToken(s.url);
      const op = await makeIdentity(s.url, admin, 'only-operator', ['Operator']);
      const ex = (scope: string) =>
        http(s.url, 'POST', '/api/v1/token/exchange', {
          token: op.token,
          json: {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: op.token,
            scope,
          },
        });
      const reader = await ex('Reader');
      expect(reader.status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: reader.body.access_token })).status).toBe(
        200,
      );
      expect(
        (await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: reader.body.access_token, json: {} }))
          .status,
      ).toBe(403);
      // Issue 14 item 5: a scope not held is 400 invalid_scope (RFC 6749 §5.2), not 403.
      expect((await ex('Administrator')).status).toBe(400);
    });
  });
}
