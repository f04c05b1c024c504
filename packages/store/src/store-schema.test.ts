import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationNames } from './migrations/index.js';
import { openStore, type Store } from './store.js';
import { classifyStoreError } from './store-errors.js';
import { DIALECTS, openTestStore } from './test-helpers/test-store.js';

/*
 * Issue 12 item 8: readiness knows the schema. Store.schemaReady() is true only when every
 * migration of this build is applied and every table exists; schemaVersion() names the last
 * migration applied. Guards against an instance reporting ready (and answering 500s) on a store
 * whose tables were dropped, whose migration table is gone, or that was restored from an older
 * backup.
 */

const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;

async function latestMigration(): Promise<string> {
  return migrationNames().at(-1)!;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: the store knows whether its schema is this build's`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      ({ store, drop } = await openTestStore(dialect, 'schema'));
    });
    afterEach(async () => {
      await drop();
    });

    it('a migrated store is ready at the latest migration this build knows', async () => {
      expect(await store.schemaReady()).toBe(true);
      expect(await store.schemaVersion()).toBe(await latestMigration());
    });

    it('a store whose latest migration is not applied (an older backup) is not ready', async () => {
      const latest = await latestMigration();
      await sql`DELETE FROM kysely_migration WHERE name = ${latest}`.execute(store.db);
      expect(await store.schemaReady()).toBe(false);
      expect(await store.schemaVersion()).not.toBe(latest);
      // Nothing is cached: putting the row back makes it ready again.
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${latest}, ${new Date().toISOString()})`.execute(
        store.db,
      );
      expect(await store.schemaReady()).toBe(true);
    });

    it('a store with a table dropped is not ready', async () => {
      await sql`DROP TABLE audit_events`.execute(store.db);
      expect(await store.schemaReady()).toBe(false);
    });

    it('a store whose migration table was dropped is not ready and has no version', async () => {
      await sql`DROP TABLE kysely_migration`.execute(store.db);
      expect(await store.schemaReady()).toBe(false);
      expect(await store.schemaVersion()).toBeNull();
    });
  });

  describe(`${dialect}: a store never migrated`, () => {
    it('is not ready', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tokenward-unmigrated-'));
      const schema = `tw_unmigrated_${randomBytes(5).toString('hex')}`;
      const store = await openStore(
        dialect === 'sqlite' ? { dialect, file: join(dir, 'store.db') } : { dialect, url: pgUrl!, schema },
      );
      try {
        expect(await store.schemaReady()).toBe(false);
        expect(await store.schemaVersion()).toBeNull();
      } finally {
        if (dialect === 'postgres') await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(store.db);
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/*
 * Issue 12 item 8: PostgreSQL sessions carry statement_timeout, lock_timeout and
 * idle_in_transaction_session_timeout, so a held lock or a stuck statement becomes an error
 * (503) instead of a request that hangs; migrations run without the statement and lock
 * timeouts. Guards against requests waiting forever on a lock, and against instances starting
 * together failing their migration because another one holds the migration lock.
 */
describe.skipIf(!pgUrl)('postgres: session timeouts', () => {
  const schemas: string[] = [];
  const stores: Store[] = [];
  const open = async (extra: { statementTimeoutMs?: number; lockTimeoutMs?: number } = {}) => {
    const schema = `tw_timeouts_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    const store = await openStore({ dialect: 'postgres', url: pgUrl!, schema, poolMax: 2, ...extra });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
    for (const s of stores) await s.close();
  });

  const setting = async (store: Store, name: string) =>
    (await sql<{ v: string }>`SELECT current_setting(${name}) AS v`.execute(store.db)).rows[0]!.v;

  it('sessions get the default timeouts: statement 5 s, lock 2 s, idle in transaction 60 s', async () => {
    const store = await open();
    expect(await setting(store, 'statement_timeout')).toBe('5s');
    expect(await setting(store, 'lock_timeout')).toBe('2s');
    expect(await setting(store, 'idle_in_transaction_session_timeout')).toBe('1min');
  });

  it('sessions get the configured timeouts, and a statement running past them fails as unavailable', async () => {
    const store = await open({ statementTimeoutMs: 300, lockTimeoutMs: 150 });
    expect(await setting(store, 'statement_timeout')).toBe('300ms');
    expect(await setting(store, 'lock_timeout')).toBe('150ms');
    const started = Date.now();
    const err = await sql`SELECT pg_sleep(5)`.execute(store.db).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect((err as { code?: string }).code).toBe('57014');
    expect(classifyStoreError(err)).toBe('unavailable');
  });

  it('a table locked by another session fails within lock_timeout as unavailable', async () => {
    const store = await open({ statementTimeoutMs: 5000, lockTimeoutMs: 200 });
    await store.migrate();
    const holder = new pg.Client({ connectionString: pgUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schemas.at(-1)}".tokens IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const err = await sql`SELECT count(*) FROM tokens`.execute(store.db).then(
        () => null,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      expect((err as { code?: string }).code).toBe('55P03');
      expect(classifyStoreError(err)).toBe('unavailable');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });

  it('migrations are not subject to the timeouts: they wait for the migration lock another instance holds', async () => {
    const store = await open({ statementTimeoutMs: 200, lockTimeoutMs: 100 });
    const holder = new pg.Client({ connectionString: pgUrl });
    await holder.connect();
    // Kysely's migration lock (a session advisory lock, kysely/dist/esm/dialect/postgres/postgres-adapter.js).
    // Held briefly: every suite migrating on this database waits for it meanwhile.
    await holder.query(`SELECT pg_advisory_lock(3853314791062309107)`);
    const release = setTimeout(() => {
      holder.query('SELECT pg_advisory_unlock(3853314791062309107)').then(
        () => holder.end(),
        () => holder.end(),
      );
    }, 700);
    try {
      const started = Date.now();
      expect((await store.migrate()).length).toBeGreaterThan(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(await store.schemaReady()).toBe(true);
    } finally {
      clearTimeout(release);
      await holder.query('SELECT pg_advisory_unlock_all()').catch(() => {});
      await holder.end().catch(() => {});
    }
  });
});
