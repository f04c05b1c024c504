import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_enc', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('retired_at_ms', 'bigint')
    .addColumn('publish_until_ms', 'bigint')
    .execute();

  // Further limit of a token's permissions (token exchange with a narrower scope), JSON array.
  await db.schema.alterTable('tokens').addColumn('permissions', 'text').execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('blocked_until_ms', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limits').execute();
  await db.schema.dropTable('signing_keys').execute();
  await db.schema.alterTable('tokens').dropColumn('permissions').execute();
}
