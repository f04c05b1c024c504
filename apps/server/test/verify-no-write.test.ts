import { Writable } from 'node:stream';
import { openStore, type Store } from '@tokenward/store';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { adminToken, DIALECTS, freshStore, http, type StoreHandle, testConfig } from './helpers.js';

/*
 * Verifying a token is what every API call behind Tokenward pays, so it must never write to
 * the store per request: `lastUsed` and use counts are kept in memory and written in batches.
 * This guards against a verify path that starts writing (a last-use update, an audit row, a
 * counter) by counting writes two ways: every write statement the server sends through its
 * store, and the rows themselves.
 */

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
const WRITE_SQL = /^\s*(with\b[\s\S]*\b)?(insert|update|delete|replace|merge|create|drop|alter|truncate)\b/i;

/** Counts the write statements sent through a Kysely instance (builders and raw SQL alike). */
class WriteCounter implements KyselyPlugin {
  writes: string[] = [];

  transformQuery: KyselyPlugin['transformQuery'] = (args) => {
    const node = args.node;
    if (WRITE_NODES.has(node.kind)) {
      this.writes.push(node.kind);
    } else if (node.kind === 'RawNode') {
      const text = node.sqlFragments.join('?');
      if (WRITE_SQL.test(text)) this.writes.push(text);
    }
    return node;
  };

  transformResult: KyselyPlugin['transformResult'] = async (args) => args.result;
}

const TABLES = [
  'identities',
  'roles',
  'tokens',
  'sessions',
  'audit_events',
  'signing_keys',
  'rate_limits',
] as const;

/** Every row of every table, read beside the server (not through the counted handle). */
async function snapshot(store: Store): Promise<string> {
  const parts: unknown[] = [];
  for (const table of TABLES) parts.push(await store.db.selectFrom(table).selectAll().execute());
  return JSON.stringify(parts);
}

const VERIFY_REQUESTS = 200;

for (const dialect of DIALECTS) {
  describe(`verify path on ${dialect}`, () => {
    let handle: StoreHandle;
    let store: Store;
    let app: App;
    let url: string;
    const counter = new WriteCounter();

    beforeAll(async () => {
      handle = freshStore(dialect);
      store = await openStore(handle.config);
      // The app uses the same store through a counting handle; the tests read beside it.
      const counted: Store = { ...store, db: store.db.withPlugin(counter) };
      app = await buildApp({
        // The periodic flush must not fall inside the measured requests.
        config: testConfig(handle, { usageFlushSeconds: 3600, logLevel: 'warn' }),
        store: counted,
        logStream: new Writable({ write: (_chunk, _enc, cb) => cb() }),
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });

    afterAll(async () => {
      await app?.close();
      await store?.close();
      await handle?.drop();
    });

    it(`${VERIFY_REQUESTS} verify requests, cold and warm, write nothing until the usage flush`, async () => {
      const admin = await adminToken(url);
      // Tokens the verifier has never seen, so the requests below include cache misses.
      const fresh: { id: number; token: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const granted = await http(url, 'POST', '/api/v1/apptoken/grant', { token: admin, json: {} });
        expect(granted.status).toBe(200);
        fresh.push({ id: granted.body.id as number, token: granted.body.token as string });
      }
      const pat = await http(url, 'POST', '/api/v1/PersonalTokens', { token: admin, json: { name: 'jwt' } });
      expect(pat.status).toBe(200);
      const exchanged = await http(
        url,
        'POST',
        `/api/v1/PersonalTokens/authenticate?username=admin&personalToken=${encodeURIComponent(pat.body.token)}`,
      );
      expect(exchanged.status).toBe(200);
      const jwt = exchanged.body.token as string;
      // Whatever the set-up queued (the admin token's own use) is written now, not during the test.
      await app.tw.usage.flush();

      const before = await snapshot(store);
      const changesBefore =
        dialect === 'sqlite'
          ? (await sql<{ n: number }>`SELECT total_changes() AS n`.execute(store.db)).rows[0]!.n
          : 0;
      counter.writes = [];

      // Every way of presenting a token, on the gateway check and on a protected read.
      const presentations: { path: string; headers: Record<string, string> }[] = [];
      for (const t of fresh) {
        presentations.push(
          { path: '/api/v1/auth/verify', headers: { authorization: `Bearer ${t.token}` } },
          { path: '/api/v1/auth/verify', headers: { 'x-tokenward-authorization': t.token } },
          { path: '/api/v1/auth/verify', headers: { authtoken: t.token } },
        );
      }
      presentations.push(
        { path: '/api/v1/auth/verify', headers: { authorization: `Bearer ${jwt}` } },
        { path: `/api/v1/apptoken/${fresh[0]!.id}`, headers: { authorization: `Bearer ${admin}` } },
      );
      const statuses: number[] = [];
      for (let i = 0; i < VERIFY_REQUESTS; i++) {
        const p = presentations[i % presentations.length]!;
        const res = await fetch(url + p.path, { headers: p.headers });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      const expected = Array.from({ length: VERIFY_REQUESTS }, (_, i) =>
        presentations[i % presentations.length]!.path === '/api/v1/auth/verify' ? 204 : 200,
      );
      expect(statuses).toEqual(expected);

      expect(counter.writes).toEqual([]);
      expect(await snapshot(store)).toBe(before);
      if (dialect === 'sqlite') {
        const changesAfter = (await sql<{ n: number }>`SELECT total_changes() AS n`.execute(store.db))
          .rows[0]!.n;
        expect(changesAfter).toBe(changesBefore);
      }

      // The uses were counted all the same: the flush writes them, in one batch.
      await app.tw.usage.flush();
      expect(counter.writes.length).toBeGreaterThan(0);
      const rows = await store.db
        .selectFrom('tokens')
        .select(['id', 'use_count', 'last_used_at_ms'])
        .where(
          'id',
          'in',
          fresh.map((t) => t.id),
        )
        .execute();
      const perToken = VERIFY_REQUESTS / presentations.length;
      for (const row of rows) {
        expect(row.last_used_at_ms).not.toBeNull();
        expect(row.use_count).toBeGreaterThanOrEqual(Math.floor(perToken) * 3);
      }
    });
  });
}
