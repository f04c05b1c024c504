import { hashToken } from '@tokenward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startApp, type TestServer } from '../helpers.js';
import { expectErrorShape, type Holder, identityWithToken, uniqueName } from '../test-kit.js';
import { tokenSnapshot } from './regression-kit.js';

const READER_PERMISSIONS = ['tokens:read', 'identities:read'];
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/** Bodies that name a column or property the PATCH routes do not take, with the field to name. */
function forbiddenBodies(chosenValue: string): Array<{ field: string; body: Record<string, unknown> }> {
  return [
    { field: 'identity_id', body: { identity_id: 1 } },
    { field: 'roles', body: { roles: '["Administrator"]' } },
    { field: 'expires_at_ms', body: { expires_at_ms: Date.now() + TEN_YEARS_MS } },
    { field: 'token_hash', body: { token_hash: hashToken(chosenValue) } },
    { field: 'revoked', body: { revoked: 1 } },
    { field: 'revoked', body: { revoked: false } },
    { field: 'foo', body: { foo: 1 } },
    { field: 'foo', body: { name: 'fine', foo: 1 } },
  ];
}

for (const dialect of DIALECTS) {
  describe(`PATCH of a token changes only its name and description [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let reader: Holder;
    let op: Holder;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      reader = await identityWithToken(s.url, admin, uniqueName('reader'), ['Reader']);
      op = await identityWithToken(s.url, admin, uniqueName('operator'), ['Operator']);
    });
    afterAll(async () => s?.close());

    const createPat = async (holder: Holder) => {
      const res = await http(s.url, 'POST', '/api/v1/PersonalTokens', {
        token: holder.token,
        json: { name: 'p' },
      });
      expect(res.status, res.text).toBe(200);
      return res.body as { id: number; token: string };
    };

    it("a Reader cannot make its personal token an administrator's by PATCHing identity_id and roles", async () => {
      // Issue 12 item 1: PATCH /api/v1/PersonalTokens/{id} wrote any column, so a Reader's PAT
      // became an Administrator token of identity 1.
      const pat = await createPat(reader);
      const before = await tokenSnapshot(s.url, admin, pat.id);
      const res = await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.id}`, {
        token: reader.token,
        json: { name: 'p', identity_id: 1, roles: '["Administrator"]' },
      });
      expect(res.status, res.text).toBe(400);
      expectErrorShape(res, 'unknown_field');
      expect(res.body.errorMessage).toMatch(/identity_id|roles/);
      expect(await tokenSnapshot(s.url, admin, pat.id)).toEqual(before);

      const me = await http(s.url, 'GET', '/api/v1/me', { token: pat.token });
      expect(me.status, me.text).toBe(200);
      expect(me.body.identity.id).toBe(reader.id);
      expect(me.body.identity.name).toBe(reader.name);
      expect(me.body.roles).not.toContain('Administrator');
      for (const p of me.body.permissions as string[]) expect(READER_PERMISSIONS).toContain(p);
      // And it still cannot do what only an administrator may.
      const write = await http(s.url, 'POST', '/api/v1/identity', {
        token: pat.token,
        json: { name: uniqueName('x'), roles: ['Reader'] },
      });
      expect(write.status, write.text).toBe(403);
    });

    it('every column or unknown property in a personal-token PATCH is refused with unknown_field naming it, and nothing changes', async () => {
      // Issue 12 item 1: identity_id, roles, expires_at_ms, token_hash, revoked… were written
      // as given; {"foo":1} and {"revoked":false} answered 500.
      const pat = await createPat(reader);
      const before = await tokenSnapshot(s.url, admin, pat.id);
      const chosen = `tw_pat_${'c'.repeat(43)}`;
      for (const { field, body } of forbiddenBodies(chosen)) {
        const res = await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.id}`, {
          token: reader.token,
          json: body,
        });
        expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400);
        expectErrorShape(res, 'unknown_field');
        expect(res.body.errorMessage, JSON.stringify(body)).toContain(field);
        expect(await tokenSnapshot(s.url, admin, pat.id), JSON.stringify(body)).toEqual(before);
      }
      // The chosen hash was not written: its value does not authenticate, the real one does.
      expect((await http(s.url, 'GET', '/api/v1/me', { token: chosen })).status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: pat.token })).status).toBe(200);
    });

    it('every column or unknown property in an app-token PATCH is refused with unknown_field naming it, and nothing changes', async () => {
      // Issue 12 item 1: the same on PATCH /api/v1/apptoken/{id}: an Operator could extend its
      // own token's life or set its hash to a value of its choosing.
      const own = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
        token: op.token,
        json: { name: 'own' },
      });
      expect(own.status, own.text).toBe(200);
      const before = await tokenSnapshot(s.url, admin, own.body.id);
      const chosen = `tw_app_${'d'.repeat(49)}`;
      for (const { field, body } of forbiddenBodies(chosen)) {
        const res = await http(s.url, 'PATCH', `/api/v1/apptoken/${own.body.id}`, {
          token: op.token,
          json: body,
        });
        expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400);
        expectErrorShape(res, 'unknown_field');
        expect(res.body.errorMessage, JSON.stringify(body)).toContain(field);
        expect(await tokenSnapshot(s.url, admin, own.body.id), JSON.stringify(body)).toEqual(before);
      }
      expect((await http(s.url, 'GET', '/api/v1/me', { token: chosen })).status).toBe(401);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: own.body.token })).status).toBe(200);
    });

    it('an Operator cannot un-revoke its own token after an administrator revoked it', async () => {
      // Issue 12 item 1: {"revoked":0,"revoked_at_ms":null} on PATCH /api/v1/apptoken/{id}
      // brought a token an administrator had revoked back to life.
      const own = await http(s.url, 'POST', '/api/v1/apptoken/grant', {
        token: op.token,
        json: { name: 'doomed' },
      });
      expect(own.status, own.text).toBe(200);
      const revoked = await http(s.url, 'DELETE', `/api/v1/apptoken/${own.body.id}`, { token: admin });
      expect(revoked.status, revoked.text).toBe(200);
      const before = await tokenSnapshot(s.url, admin, own.body.id);
      expect(before.revoked).toBe(true);
      const res = await http(s.url, 'PATCH', `/api/v1/apptoken/${own.body.id}`, {
        token: op.token,
        json: { revoked: 0, revoked_at_ms: null },
      });
      expect(res.status, res.text).toBe(400);
      expectErrorShape(res, 'unknown_field');
      expect(res.body.errorMessage).toMatch(/revoked/);
      expect(await tokenSnapshot(s.url, admin, own.body.id)).toEqual(before);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: own.body.token })).status).toBe(401);
    });

    it('renaming and describing still work on both routes', async () => {
      // Issue 12 item 1 (control): the allow-list keeps the documented fields.
      const pat = await createPat(reader);
      const renamed = await http(s.url, 'PATCH', `/api/v1/PersonalTokens/${pat.id}`, {
        token: reader.token,
        json: { name: 'renamed', description: 'mine' },
      });
      expect(renamed.status, renamed.text).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'renamed', description: 'mine', identityId: reader.id });
      const app = await http(s.url, 'PATCH', `/api/v1/apptoken/${op.tokenId}`, {
        token: op.token,
        json: { description: 'ops' },
      });
      expect(app.status, app.text).toBe(200);
      expect(app.body).toMatchObject({ description: 'ops', identityId: op.id });
    });
  });
}
