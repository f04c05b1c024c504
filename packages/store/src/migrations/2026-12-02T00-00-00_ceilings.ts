import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // The effective permission grants of whoever minted the token (JSON array): its ceiling.
  // Null on tokens minted before ceilings existed.
  await db.schema.alterTable('tokens').addColumn('ceiling', 'text').execute();
  // RFC 8693 `act` chain of a delegated token (JSON object), or null.
  await db.schema.alterTable('tokens').addColumn('act', 'text').execute();
  // Token exchange: the actor's token minted the new one too; revoking either revokes it.
  await db.schema.alterTable('tokens').addColumn('actor_token_id', 'integer').execute();
  await db.schema.createIndex('tokens_actor_token').on('tokens').column('actor_token_id').execute();
  // Identities this identity may act for through token exchange (JSON array of ids), or null: any.
  await db.schema.alterTable('identities').addColumn('act_for', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('identities').dropColumn('act_for').execute();
  await db.schema.dropIndex('tokens_actor_token').execute();
  await db.schema.alterTable('tokens').dropColumn('actor_token_id').execute();
  await db.schema.alterTable('tokens').dropColumn('act').execute();
  await db.schema.alterTable('tokens').dropColumn('ceiling').execute();
}
