import { type Kysely, sql, type Transaction } from 'kysely';
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

/**
 * Counts one attempt for a key in one statement (an upsert): the count restarts at 1 when the
 * window that began at `window_start_ms` has passed. Concurrent attempts on any instance each
 * get their own count back, so no two of them can both believe they are the first.
 */
export async function countAttempt(
  db: Db,
  key: string,
  nowMs: number,
  windowMs: number,
): Promise<{ count: number; windowStartMs: number; blockedUntilMs: number }> {
  const expired = sql<boolean>`rate_limits.window_start_ms <= ${nowMs - windowMs}`;
  const row = await db
    .insertInto('rate_limits')
    .values({ key, failures: 1, window_start_ms: nowMs, blocked_until_ms: 0 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`CASE WHEN ${expired} THEN 1 ELSE rate_limits.failures + 1 END`,
        window_start_ms: sql<number>`CASE WHEN ${expired} THEN ${nowMs} ELSE rate_limits.window_start_ms END`,
      }),
    )
    .returning(['failures', 'window_start_ms', 'blocked_until_ms'])
    .executeTakeFirstOrThrow();
  return {
    count: Number(row.failures),
    windowStartMs: Number(row.window_start_ms),
    blockedUntilMs: Number(row.blocked_until_ms),
  };
}

/** Takes back one counted attempt (one that was refused before it was tried, or that succeeded). */
export async function uncountAttempt(db: Db, key: string): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set({ failures: sql<number>`failures - 1` })
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

/**
 * Claims the one attempt allowed once a key's back-off has passed: sets `blocked_until_ms` to
 * `untilMs` if it is not in the future. Exactly one of several concurrent claimers wins.
 */
export async function claimAfterBackoff(
  db: Db,
  key: string,
  nowMs: number,
  untilMs: number,
): Promise<boolean> {
  const r = await db
    .updateTable('rate_limits')
    .set({ blocked_until_ms: untilMs })
    .where('key', '=', key)
    .where('blocked_until_ms', '<=', nowMs)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records a key as seen at `nowMs` without counting anything (e.g. an address known good). */
export async function touchRateLimit(db: Db, key: string, nowMs: number): Promise<void> {
  await db
    .insertInto('rate_limits')
    .values({ key, failures: 0, window_start_ms: nowMs, blocked_until_ms: 0 })
    .onConflict((oc) => oc.column('key').doUpdateSet({ window_start_ms: nowMs }))
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
