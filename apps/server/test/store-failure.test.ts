import { randomBytes } from 'node:crypto';
import { errorBody } from '@tokenward/core';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
// Brings the route config's `auth` field (a module augmentation of Fastify's types) into view.
import type {} from '../src/plugins/auth.js';
import { errorDocsUrl } from '../src/plugins/errors.js';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type StoreHandle,
  startServer,
  type TestServer,
} from './helpers.js';

/*
 * Issue 12 item 8 (store failure): a store error that is not the caller's fault is a 503
 * `store_unavailable` with Retry-After (its cause in the log), never a 500 and never a request
 * that hangs; a value the store cannot hold is a 400, a constraint a 409, anything else a 500
 * whose body says nothing more. /readyz is 503 while the store is unreachable or its schema is
 * not the one this build knows.
 */

const pgUrl = process.env.TOKENWARD_TEST_DATABASE_URL;

/** Test-only routes that make the store fail in each way the error handler must tell apart. */
function probeRoutes(app: App): void {
  app.get<{ Params: { kind: string } }>(
    '/test/store-error/:kind',
    { config: { auth: 'none' } },
    async (request) => {
      const db = app.tw.store.db;
      const postgres = app.tw.store.dialect === 'postgres';
      switch (request.params.kind) {
        case 'missing-table':
          return sql`SELECT * FROM no_such_table`.execute(db);
        case 'conflict':
          return db.connection().execute(async (c) => {
            await sql`CREATE TEMPORARY TABLE IF NOT EXISTS probe_unique (x integer PRIMARY KEY)`.execute(c);
            await sql`DELETE FROM probe_unique`.execute(c);
            await sql`INSERT INTO probe_unique (x) VALUES (1)`.execute(c);
            await sql`INSERT INTO probe_unique (x) VALUES (1)`.execute(c);
          });
        case 'bad-value':
          if (postgres) return sql`SELECT ${'a\u0000b'}::text`.execute(db);
          return db.connection().execute(async (c) => {
            await sql`CREATE TEMPORARY TABLE IF NOT EXISTS probe_int (x integer PRIMARY KEY)`.execute(c);
            await sql`INSERT INTO probe_int (x) VALUES (${'not a number'})`.execute(c);
          });
        default:
          return sql`SELEKT 1`.execute(db);
      }
    },
  );
}

async function dropTable(app: App, table: string): Promise<void> {
  const db = app.tw.store.db;
  if (app.tw.store.dialect === 'postgres') {
    await sql`DROP TABLE ${sql.id(table)} CASCADE`.execute(db);
  } else {
    await sql`PRAGMA foreign_keys = OFF`.execute(db);
    await sql`DROP TABLE ${sql.id(table)}`.execute(db);
    await sql`PRAGMA foreign_keys = ON`.execute(db);
  }
}

/** The error answer of a code: SPEC §4's fields with the request id and docs link (issue 13 item 8). */
function answerOf(code: 'store_unavailable' | 'conflict' | 'internal_error') {
  return { ...errorBody(code), requestId: expect.stringMatching(/^req_/), docs: errorDocsUrl(code) };
}

function expectStoreUnavailable(r: { status: number; body: unknown; headers: Headers }): void {
  expect(r.status).toBe(503);
  expect(r.body).toEqual(answerOf('store_unavailable'));
  expect(r.headers.get('retry-after')).toBe('1');
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: a store failure that is not the caller's fault is a 503, and /readyz knows the schema`, () => {
    let server: TestServer | undefined;
    let admin: string;
    const start = async () => {
      server = await startServer(freshStore(dialect), { beforeListen: probeRoutes });
      admin = await adminToken(server.url);
      // The admin token is now cached: the calls below reach the store only for their own data.
      expect((await http(server.url, 'GET', '/api/v1/apptoken', { token: admin })).status).toBe(200);
      return server;
    };
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('/readyz is 200 while the store is reachable and at the latest migration of this build', async () => {
      const s = await start();
      const r = await http(s.url, 'GET', '/readyz');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ready', store: dialect });
    });

    it('a dropped table: /readyz is 503 and an API call that needs it is 503 store_unavailable (not 500), cause logged', async () => {
      const s = await start();
      await dropTable(s.app, 'tokens');
      const ready = await http(s.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not_ready', store: dialect });
      expectStoreUnavailable(await http(s.url, 'GET', '/api/v1/apptoken', { token: admin }));
      // The body says nothing about the cause; the log does.
      expect(s.logs.some((l) => l.includes('store unavailable') && /tokens/.test(l))).toBe(true);
    });

    it('a dropped migration table: /readyz is 503', async () => {
      const s = await start();
      await dropTable(s.app, 'kysely_migration');
      expect((await http(s.url, 'GET', '/readyz')).status).toBe(503);
    });

    it('a schema behind this build (its latest migration not applied): /readyz is 503', async () => {
      const s = await start();
      const latest = await s.app.tw.store.schemaVersion();
      expect(latest).not.toBeNull();
      await sql`DELETE FROM kysely_migration WHERE name = ${latest}`.execute(s.app.tw.store.db);
      expect((await http(s.url, 'GET', '/readyz')).status).toBe(503);
    });

    it('store errors are told apart: unavailable 503 with Retry-After, bad value 400, conflict 409, a bug 500 saying nothing more', async () => {
      const s = await start();
      expectStoreUnavailable(await http(s.url, 'GET', '/test/store-error/missing-table'));

      const bad = await http(s.url, 'GET', '/test/store-error/bad-value');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('invalid_request');

      const conflict = await http(s.url, 'GET', '/test/store-error/conflict');
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual(answerOf('conflict'));

      const bug = await http(s.url, 'GET', '/test/store-error/bug');
      expect(bug.status).toBe(500);
      expect(bug.body).toEqual(answerOf('internal_error'));
      expect(bug.headers.get('retry-after')).toBeNull();
      expect(bug.text).not.toMatch(/SELEKT|syntax/i);
    });
  });
}

/** fetch with a deadline, so a request that hangs fails the test instead of stalling it. */
async function timedGet(
  url: string,
  token: string,
  deadlineMs: number,
): Promise<{ status: number; ms: number; body: unknown; headers: Headers }> {
  const started = Date.now();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(deadlineMs),
  });
  const text = await res.text();
  return { status: res.status, ms: Date.now() - started, body: JSON.parse(text), headers: res.headers };
}

describe.skipIf(!pgUrl)(
  'postgres: a held lock, a stuck statement or a refusing database is a 503, not a hang or a 500',
  () => {
    const servers: TestServer[] = [];
    afterAll(async () => {
      for (const s of servers) await s.close();
    });

    async function lockedServer(timeouts: { statementTimeoutMs: number; lockTimeoutMs: number }) {
      const store: StoreHandle = freshStore('postgres');
      if (store.config.dialect !== 'postgres') throw new Error('unreachable');
      store.config = { ...store.config, ...timeouts };
      const server = await startServer(store);
      servers.push(server);
      const admin = await adminToken(server.url);
      expect((await http(server.url, 'GET', '/api/v1/apptoken', { token: admin })).status).toBe(200);
      return { server, admin, schema: store.config.schema! };
    }

    async function withTableLocked<T>(schema: string, run: () => Promise<T>): Promise<T> {
      const holder = new pg.Client({ connectionString: pgUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${schema}".tokens IN ACCESS EXCLUSIVE MODE`);
        return await run();
      } finally {
        await holder.query('ROLLBACK').catch(() => {});
        await holder.end();
      }
    }

    it('a table locked by another client: a request that needs it answers 503 within lock_timeout', async () => {
      const { server, admin, schema } = await lockedServer({ statementTimeoutMs: 3000, lockTimeoutMs: 300 });
      const r = await withTableLocked(schema, () => timedGet(`${server.url}/api/v1/apptoken`, admin, 10_000));
      expectStoreUnavailable(r);
      // It did wait for the lock, and no longer than lock_timeout (plus the round trip).
      expect(r.ms).toBeGreaterThanOrEqual(250);
      expect(r.ms).toBeLessThan(2500);
    });

    it('a statement running past statement_timeout (waiting on a lock) answers 503', async () => {
      const { server, admin, schema } = await lockedServer({ statementTimeoutMs: 500, lockTimeoutMs: 5000 });
      const r = await withTableLocked(schema, () => timedGet(`${server.url}/api/v1/apptoken`, admin, 10_000));
      expectStoreUnavailable(r);
      expect(r.ms).toBeGreaterThanOrEqual(450);
      expect(r.ms).toBeLessThan(3000);
    });

    it('a database not accepting connections: /readyz is 503 and API calls are 503, never 500', async () => {
      const database = `tw_scratch_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${database}"`);
      let server: TestServer | undefined;
      try {
        const url = new URL(pgUrl!);
        url.pathname = `/${database}`;
        const store = freshStore('postgres');
        // The database's own default schema (public): readiness reads the current schema.
        store.config = { dialect: 'postgres', url: url.toString(), poolMax: 3 };
        server = await startServer(store);
        const token = await adminToken(server.url);
        expect((await http(server.url, 'GET', '/api/v1/apptoken', { token })).status).toBe(200);
        expect((await http(server.url, 'GET', '/readyz')).status).toBe(200);

        await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [database],
        );
        await new Promise((r) => setTimeout(r, 200));
        for (let i = 0; i < 5; i++) {
          expectStoreUnavailable(await http(server.url, 'GET', '/api/v1/apptoken', { token }));
          expect((await http(server.url, 'GET', '/readyz')).status).toBe(503);
        }
        expect(server.logs.some((l) => l.includes('not currently accepting connections'))).toBe(true);
      } finally {
        await server?.stop();
        await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.end();
      }
    });
  },
);

describe('configuration: PostgreSQL statement and lock timeouts', () => {
  const base = { DATABASE_URL: 'postgres://tokenward@db.example/tokenward' };

  it('default to 5000 ms and 2000 ms, carried in the store config', () => {
    const { store } = loadConfig(base);
    expect(store).toMatchObject({ dialect: 'postgres', statementTimeoutMs: 5000, lockTimeoutMs: 2000 });
  });

  it('take TOKENWARD_STATEMENT_TIMEOUT_MS and TOKENWARD_LOCK_TIMEOUT_MS', () => {
    const { store } = loadConfig({
      ...base,
      TOKENWARD_STATEMENT_TIMEOUT_MS: '8000',
      TOKENWARD_LOCK_TIMEOUT_MS: '1000',
    });
    expect(store).toMatchObject({ statementTimeoutMs: 8000, lockTimeoutMs: 1000 });
  });

  it('refuse values that are not whole numbers or out of range, naming the variable (whatever the store)', () => {
    for (const [name, value] of [
      ['TOKENWARD_STATEMENT_TIMEOUT_MS', 'soon'],
      ['TOKENWARD_STATEMENT_TIMEOUT_MS', '0'],
      ['TOKENWARD_LOCK_TIMEOUT_MS', '-1'],
      ['TOKENWARD_LOCK_TIMEOUT_MS', '99999999'],
    ] as const) {
      for (const env of [{ ...base, [name]: value }, { [name]: value }]) {
        expect(() => loadConfig(env)).toThrow(ConfigError);
        expect(() => loadConfig(env)).toThrow(name);
      }
    }
  });
});
