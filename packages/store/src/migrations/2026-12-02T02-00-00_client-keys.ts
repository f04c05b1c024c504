import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // Public keys an identity registered for RFC 7523 client authentication (private_key_jwt):
  // a JWKS (JSON text, public members only). One set per identity, replaced as a whole.
  await db.schema
    .createTable('client_keys')
    .addColumn('identity_id', 'integer', (c) =>
      c.primaryKey().references('identities.id').onDelete('cascade'),
    )
    .addColumn('jwks', 'text', (c) => c.notNull())
    // What a key-authenticated client may do, planned like an app token for the identity when
    // the keys were registered (core's planMint): roles and ceiling (JSON arrays), allow-list.
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('ceiling', 'text', (c) => c.notNull())
    .addColumn('api_endpoints', 'text')
    .addColumn('created_by', 'integer')
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('client_keys').execute();
}
