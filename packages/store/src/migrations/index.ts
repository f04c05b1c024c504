import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import type { DialectName } from '../dialect.js';
import * as initial from './2026-11-22T00-00-00_initial.js';
import * as signingKeys from './2026-11-22T01-00-00_signing-keys.js';
import * as ceilings from './2026-12-02T00-00-00_ceilings.js';

/** What a migration may know about the dialect: only how to declare an auto-increment key. */
export interface MigrationContext {
  dialect: DialectName;
  idType: 'integer' | 'serial';
  primaryKey(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

interface MigrationModule {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

// Timestamp-named and applied in name order.
const MIGRATIONS: Record<string, MigrationModule> = {
  '2026-11-22T00-00-00_initial': initial,
  '2026-11-22T01-00-00_signing-keys': signingKeys,
  '2026-12-02T00-00-00_ceilings': ceilings,
};

export function migrationProvider(dialect: DialectName): MigrationProvider {
  const ctx: MigrationContext = {
    dialect,
    idType: dialect === 'postgres' ? 'serial' : 'integer',
    primaryKey: (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()),
  };
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) {
        out[name] = {
          up: (db) => m.up(db, ctx),
          ...(m.down ? { down: (db: Kysely<unknown>) => m.down!(db, ctx) } : {}),
        };
      }
      return out;
    },
  };
}
