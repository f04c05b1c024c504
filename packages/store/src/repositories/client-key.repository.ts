import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An identity's registered keys and what a client holding one may do. */
export interface ClientKeys {
  identityId: number;
  /** The registered public keys (JWKs; stored as a JWKS in JSON text). */
  keys: Record<string, unknown>[];
  roles: string[];
  ceiling: string[];
  endpoints: string[] | null;
  createdBy: number | null;
  updatedAtMs: number;
}

/** The keys an identity registered for private_key_jwt, or undefined. */
export async function findClientKeys(db: Db, identityId: number): Promise<ClientKeys | undefined> {
  const row = await db
    .selectFrom('client_keys')
    .selectAll()
    .where('identity_id', '=', identityId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    identityId: row.identity_id,
    keys: (JSON.parse(row.jwks) as { keys: Record<string, unknown>[] }).keys,
    roles: JSON.parse(row.roles) as string[],
    ceiling: JSON.parse(row.ceiling) as string[],
    endpoints: row.api_endpoints === null ? null : (JSON.parse(row.api_endpoints) as string[]),
    createdBy: row.created_by,
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** Replaces an identity's registered keys (one statement: insert or update). */
export async function putClientKeys(db: Db, k: ClientKeys): Promise<void> {
  const values = {
    jwks: JSON.stringify({ keys: k.keys }),
    roles: JSON.stringify(k.roles),
    ceiling: JSON.stringify(k.ceiling),
    api_endpoints: k.endpoints === null ? null : JSON.stringify(k.endpoints),
    created_by: k.createdBy,
    updated_at_ms: k.updatedAtMs,
  };
  await db
    .insertInto('client_keys')
    .values({ identity_id: k.identityId, ...values })
    .onConflict((oc) => oc.column('identity_id').doUpdateSet(values))
    .execute();
}

/** Removes an identity's registered keys; whether there were any. */
export async function deleteClientKeys(db: Db, identityId: number): Promise<boolean> {
  const r = await db.deleteFrom('client_keys').where('identity_id', '=', identityId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
