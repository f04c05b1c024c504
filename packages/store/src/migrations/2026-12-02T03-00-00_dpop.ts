import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  // RFC 9449: the JWK SHA-256 thumbprint (RFC 7638) of the key a token is bound to, or null.
  await db.schema.alterTable('tokens').addColumn('cnf_jkt', 'text').execute();
  // 1: tokens minted for this identity at the token endpoint need a DPoP proof.
  await db.schema
    .alterTable('identities')
    .addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // 1: tokens minted for an identity holding this role need a DPoP proof.
  await db.schema
    .alterTable('roles')
    .addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // DPoP proofs seen (RFC 9449 §11.1): the `jti` (hashed with the key's thumbprint) of every
  // proof accepted within the iat window, shared by every instance; an insert that collides is a
  // replay. Rows past `expires_at_ms` are pruned.
  await db.schema
    .createTable('dpop_proofs')
    .addColumn('jti_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dpop_proofs_expires').on('dpop_proofs').column('expires_at_ms').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dpop_proofs').execute();
  await db.schema.alterTable('roles').dropColumn('require_dpop').execute();
  await db.schema.alterTable('identities').dropColumn('require_dpop').execute();
  await db.schema.alterTable('tokens').dropColumn('cnf_jkt').execute();
}
