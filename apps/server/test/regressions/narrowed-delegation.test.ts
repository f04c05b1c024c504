import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startApp, type TestServer } from '../helpers.js';
import { createRole, expectErrorShape, type Holder, identityWithToken, uniqueName } from '../test-kit.js';
import { claims, EXCHANGE_GRANT, exchange, verify } from './regression-kit.js';

for (const dialect of DIALECTS) {
  describe(`a narrowed delegation stays narrow [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let user: Holder;
    let reader: Holder;
    let op: Holder;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      await createRole(s.url, admin, 'Accountant', ['billing:read', 'billing:write']);
      user = await identityWithToken(s.url, admin, uniqueName('user'), ['Accountant', 'Operator']);
      reader = await identityWithToken(s.url, admin, uniqueName('reader'), ['Reader']);
      op = await identityWithToken(s.url, admin, uniqueName('operator'), ['Operator']);
    });
    afterAll(async () => s?.close());

    /** The administrator (holding tokens:exchange) acts for `user`, narrowed to billing:read (form body). */
    const narrowed = async (): Promise<string> => {
      const res = await http(s.url, 'POST', '/api/v1/token/exchange', {
        token: admin,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: EXCHANGE_GRANT,
          subject_token: user.token,
          scope: 'billing:read',
        }).toString(),
      });
      expect(res.status, res.text).toBe(200);
      const jwt = res.body.access_token as string;
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: jwt })).status).toBe(403);
      return jwt;
    };

    it('a personal token created with a billing:read delegation holds billing:read and nothing more', async () => {
      // Issue 12 item 2: POST /api/v1/PersonalTokens with a narrowed JWT minted a PAT with every
      // role of the user (Accountant, Operator): the narrowing was undone.
      const jwt = await narrowed();
      const created = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: jwt,
        json: { name: 'from-narrowed' },
      });
      expect(created.status, created.text).toBe(200);
      const pat = created.body.token as string;
      const list = await http(s.url, 'GET', '/api/v1/apptoken', { token: pat });
      expect(list.status, list.text).toBe(403);
      const write = await verify(s.url, pat, { permission: 'billing:write' });
      expect(write.status, write.text).toBe(403);
      const read = await verify(s.url, pat, { permission: 'billing:read' });
      expect(read.status, read.text).toBe(204);
    });

    it('re-exchanging a narrowed token without any caller authentication is refused with 401', async () => {
      // Issue 12 item 2: an unauthenticated exchange of the narrowed JWT (no scope) minted a
      // token with all the user's roles back.
      const jwt = await narrowed();
      const res = await exchange(s.url, undefined, { subject_token: jwt });
      expect(res.status, res.text).toBe(401);
      expectErrorShape(res);
    });

    it("re-exchanging a narrowed token with the user's own credential and no scope does not widen it", async () => {
      // Issue 12 item 2: exchange only narrows; without a scope the result keeps the
      // subject's narrowed power, not the roles listed in its row.
      const jwt = await narrowed();
      const res = await exchange(s.url, user.token, { subject_token: jwt });
      expect(res.status, res.text).toBe(200);
      const again = res.body.access_token as string;
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: again })).status).toBe(403);
      expect((await verify(s.url, again, { permission: 'billing:write' })).status).toBe(403);
      expect((await verify(s.url, again, { permission: 'billing:read' })).status).toBe(204);
    });

    it('the narrowed token does not claim roles it does not really hold (JWT roles claim, introspection)', async () => {
      // Issue 12 item 2: the narrowed JWT said roles [Accountant, Operator] although it held
      // only billing:read; a service trusting the claim would have given it billing:write.
      const jwt = await narrowed();
      const jwtRoles = (claims(jwt).roles ?? []) as string[];
      expect(jwtRoles).not.toContain('Accountant');
      expect(jwtRoles).not.toContain('Operator');
      const intro = await http(s.url, 'POST', '/api/v1/token/introspect', {
        token: admin,
        json: { token: jwt },
      });
      expect(intro.status, intro.text).toBe(200);
      expect(intro.body.active).toBe(true);
      expect(intro.body.roles as string[]).not.toContain('Accountant');
      expect(intro.body.roles as string[]).not.toContain('Operator');
    });

    it('a Reader (no tokens:exchange) may not act for another identity, and the refusal is audited', async () => {
      // Issue 12 item 2: any authenticated caller could exchange another identity's token.
      const res = await exchange(s.url, reader.token, { subject_token: user.token, scope: 'billing:read' });
      expect(res.status, res.text).toBe(403);
      expectErrorShape(res, 'permission_denied');
      const audit = await http(s.url, 'GET', '/api/v1/audit?action=token.exchange&outcome=failure', {
        token: admin,
      });
      expect(audit.status, audit.text).toBe(200);
      const byReader = (audit.body.items as Array<{ actor: { id: number | null } }>).filter(
        (e) => e.actor.id === reader.id,
      );
      expect(byReader.length, audit.text).toBeGreaterThanOrEqual(1);
      expect(audit.text).not.toContain(user.token);
    });

    it('an Operator may exchange its own token for a narrower one (scope Reader) without tokens:exchange', async () => {
      // Issue 12 item 2 (control): down-scoping oneself needs no extra permission.
      const res = await exchange(s.url, op.token, { subject_token: op.token, scope: 'Reader' });
      expect(res.status, res.text).toBe(200);
      const reading = res.body.access_token as string;
      expect((await http(s.url, 'GET', '/api/v1/apptoken', { token: reading })).status).toBe(200);
      expect((await http(s.url, 'POST', '/api/v1/apptoken/grant', { token: reading, json: {} })).status).toBe(
        403,
      );
    });
  });
}
