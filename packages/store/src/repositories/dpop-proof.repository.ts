import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Records a DPoP proof as seen (RFC 9449 §11.1), in one insert that does nothing on a
 * collision: true when this call recorded it, false when any instance already had (a replay).
 */
export async function recordDpopProof(db: Db, jtiHash: string, expiresAtMs: number): Promise<boolean> {
  const r = await db
    .insertInto('dpop_proofs')
    .values({ jti_hash: jtiHash, expires_at_ms: expiresAtMs })
    .onConflict((oc) => oc.column('jti_hash').doNothing())
    .returning('jti_hash')
    .executeTakeFirst();
  return r !== undefined;
}

/** Deletes proofs whose window has passed; returns how many. */
export async function pruneDpopProofs(db: Db, nowMs: number): Promise<number> {
  const r = await db.deleteFrom('dpop_proofs').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}
