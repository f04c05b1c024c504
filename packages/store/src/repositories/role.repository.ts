import type { Kysely, Transaction } from 'kysely';
import { maybe, roleRow } from '../rows.js';
import type { Database, NewRoleRow, RoleRow } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function listRoles(db: Db): Promise<RoleRow[]> {
  return (await db.selectFrom('roles').selectAll().orderBy('name_key').execute()).map(roleRow);
}

export async function findRole(db: Db, name: string): Promise<RoleRow | undefined> {
  return maybe(
    await db.selectFrom('roles').selectAll().where('name_key', '=', name.toLowerCase()).executeTakeFirst(),
    roleRow,
  );
}

export async function insertRole(db: Db, row: NewRoleRow): Promise<RoleRow> {
  return roleRow(await db.insertInto('roles').values(row).returningAll().executeTakeFirstOrThrow());
}

export async function updateRole(
  db: Db,
  name: string,
  change: {
    description?: string | undefined;
    permissions?: string | undefined;
    require_dpop?: number | undefined;
    updated_at_ms: number;
  },
): Promise<RoleRow | undefined> {
  // Copied field by field: nothing else reaches the UPDATE.
  const set: { description?: string; permissions?: string; require_dpop?: number; updated_at_ms: number } = {
    updated_at_ms: change.updated_at_ms,
  };
  if (change.description !== undefined) set.description = change.description;
  if (change.permissions !== undefined) set.permissions = change.permissions;
  if (change.require_dpop !== undefined) set.require_dpop = change.require_dpop;
  return maybe(
    await db
      .updateTable('roles')
      .set(set)
      .where('name_key', '=', name.toLowerCase())
      .returningAll()
      .executeTakeFirst(),
    roleRow,
  );
}

export async function deleteRole(db: Db, name: string): Promise<boolean> {
  const r = await db.deleteFrom('roles').where('name_key', '=', name.toLowerCase()).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
