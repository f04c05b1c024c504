import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { DialectName, StoreConfig } from '../dialect.js';
import { openStore, type Store } from '../store.js';

/** The stores the package's tests run against: SQLite always, PostgreSQL when configured. */
export const DIALECTS: DialectName[] = process.env.TOKENWARD_TEST_DATABASE_URL
  ? ['sqlite', 'postgres']
  : ['sqlite'];

/**
 * A fresh, migrated store (a temp SQLite file or a new PostgreSQL schema), its config (to open
 * a second instance on it) and its removal.
 */
export async function openTestStore(
  dialect: DialectName,
  prefix: string,
): Promise<{ store: Store; config: StoreConfig; drop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `tokenward-${prefix}-`));
  const schema = `tw_${prefix}_${randomBytes(5).toString('hex')}`;
  const config: StoreConfig =
    dialect === 'sqlite'
      ? { dialect, file: join(dir, 'store.db') }
      : { dialect, url: process.env.TOKENWARD_TEST_DATABASE_URL!, schema };
  const store = await openStore(config);
  await store.migrate();
  return {
    store,
    config,
    async drop() {
      if (dialect === 'postgres') await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(store.db);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
