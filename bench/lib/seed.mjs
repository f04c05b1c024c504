// Seeds app tokens in bulk through the store layer (packages/store's Kysely), never through
// HTTP: multi-row inserts of `batch` rows, several batches per transaction. Runs as its own
// process (`node lib/seed.mjs '<json>'`) so SQLite and PostgreSQL stores seed in parallel.
// The server must be stopped (or not yet started) on this store while it runs.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { generateToken, hashToken, tokenHint } from '@tokenward/core';
import { openStore } from '@tokenward/store';
import { sql } from 'kysely';

const DAY_MS = 86_400_000;
/** Stands where a checksum would be: these values are stored (hashed), never presented. */
const FILLER = '000000';

/**
 * @param {{ store: import('@tokenward/store').StoreConfig, count: number, keep: number,
 *   keepFile?: string, batch?: number, batchesPerTransaction?: number }} o
 */
export async function seed(o) {
  const batch = o.batch ?? 2000;
  const perTx = o.batchesPerTransaction ?? 10;
  const store = await openStore(o.store);
  if (o.store.dialect === 'sqlite') {
    // A throwaway bench store: a page cache large enough for the growing hash index, and no
    // fsync per commit (the server reopens it with its own settings).
    await sql`PRAGMA cache_size = -262144`.execute(store.db);
    await sql`PRAGMA synchronous = OFF`.execute(store.db);
  }
  const admin = await store.db
    .selectFrom('identities')
    .select('id')
    .where('name_key', '=', 'admin')
    .executeTakeFirst();
  if (!admin) {
    await store.close();
    throw new Error('no admin identity: start Tokenward once on this store before seeding it');
  }
  const kept = [];
  const now = Date.now();
  const started = performance.now();
  const rowsPerTx = batch * perTx;
  let next = 0;
  let done = 0;
  const row = (index, value) => ({
    kind: 'app',
    token_hash: hashToken(value),
    hint: tokenHint(value),
    name: `bench-${index}`,
    description: '',
    identity_id: admin.id,
    roles: '["Administrator"]',
    scope: 'all',
    api_endpoints: null,
    created_at_ms: now,
    expires_at_ms: now + 365 * DAY_MS,
  });
  // Each worker takes the next slice of rows and inserts it in one transaction; PostgreSQL
  // gets two at once (one builds rows while the other's insert runs), SQLite has one writer.
  const worker = async () => {
    while (next < o.count) {
      const from = next;
      const to = Math.min(o.count, from + rowsPerTx);
      next = to;
      await store.db.transaction().execute(async (trx) => {
        if (o.store.dialect === 'postgres') await sql`SET LOCAL synchronous_commit = off`.execute(trx);
        for (let at = from; at < to; at += batch) {
          const n = Math.min(batch, to - at);
          // Values that will never be presented come from one CSPRNG read per batch, in the
          // shape of real ones; the values the load generator presents are real tokens.
          const random = randomBytes(32 * n);
          const rows = new Array(n);
          for (let i = 0; i < n; i++) {
            let value;
            if (at + i < o.keep) {
              value = generateToken('app');
              kept[at + i] = value;
            } else {
              value = `tw_app_${random.toString('base64url', i * 32, i * 32 + 32)}${FILLER}`;
            }
            rows[i] = row(at + i, value);
          }
          await trx.insertInto('tokens').values(rows).execute();
          done += n;
        }
      });
    }
  };
  try {
    const workers = o.store.dialect === 'postgres' ? 2 : 1;
    await Promise.all(Array.from({ length: workers }, worker));
    if (o.store.dialect === 'postgres') {
      // Do now what autovacuum would otherwise do to the new rows during the measurements
      // (visibility map, statistics), and flush the dirty pages.
      await sql.raw(`VACUUM (ANALYZE) "${o.store.schema ?? 'public'}".tokens`).execute(store.db);
      await sql`CHECKPOINT`.execute(store.db).catch(() => undefined);
    }
  } finally {
    await store.close();
  }
  if (o.keepFile) writeFileSync(o.keepFile, `${kept.join('\n')}\n`, { mode: 0o600 });
  return { rows: done, seconds: (performance.now() - started) / 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await seed(JSON.parse(process.argv[2]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
