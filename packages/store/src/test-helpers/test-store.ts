import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DialectName, StoreConfig } from '../dialect.js';
import { openStore, type Store } from '../store.js';

// The one home of the test stores: the store package's tests and the server's (through
// apps/server/test/helpers.ts) loop over the same DIALECTS and make their stores here.

/** The stores every suite runs against: SQLite always, PostgreSQL when configured. */
export const DIALECTS: DialectName[] = process.env.TOKENWARD_TEST_DATABASE_URL
  ? ['sqlite', 'postgres']
  : ['sqlite'];

export interface StoreHandle {
  config: StoreConfig;
  /** Removes the store (temp folder or PostgreSQL schema). */
  drop(): Promise<void>;
  dataDir: string;
}

/**
 * A fresh, empty store of the given dialect, not yet opened: a temp folder with a SQLite file
 * name, or a new PostgreSQL schema name in TOKENWARD_TEST_DATABASE_URL.
 */
export function freshStore(
  dialect: DialectName,
  options: { prefix?: string; poolMax?: number } = {},
): StoreHandle {
  const prefix = options.prefix ?? 'test';
  const dataDir = mkdtempSync(join(tmpdir(), `tokenward-${prefix}-`));
  if (dialect === 'sqlite') {
    return {
      config: { dialect: 'sqlite', file: join(dataDir, 'tokenward.db') },
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.TOKENWARD_TEST_DATABASE_URL!;
  const schema = `tw_${prefix}_${randomBytes(6).toString('hex')}`;
  return {
    config: {
      dialect: 'postgres',
      url,
      schema,
      ...(options.poolMax === undefined ? {} : { poolMax: options.poolMax }),
    },
    dataDir,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** A fresh, migrated, open store (see freshStore) and its removal. */
export async function openTestStore(
  dialect: DialectName,
  prefix: string,
): Promise<{ store: Store; config: StoreConfig; drop: () => Promise<void> }> {
  const handle = freshStore(dialect, { prefix });
  const store = await openStore(handle.config);
  await store.migrate();
  return {
    store,
    config: handle.config,
    async drop() {
      await store.close();
      await handle.drop();
    },
  };
}
