import { createHash } from 'node:crypto';
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

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

function record(over: Record<string, unknown> = {}) {
  return {
    kind: 'app',
    token_hash: sha256(`value-${Math.random()}`),
    hint: 'abcd',
    name: 'moved',
    description: '',
    identity: 'admin',
    roles: ['Administrator'],
    scope: 'all',
    apiEndpoints: null,
    created: '2026-01-01T00:00:00Z',
    expiration: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    revoked: false,
    revokedDate: null,
    ...over,
  };
}

for (const dialect of DIALECTS) {
  describe(`GET /api/v1/apptoken/export and POST /api/v1/apptoken/import-hashes [${dialect}]`, () => {
    let s: TestServer;
    let admin: string;
    let operator: string;
    let tokenAdmin: string;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect));
      admin = await adminToken(s.url);
      operator = (await makeIdentity(s.url, admin, 'olga', ['Operator'])).token;
      await http(s.url, 'POST', '/api/v1/role', {
        token: admin,
        json: {
          name: 'TokenAdmin',
          // Importing hashes needs tokens:import (SPEC §10), and tokens:grant-any for others.
          permissions: [
            'tokens:read',
            'tokens:read-any',
            'tokens:grant',
            'tokens:grant-any',
            'tokens:import',
          ],
        },
      });
      tokenAdmin = (await makeIdentity(s.url, admin, 'tina', ['TokenAdmin'])).token;
    });
    afterAll(async () => s?.close());

    it('export needs tokens:read-any, import needs tokens:grant-any', async () => {
      expect((await http(s.url, 'GET', '/api/v1/apptoken/export')).status).toBe(401);
      const exp = await http(s.url, 'GET', '/api/v1/apptoken/export', { token: operator });
      expect(exp.status).toBe(403);
      expect(exp.body.code).toBe('permission_denied');
      const imp = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: operator,
        json: [record()],
      });
      expect(imp.status).toBe(403);
      expect((await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', { json: [record()] })).status).toBe(
        401,
      );
    });

    it('export is not captured by /apptoken/:id, pages by cursor, and never carries a value', async () => {
      const all: Array<{ id: number; token_hash: string }> = [];
      let after = 0;
      for (let i = 0; i < 10; i++) {
        const page = await http(s.url, 'GET', `/api/v1/apptoken/export?limit=2&after=${after}`, {
          token: admin,
        });
        expect(page.status).toBe(200);
        expect(page.text).not.toContain(admin);
        expect(page.text).not.toContain(operator);
        for (const item of page.body.items) expect(item).not.toHaveProperty('token');
        all.push(...page.body.items);
        if (page.body.next === null) break;
        after = page.body.next;
      }
      const total = (await http(s.url, 'GET', '/api/v1/apptoken/export', { token: admin })).body.total;
      expect(all).toHaveLength(total);
      expect(new Set(all.map((r) => r.id)).size).toBe(total);
      expect(all.find((r) => r.token_hash === sha256(admin))).toBeTruthy();
    });

    it('a value this instance never saw authenticates once its hash is imported (no signing key involved)', async () => {
      const foreign = 'eyJhbGciOiJIUzI1NiJ9.a-token-from-elsewhere.signature-we-never-check';
      expect((await http(s.url, 'GET', '/api/v1/me', { token: foreign })).status).toBe(401);
      const res = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: admin,
        json: [
          record({
            token_hash: sha256(foreign),
            hint: foreign.slice(-4),
            identity: 'OLGA',
            roles: ['operator'],
          }),
        ],
      });
      expect(res.body).toEqual({ imported: 1, skipped: [] });
      const me = await http(s.url, 'GET', '/api/v1/me', { token: foreign });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ identity: { name: 'olga' }, roles: ['Operator'] });
      const again = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: admin,
        json: [record({ token_hash: sha256(foreign), hint: 'gain' })],
      });
      expect(again.body).toEqual({ imported: 0, skipped: [{ hint: 'gain', reason: 'exists' }] });
    });

    it('records that a grant would refuse are skipped with their reason, the rest imported', async () => {
      const res = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: tokenAdmin,
        json: [
          record({ hint: 'ok01', identity: 'tina', roles: ['TokenAdmin'] }),
          record({ hint: 'adm1' }), // Administrator is worth more than the caller
          record({ hint: 'nobd', identity: 'nobody' }),
          record({ hint: 'role', identity: 'olga', roles: ['NoSuchRole'] }),
          record({ hint: 'held', identity: 'olga', roles: ['Reader'] }),
          record({ hint: 'long', identity: 'olga', roles: ['Operator'], expiration: '2999-01-01T00:00:00Z' }),
          record({ hint: 'kind', kind: 'refresh', identity: 'olga', roles: ['Operator'] }),
          record({ hint: 'hash', token_hash: 'z'.repeat(64) }),
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.imported).toBe(1);
      expect(
        Object.fromEntries(res.body.skipped.map((x: { hint: string; reason: string }) => [x.hint, x.reason])),
      ).toEqual({
        adm1: 'role_not_held',
        nobd: 'unknown_identity',
        role: 'unknown_role',
        held: 'role_not_held',
        long: 'lifetime_exceeded',
        kind: 'unsupported_kind',
        hash: 'invalid_hash',
      });
      const audit = await http(s.url, 'GET', '/api/v1/audit?action=token.import_hashes', { token: admin });
      expect(audit.body.items[0]).toMatchObject({
        actor: { name: 'tina' },
        details: { received: 8, imported: 1, skipped: 7, reasons: { role_not_held: 2 } },
      });
    });

    it('a batch over 500 records or a malformed body is a 400 and changes nothing', async () => {
      const before = (await http(s.url, 'GET', '/api/v1/apptoken/export', { token: admin })).body.total;
      const big = Array.from({ length: 501 }, () => record());
      expect(
        (await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', { token: admin, json: big })).status,
      ).toBe(400);
      for (const [body, code] of [
        [[], 'invalid_request'],
        [{}, 'invalid_request'],
        [[{ token_hash: 'x' }], 'invalid_request'],
        // A record carrying a value is refused, never stored: the field does not exist.
        [[record({ token: 'a-value', roles: 'Administrator' })], 'unknown_field'],
      ] as const) {
        const res = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', { token: admin, json: body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe(code);
      }
      expect((await http(s.url, 'GET', '/api/v1/apptoken/export', { token: admin })).body.total).toBe(before);
      // Regression: numbers beyond the id column or beyond doubles were 500s.
      for (const q of ['after=2147483648', 'after=1e309', 'limit=Infinity', 'after=-1']) {
        const res = await http(s.url, 'GET', `/api/v1/apptoken/export?${q}`, { token: admin });
        expect(res.status, q).toBe(400);
      }
      const inf = await http(s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: admin,
        body: JSON.stringify([record({ id: 1 })]).replace('"id":1', '"id":1e309'),
        headers: { 'content-type': 'application/json' },
      });
      expect(inf.status).toBe(400);
    });
  });
}
