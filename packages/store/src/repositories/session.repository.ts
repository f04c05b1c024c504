import type { Kysely, Transaction } from 'kysely';
import type { Database, NewSessionRow, SessionRow } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertSession(db: Db, row: NewSessionRow): Promise<SessionRow> {
  return db.insertInto('sessions').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findSessionBySecretHash(db: Db, secretHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
}

export async function findSessionById(db: Db, id: number): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listSessions(
  db: Db,
  f: { identityId?: number; nowMs: number; limit: number; offset: number },
): Promise<{ rows: SessionRow[]; total: number }> {
  let q = db.selectFrom('sessions').where('expires_at_ms', '>', f.nowMs);
  if (f.identityId !== undefined) q = q.where('identity_id', '=', f.identityId);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export async function touchSessions(db: Db, ids: readonly number[], atMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('sessions')
    .set({ last_seen_at_ms: atMs })
    .where('id', 'in', [...ids])
    .execute();
}

export async function deleteSession(db: Db, id: number): Promise<SessionRow | undefined> {
  return db.deleteFrom('sessions').where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteSessionsOfIdentity(db: Db, identityId: number): Promise<string[]> {
  const rows = await db
    .deleteFrom('sessions')
    .where('identity_id', '=', identityId)
    .returning('secret_hash')
    .execute();
  return rows.map((r) => r.secret_hash);
}

export async function deleteExpiredSessions(db: Db, nowMs: number): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}
