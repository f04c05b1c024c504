import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // When a key starts signing. A rotated key is published at once but signs only from this
  // time on, so verifiers that cached the JWKS learn it first. Keys from before this column
  // signed from their creation.
  await db.schema.alterTable('signing_keys').addColumn('active_from_ms', 'bigint').execute();
  await sql`UPDATE signing_keys SET active_from_ms = created_at_ms`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('active_from_ms').execute();
}
