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
 * Adds a signing key and retires every key that was signing, in one transaction, so exactly
 * one key signs afterwards whichever instance rotated.
 */
export async function addSigningKey(
  db: Kysely<Database>,
  row: NewSigningKeyRow,
  publishRetiredForMs: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('signing_keys')
      .set({ retired_at_ms: row.created_at_ms, publish_until_ms: row.created_at_ms + publishRetiredForMs })
      .where('retired_at_ms', 'is', null)
      .execute();
    await trx.insertInto('signing_keys').values(row).execute();
  });
}
