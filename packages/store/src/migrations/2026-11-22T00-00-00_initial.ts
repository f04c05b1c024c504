import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('identities')
    .addColumn('id', ctx.idType, (c) => ctx.primaryKey(c))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text')
    .addColumn('email_key', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('password_hash', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identities_email_key').on('identities').column('email_key').execute();

  await db.schema
    .createTable('roles')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', ctx.idType, (c) => ctx.primaryKey(c))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('identity_id', 'integer', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('all'))
    .addColumn('api_endpoints', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at_ms', 'bigint')
    .addColumn('last_used_at_ms', 'bigint')
    .addColumn('use_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('parent_id', 'integer')
    .addColumn('family_id', 'integer')
    .addColumn('spent_at_ms', 'bigint')
    .addColumn('subtype', 'text')
    .addColumn('created_by', 'integer')
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('tokens_identity').on('tokens').columns(['identity_id', 'kind']).execute();
  await db.schema.createIndex('tokens_family').on('tokens').column('family_id').execute();
  await db.schema.createIndex('tokens_parent').on('tokens').column('parent_id').execute();
  await db.schema.createIndex('tokens_expires').on('tokens').column('expires_at_ms').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', ctx.idType, (c) => ctx.primaryKey(c))
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('csrf_hash', 'text', (c) => c.notNull())
    .addColumn('identity_id', 'integer', (c) => c.notNull().references('identities.id').onDelete('cascade'))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_identity').on('sessions').column('identity_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', ctx.idType, (c) => ctx.primaryKey(c))
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').column('at_ms').execute();
  await db.schema
    .createIndex('audit_events_action')
    .on('audit_events')
    .columns(['action', 'at_ms'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['audit_events', 'sessions', 'tokens', 'roles', 'identities']) {
    await db.schema.dropTable(t).execute();
  }
}
