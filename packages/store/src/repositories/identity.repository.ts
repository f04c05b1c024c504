import type { Kysely, Transaction } from 'kysely';
import { identityRow, maybe } from '../rows.js';
import type { Database, IdentityRow, IdentityUpdate, NewIdentityRow } from '../schema.js';
import { containsPattern } from './like.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertIdentity(db: Db, row: NewIdentityRow): Promise<IdentityRow> {
  return identityRow(await db.insertInto('identities').values(row).returningAll().executeTakeFirstOrThrow());
}

export async function findIdentityById(db: Db, id: number): Promise<IdentityRow | undefined> {
  return maybe(
    await db.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst(),
    identityRow,
  );
}

export async function findIdentityByName(db: Db, name: string): Promise<IdentityRow | undefined> {
  return maybe(
    await db
      .selectFrom('identities')
      .selectAll()
      .where('name_key', '=', name.toLowerCase())
      .executeTakeFirst(),
    identityRow,
  );
}

/** Matches the name first, then the email, both case-insensitively (seed 003's `username`). */
export async function findIdentityByNameOrEmail(db: Db, username: string): Promise<IdentityRow | undefined> {
  const key = username.toLowerCase();
  const byName = await db.selectFrom('identities').selectAll().where('name_key', '=', key).executeTakeFirst();
  if (byName) return identityRow(byName);
  const byEmail = await db
    .selectFrom('identities')
    .selectAll()
    .where('email_key', '=', key)
    .orderBy('id')
    .limit(2)
    .execute();
  // An email shared by two identities is ambiguous: match neither.
  return byEmail.length === 1 ? identityRow(byEmail[0]!) : undefined;
}

export interface IdentityFilter {
  search?: string;
  role?: string;
  enabled?: boolean;
  limit: number;
  offset: number;
}

export async function listIdentities(
  db: Db,
  f: IdentityFilter,
): Promise<{ rows: IdentityRow[]; total: number }> {
  let q = db.selectFrom('identities');
  if (f.search) {
    const like = containsPattern(f.search);
    q = q.where((eb) => eb.or([eb('name_key', 'like', like), eb('email_key', 'like', like)]));
  }
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.role) q = q.where('roles', 'like', `%${JSON.stringify(f.role).replace(/[\\%]/g, '')}%`);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('id').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(identityRow), total: Number(count.n) };
}

export async function listAllIdentities(db: Db): Promise<IdentityRow[]> {
  return (await db.selectFrom('identities').selectAll().orderBy('id').execute()).map(identityRow);
}

/** The columns of an identity that may change (never its id or creation time). */
const CHANGEABLE = [
  'name',
  'name_key',
  'email',
  'email_key',
  'first_name',
  'last_name',
  'roles',
  'enabled',
  'password_hash',
  'act_for',
  'require_dpop',
  'updated_at_ms',
] as const;
export type IdentityChange = Partial<Pick<IdentityUpdate, (typeof CHANGEABLE)[number]>>;

/** Changes the given columns, copied one by one: nothing else reaches the UPDATE. */
export async function updateIdentity(
  db: Db,
  id: number,
  change: IdentityChange,
): Promise<IdentityRow | undefined> {
  const set: IdentityChange = {};
  for (const column of CHANGEABLE) {
    if (change[column] !== undefined) (set as Record<string, unknown>)[column] = change[column];
  }
  return maybe(
    await db.updateTable('identities').set(set).where('id', '=', id).returningAll().executeTakeFirst(),
    identityRow,
  );
}

export async function deleteIdentity(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('identities').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countIdentities(db: Db): Promise<number> {
  const r = await db
    .selectFrom('identities')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
