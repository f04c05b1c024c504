import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-22T00-00-00_initial.js';
import * as signingKeys from './2026-11-22T01-00-00_signing-keys.js';
import * as ceilings from './2026-12-02T00-00-00_ceilings.js';
import * as clientKeys from './2026-12-02T02-00-00_client-keys.js';
import * as dpop from './2026-12-02T03-00-00_dpop.js';
import * as tokenClaims from './2026-12-02T10-00-00_token-claims.js';
import * as keyActivation from './2026-12-02T16-00-00_key-activation.js';
import type { MigrationContext } from './context.js';

export type { MigrationContext } from './context.js';

interface MigrationModule {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

// Timestamp-named and applied in name order.
const MIGRATIONS: Record<string, MigrationModule> = {
  '2026-11-22T00-00-00_initial': initial,
  '2026-11-22T01-00-00_signing-keys': signingKeys,
  '2026-12-02T00-00-00_ceilings': ceilings,
  '2026-12-02T02-00-00_client-keys': clientKeys,
  '2026-12-02T10-00-00_token-claims': tokenClaims,
  '2026-12-02T16-00-00_key-activation': keyActivation,
  '2026-12-02T03-00-00_dpop': dpop,
};

/** The names of this build's migrations, in the order they apply. */
export function migrationNames(): string[] {
  return Object.keys(MIGRATIONS).sort();
}

/** Kysely's migration provider, each migration given the dialect's context. */
export function migrationProvider(ctx: MigrationContext): MigrationProvider {
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
