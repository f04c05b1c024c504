import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { classifyStoreError } from './store-errors.js';
import { DIALECTS, openTestStore } from './test-helpers/test-store.js';

/*
 * Issue 12 item 8: every store error is classified by the store layer, from real errors of the
 * real drivers: `unavailable` (not the caller's fault: 503), `bad_value` (a value from the
 * request the store cannot hold: 400), `conflict` (a constraint: 409), null (a bug: 500).
 * Guards against a schema that is missing or a server that refuses being answered 500, and
 * against a constraint violation being answered 500.
 */

const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the store to fail');
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: classifyStoreError on real store errors`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, drop } = await openTestStore(dialect, 'errs'));
    });
    afterAll(async () => {
      await drop();
    });

    it('a unique or primary-key violation is a conflict', async () => {
      const err = await failure(() =>
        store.db.connection().execute(async (c) => {
          await sql`CREATE TEMPORARY TABLE unique_probe (x integer PRIMARY KEY)`.execute(c);
          await sql`INSERT INTO unique_probe (x) VALUES (1)`.execute(c);
          await sql`INSERT INTO unique_probe (x) VALUES (1)`.execute(c);
        }),
      );
      expect(classifyStoreError(err)).toBe('conflict');
    });

    it('a table that does not exist (schema missing or behind) is unavailable, not a bug', async () => {
      const err = await failure(() => sql`SELECT * FROM no_such_table`.execute(store.db));
      expect(classifyStoreError(err)).toBe('unavailable');
    });

    it('a column that does not exist (schema behind) is unavailable', async () => {
      const read = await failure(() => sql`SELECT no_such_column FROM tokens`.execute(store.db));
      expect(classifyStoreError(read)).toBe('unavailable');
      const write = await failure(() => sql`INSERT INTO roles (no_such_column) VALUES (1)`.execute(store.db));
      expect(classifyStoreError(write)).toBe('unavailable');
    });

    it('a syntax error is a bug: not classified (500)', async () => {
      const err = await failure(() => sql`SELEKT 1`.execute(store.db));
      expect(classifyStoreError(err)).toBeNull();
    });

    it('errors that are not the store’s are not classified', () => {
      expect(classifyStoreError(new Error('boom'))).toBeNull();
      expect(classifyStoreError(null)).toBeNull();
      expect(classifyStoreError('23505')).toBeNull();
      // A code alone (an application error, a copied object) is not a PostgreSQL error.
      expect(classifyStoreError({ code: '23505', message: 'duplicate key' })).toBeNull();
      expect(classifyStoreError({ code: 'conflict' })).toBeNull();
    });
  });
}

describe('sqlite: classifyStoreError on driver errors', () => {
  let dir: string;
  let db: SQLite.Database;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokenward-errs-'));
    db = new SQLite(join(dir, 'probe.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });
  afterAll(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const thrown = (run: () => unknown): unknown => {
    try {
      run();
    } catch (err) {
      return err;
    }
    throw new Error('expected SQLite to fail');
  };

  it('a datatype mismatch and a value too big are bad values', () => {
    expect(
      classifyStoreError(thrown(() => db.prepare('INSERT INTO t (id, v) VALUES (?, ?)').run('x', 'a'))),
    ).toBe('bad_value');
    expect(classifyStoreError(thrown(() => db.prepare('SELECT zeroblob(2000000000)').get()))).toBe(
      'bad_value',
    );
  });

  it('NOT NULL and other constraints are conflicts', () => {
    expect(classifyStoreError(thrown(() => db.prepare('INSERT INTO t (id, v) VALUES (1, NULL)').run()))).toBe(
      'conflict',
    );
  });

  it('a database locked by another connection (SQLITE_BUSY) is unavailable', () => {
    const other = new SQLite(db.name);
    try {
      other.exec('BEGIN IMMEDIATE');
      db.pragma('busy_timeout = 0');
      const err = thrown(() => db.prepare("INSERT INTO t (v) VALUES ('b')").run());
      expect((err as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      expect(classifyStoreError(err)).toBe('unavailable');
    } finally {
      other.close();
    }
  });

  it('a read-only database is unavailable', () => {
    const readonly = new SQLite(db.name, { readonly: true });
    try {
      expect(classifyStoreError(thrown(() => readonly.prepare("INSERT INTO t (v) VALUES ('c')").run()))).toBe(
        'unavailable',
      );
    } finally {
      readonly.close();
    }
  });

  it('a closed database (the app shutting down) is unavailable', () => {
    const closed = new SQLite(':memory:');
    closed.close();
    expect(classifyStoreError(thrown(() => closed.prepare('SELECT 1')))).toBe('unavailable');
  });
});

describe.skipIf(!pgUrl)('postgres: classifyStoreError on server and connection errors', () => {
  let pool: pg.Pool;
  let silent: Server;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
    // Accepts connections and never answers: a server that hangs.
    silent = createServer(() => {});
    return new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await pool.end();
    silent.close();
  });

  const queryError = (text: string, values: unknown[] = []) => failure(() => pool.query(text, values));

  it('data exceptions (out of range, NUL in text, not a number) are bad values', async () => {
    for (const [text, values, code] of [
      ['SELECT 99999999999::int4', [], '22003'],
      ['SELECT $1::text', ['a\u0000b'], '22021'],
      ['SELECT $1::int4', ['abc'], '22P02'],
    ] as const) {
      const err = await queryError(text, [...values]);
      expect((err as { code?: string }).code).toBe(code);
      expect(classifyStoreError(err), code).toBe('bad_value');
    }
  });

  it('operator intervention, lock and schema errors are unavailable', async () => {
    const client = await pool.connect();
    try {
      await client.query('SET statement_timeout = 50');
      const timeout = await failure(() => client.query('SELECT pg_sleep(1)'));
      expect((timeout as { code?: string }).code).toBe('57014');
      expect(classifyStoreError(timeout)).toBe('unavailable');
    } finally {
      await client.query('RESET statement_timeout');
      client.release();
    }
    for (const code of [
      '57P01',
      '57P03',
      '55P03',
      '55000',
      '40001',
      '40P01',
      '53300',
      '08006',
      'XX000',
      '3D000',
      '28P01',
    ]) {
      const err = await queryError(`DO $$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '${code}'; END $$`);
      expect((err as { code?: string }).code).toBe(code);
      expect(classifyStoreError(err), code).toBe('unavailable');
    }
    for (const [code, kind] of [
      ['23505', 'conflict'],
      ['23503', 'conflict'],
      ['22P05', 'bad_value'],
      ['42601', null],
      ['0A000', null],
    ] as const) {
      const err = await queryError(`DO $$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '${code}'; END $$`);
      expect(classifyStoreError(err), code).toBe(kind);
    }
  });

  it('a database that does not exist and a role that does not exist are unavailable', async () => {
    for (const url of [
      Object.assign(new URL(pgUrl!), { pathname: '/tw_no_such_database' }),
      Object.assign(new URL(pgUrl!), { username: 'tw_no_such_role' }),
    ]) {
      const client = new pg.Client({ connectionString: url.toString() });
      const err = await failure(() => client.connect());
      await client.end().catch(() => {});
      expect(classifyStoreError(err), String(err)).toBe('unavailable');
    }
  });

  it('a refused connection and a server that never answers are unavailable', async () => {
    const refused = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test', max: 1 });
    refused.on('error', () => {});
    const r = await failure(() => refused.query('SELECT 1'));
    await refused.end();
    expect(classifyStoreError(r), String(r)).toBe('unavailable');

    const address = silent.address() as { port: number };
    const hanging = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${address.port}/test`,
      max: 1,
      connectionTimeoutMillis: 200,
    });
    hanging.on('error', () => {});
    const h = await failure(() => hanging.query('SELECT 1'));
    await hanging.end().catch(() => {});
    expect(String(h)).toMatch(/timeout/i);
    expect(classifyStoreError(h)).toBe('unavailable');
  });
});
