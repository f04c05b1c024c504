import type { Kysely, Transaction } from 'kysely';
import type { Database, RateLimitRow } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findRateLimits(db: Db, keys: readonly string[]): Promise<RateLimitRow[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom('rate_limits')
    .selectAll()
    .where('key', 'in', [...keys])
    .execute();
}

export async function upsertRateLimit(db: Db, row: RateLimitRow): Promise<void> {
  await db
    .insertInto('rate_limits')
    .values(row)
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: row.failures,
        window_start_ms: row.window_start_ms,
        blocked_until_ms: row.blocked_until_ms,
      }),
    )
    .execute();
}

export async function deleteRateLimits(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .deleteFrom('rate_limits')
    .where('key', 'in', [...keys])
    .execute();
}

export async function purgeRateLimits(db: Db, olderThanMs: number): Promise<void> {
  await db
    .deleteFrom('rate_limits')
    .where('window_start_ms', '<', olderThanMs)
    .where('blocked_until_ms', '<', olderThanMs)
    .execute();
}
