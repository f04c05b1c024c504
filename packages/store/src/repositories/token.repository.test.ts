import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { DIALECTS, openTestStore } from '../test-helpers/test-store.js';
import { insertIdentity } from './identity.repository.js';
import { findTokenById, insertToken, recordTokenUsage } from './token.repository.js';

for (const dialect of DIALECTS) {
  describe(`token repository [${dialect}]`, () => {
    let store: Store;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      ({ store, drop } = await openTestStore(dialect, 'store'));
    });
    const newIdentity = (name: string, now: number) =>
      insertIdentity(store.db, {
        name,
        name_key: name,
        email: null,
        email_key: null,
        first_name: null,
        last_name: null,
        source: 'local',
        roles: '[]',
        enabled: 1,
        password_hash: null,
        created_at_ms: now,
        updated_at_ms: now,
      });

    afterAll(async () => {
      await drop?.();
    });

    it('batched usage updates reach every token of a flush larger than one statement chunk', async () => {
      const now = Date.now();
      const identity = await newIdentity('u', now);
      const rows = Array.from({ length: 1203 }, (_, i) => ({
        kind: 'app',
        token_hash: randomBytes(32).toString('hex'),
        hint: 'abcd',
        name: `t${i}`,
        description: '',
        identity_id: identity.id,
        roles: '[]',
        scope: 'all',
        api_endpoints: null,
        created_at_ms: now,
        expires_at_ms: now + 86_400_000,
        revoked_at_ms: null,
        last_used_at_ms: null,
        parent_id: null,
        family_id: null,
        spent_at_ms: null,
        subtype: null,
        created_by: null,
      }));
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += 300) {
        const inserted = await store.db
          .insertInto('tokens')
          .values(rows.slice(i, i + 300))
          .returning('id')
          .execute();
        ids.push(...inserted.map((r) => r.id));
      }
      await recordTokenUsage(
        store.db,
        ids.map((id, i) => ({ id, lastUsedAtMs: now + i, count: (i % 3) + 1 })),
      );
      await recordTokenUsage(store.db, [{ id: ids[0]!, lastUsedAtMs: now + 5000, count: 2 }]);
      const after = await store.db
        .selectFrom('tokens')
        .select(['id', 'last_used_at_ms', 'use_count'])
        .orderBy('id')
        .execute();
      expect(after).toHaveLength(ids.length);
      after.forEach((r, i) => {
        expect(r.last_used_at_ms).toBe(i === 0 ? now + 5000 : now + i);
        expect(r.use_count).toBe((i % 3) + 1 + (i === 0 ? 2 : 0));
      });
    });

    it('insertToken returns exactly the row the store then holds (defaults included)', async () => {
      const now = Date.now();
      const identity = await newIdentity('v', now);
      const minimal = {
        kind: 'app' as const,
        tokenHash: randomBytes(32).toString('hex'),
        hint: 'wxyz',
        name: 'minimal',
        description: 'only the required fields',
        identityId: identity.id,
        roles: ['Reader'],
        endpoints: null,
        ceiling: null,
        createdAtMs: now,
        expiresAtMs: now + 1000,
        createdBy: null,
      };
      const parent = await insertToken(store.db, { ...minimal, tokenHash: randomBytes(32).toString('hex') });
      const full = {
        ...minimal,
        kind: 'access' as const,
        tokenHash: randomBytes(32).toString('hex'),
        name: 'full',
        endpoints: ['GET /x'],
        ceiling: ['tokens:read', 'custom:*'],
        act: { sub: '1', name: 'app' },
        revokedAtMs: now,
        parentId: parent.id,
        actorTokenId: parent.id,
        familyId: parent.id,
        subtype: 'OneTouch',
        createdBy: identity.id,
        imported: true,
        scopes: ['Reader', 'billing:read'],
        jti: 'jti-of-the-jwt',
        clientId: 'app',
        audience: 'https://billing.example',
      };
      for (const token of [minimal, full, { ...minimal, tokenHash: randomBytes(32).toString('hex') }]) {
        const inserted = await insertToken(store.db, token);
        // What the repositories read back (JSON columns parsed, as every read gives them).
        expect(inserted).toEqual(await findTokenById(store.db, inserted.id));
      }
      const stored = await store.db
        .selectFrom('tokens')
        .selectAll()
        .where('name', '=', 'full')
        .executeTakeFirstOrThrow();
      expect(stored).toMatchObject({
        scope: 'custom',
        api_endpoints: '["GET /x"]',
        ceiling: '["tokens:read","custom:*"]',
        revoked: 1,
        imported: 1,
        actor_token_id: parent.id,
        scopes: '["Reader","billing:read"]',
        jti: 'jti-of-the-jwt',
        client_id: 'app',
        audience: 'https://billing.example',
      });
    });
  });
}
