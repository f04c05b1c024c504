import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // The scope strings (role names, permissions) a token was narrowed to (JSON array), or null:
  // everything its roles give. Not the older `scope` column, which says all|custom (endpoints).
  await db.schema.alterTable('tokens').addColumn('scopes', 'text').execute();
  // An access JWT's `jti` claim (RFC 9068), so introspection answers the JWT's own; else null.
  await db.schema.alterTable('tokens').addColumn('jti', 'text').execute();
  // The `client_id` of the client that obtained an access token (an identity name), or null.
  await db.schema.alterTable('tokens').addColumn('client_id', 'text').execute();
  // The `aud` of an access JWT when it is another configured audience than the default, or null.
  await db.schema.alterTable('tokens').addColumn('audience', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('audience').execute();
  await db.schema.alterTable('tokens').dropColumn('client_id').execute();
  await db.schema.alterTable('tokens').dropColumn('jti').execute();
  await db.schema.alterTable('tokens').dropColumn('scopes').execute();
}
