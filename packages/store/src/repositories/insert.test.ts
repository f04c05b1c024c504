import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CompiledQuery,
  InsertQueryNode,
  Kysely,
  type KyselyPlugin,
  type LogEvent,
  PrimitiveValueListNode,
  sql,
  ValuesNode,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDialect, type StoreConfig } from '../dialect.js';
import type { Database, NewAuditEventRow } from '../schema.js';
import { openStore, type Store } from '../store.js';
import { DIALECTS } from '../test-helpers/test-store.js';
import { insertAuditEvent } from './audit.repository.js';
import { insertIdentity } from './identity.repository.js';
import { insertToken } from './token.repository.js';

/*
 * Issue 13 item 4: every insert goes through Kysely. The hot-path inserts (grant, audit) are
 * compiled once and executed with each row's values; a handle with plugins builds each one
 * afresh so its plugins see every write. Guards against inserts that bypass Kysely (a write
 * counter plugin, as verify-no-write.test.ts has, would miss them) and against a reused
 * statement carrying the wrong row's values.
 */

/** Records the inserts a handle sends, with their values, as a plugin sees them. */
class InsertRecorder implements KyselyPlugin {
  inserts: unknown[][] = [];
  transformQuery: KyselyPlugin['transformQuery'] = ({ node }) => {
    if (InsertQueryNode.is(node)) {
      const values = node.values;
      this.inserts.push(
        values && ValuesNode.is(values)
          ? values.values.flatMap((v) => (PrimitiveValueListNode.is(v) ? v.values : []))
          : [],
      );
    }
    return node;
  };
  transformResult: KyselyPlugin['transformResult'] = async ({ result }) => result;
}

const event = (i: number): NewAuditEventRow => ({
  at_ms: 1_700_000_000_000 + i,
  actor_id: null,
  actor_name: `actor-${i}`,
  action: 'test.insert',
  outcome: 'success',
  target_type: 'test',
  target_id: String(i),
  ip: null,
  details: null,
});

for (const dialect of DIALECTS) {
  describe(`inserts through Kysely [${dialect}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenward-insert-'));
    const schema = `tw_insert_${randomBytes(5).toString('hex')}`;
    const config: StoreConfig =
      dialect === 'sqlite'
        ? { dialect, file: join(dir, 'store.db') }
        : { dialect, url: process.env.TOKENWARD_TEST_DATABASE_URL!, schema };
    let store: Store;
    let identityId: number;

    beforeAll(async () => {
      store = await openStore(config);
      await store.migrate();
      const now = Date.now();
      identityId = (
        await insertIdentity(store.db, {
          name: 'u',
          name_key: 'u',
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
        })
      ).id;
    });

    afterAll(async () => {
      if (config.dialect === 'postgres') await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(store.db);
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const token = (i: number) => ({
      kind: 'app' as const,
      tokenHash: randomBytes(32).toString('hex'),
      hint: 'abcd',
      name: `t${i}`,
      description: '',
      identityId,
      roles: ['reader'],
      endpoints: null,
      ceiling: null,
      createdAtMs: Date.now(),
      expiresAtMs: Date.now() + 60_000,
      createdBy: null,
    });

    it('a plugin sees every insert, with its own values', async () => {
      const recorder = new InsertRecorder();
      const db = store.db.withPlugin(recorder);
      for (let i = 0; i < 3; i++) await insertAuditEvent(db, event(i));
      await db.transaction().execute(async (trx) => {
        await insertToken(trx, token(0));
        await insertAuditEvent(trx, event(3));
      });
      expect(recorder.inserts).toHaveLength(5);
      for (const [n, i] of [
        [0, 0],
        [1, 1],
        [2, 2],
        [4, 3],
      ] as const) {
        expect(recorder.inserts[n]).toContain(`actor-${i}`);
      }
    });

    it('without plugins the statement is compiled once and each execution carries its row', async () => {
      const events: LogEvent[] = [];
      const { dialect: storeDialect } = createDialect(config);
      const db = new Kysely<Database>({
        dialect: storeDialect,
        log: (e) => {
          events.push(e);
        },
      });
      try {
        for (let i = 10; i < 13; i++) await insertAuditEvent(db, event(i));
        const ids: number[] = [];
        for (let i = 1; i <= 3; i++) ids.push((await insertToken(db, token(i))).id);
        const queries = events.map((e) => e.query);
        const audits = queries.filter((q) => q.sql.includes('audit_events'));
        const tokens = queries.filter((q) => q.sql.includes('tokens'));
        expect(audits).toHaveLength(3);
        expect(tokens).toHaveLength(3);
        // One compiled query, reused: same text and query id, each with its row's values.
        const sameQuery = (qs: CompiledQuery[]) => new Set(qs.map((q) => q.queryId)).size === 1;
        expect(sameQuery(audits) && sameQuery(tokens)).toBe(true);
        expect(audits.map((q) => q.parameters)).toEqual([10, 11, 12].map((i) => Object.values(event(i))));
        // The ids are the rows' own, whether the driver reports them or RETURNING does.
        const stored = await store.db
          .selectFrom('tokens')
          .select(['id', 'name'])
          .where('id', 'in', ids)
          .orderBy('id')
          .execute();
        expect(stored).toEqual(ids.map((id, i) => ({ id, name: `t${i + 1}` })));
        const rows = await store.db
          .selectFrom('audit_events')
          .select(['actor_name', 'target_id'])
          .where('at_ms', '>=', 1_700_000_000_010)
          .orderBy('at_ms')
          .execute();
        expect(rows).toEqual([10, 11, 12].map((i) => ({ actor_name: `actor-${i}`, target_id: String(i) })));
      } finally {
        await storeDialect.close();
        await db.destroy();
      }
    });
  });
}
