import type { Kysely, Transaction } from 'kysely';
import { signingKeyRow } from '../rows.js';
import type { Database, NewSigningKeyRow, SigningKeyRow } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Keys still published (signing or not yet past their publish time), newest first. */
export async function listPublishedKeys(db: Db, nowMs: number): Promise<SigningKeyRow[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('publish_until_ms', 'is', null), eb('publish_until_ms', '>', nowMs)]))
    .orderBy('created_at_ms', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map(signingKeyRow);
}

export async function listAllKeys(db: Db): Promise<SigningKeyRow[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .orderBy('created_at_ms', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map(signingKeyRow);
}

/**
 * Adds a signing key that signs from `row.active_from_ms` on, and schedules the retirement of
 * every key that would still sign at that time, in one transaction, so exactly one key signs
 * at any moment whichever instance rotated. A key retired this way stays published for
 * `publishRetiredForMs` after it stops signing.
 */
export async function addSigningKey(
  db: Kysely<Database>,
  row: NewSigningKeyRow & { active_from_ms: number },
  publishRetiredForMs: number,
): Promise<void> {
  const from = row.active_from_ms;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('signing_keys')
      .set({ retired_at_ms: from, publish_until_ms: from + publishRetiredForMs })
      .where((eb) => eb.or([eb('retired_at_ms', 'is', null), eb('retired_at_ms', '>', from)]))
      .execute();
    await trx.insertInto('signing_keys').values(row).execute();
  });
}
