import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, sql } from 'kysely';
import { createDialect } from './dialect.js';
import { GroupCommit } from './group-commit.js';
import { migrationNames, migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import type { DialectName, InvalidationHandler, StoreConfig, StoreDialect } from './store-dialect.js';

export type { InvalidationHandler };

/**
 * The store: a Kysely handle plus what the dialects do differently, each dialect's part in its
 * own object (see StoreDialect); nothing here asks which dialect it is.
 */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /**
   * Applies pending migrations (serialised across instances by Kysely's migration lock). On
   * PostgreSQL through a connection of its own without statement and lock timeouts.
   */
  migrate(): Promise<string[]>;
  /** Cheap round trip; throws when the store is unreachable. */
  ping(): Promise<void>;
  /** The last migration applied to the store, or null when there is no migration table. */
  schemaVersion(): Promise<string | null>;
  /**
   * Whether the store's schema is the one this build knows: every one of its migrations
   * applied and every table present. Throws when the store is unreachable. Reads the catalog
   * each time (nothing cached): a table dropped or a restore of an older backup shows at once.
   */
  schemaReady(): Promise<boolean>;
  /**
   * Broadcasts a cache invalidation to every instance sharing this store (PostgreSQL
   * NOTIFY). With SQLite there is one process, so only local subscribers hear it.
   */
  notify(payload: string): Promise<void>;
  /**
   * Tells the other instances sharing this store, for a change this instance has applied to
   * itself already: PostgreSQL NOTIFY (this instance hears it too); nothing on SQLite, which
   * one process uses. Lets a caller skip asking which dialect it is.
   */
  broadcast(payload: string): Promise<void>;
  /** Subscribes to invalidations from every instance (including this one). */
  subscribe(handler: InvalidationHandler): Promise<void>;
  /**
   * Since when this instance may be missing other instances' invalidations (the PostgreSQL
   * LISTEN connection is down), or null while they arrive. Always null on SQLite.
   */
  invalidationsDownSinceMs(): number | null;
  /** Shared transactions for small writes that arrive together (see GroupCommit). */
  readonly groupCommit: GroupCommit;
  close(): Promise<void>;
}

/** Every table of the schema (a table added to Database must be added here: tsc says so). */
const TABLES = {
  identities: true,
  roles: true,
  tokens: true,
  sessions: true,
  audit_events: true,
  signing_keys: true,
  rate_limits: true,
  client_keys: true,
  dpop_proofs: true,
} satisfies Record<keyof Database, true>;

export async function openStore(config: StoreConfig): Promise<Store> {
  const dialect: StoreDialect = createDialect(config).dialect;
  const db = new Kysely<Database>({ dialect });
  await dialect.prepare(db);
  const invalidations = dialect.invalidations(db);
  const migrationTable = dialect.migrationTableSchema
    ? sql.id(dialect.migrationTableSchema, DEFAULT_MIGRATION_TABLE)
    : sql.id(DEFAULT_MIGRATION_TABLE);

  /** Names of the applied migrations; null when the migration table is missing. */
  async function appliedMigrations(tables?: Set<string>): Promise<string[] | null> {
    if (!(tables ?? (await dialect.tableNames(db))).has(DEFAULT_MIGRATION_TABLE)) return null;
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${migrationTable}`.execute(db);
    return rows.map((r) => r.name);
  }

  // An object of own properties, not a class instance: callers may copy it with a spread
  // (tests swap `db` for a handle with a plugin).
  return {
    db,
    dialect: dialect.name,
    groupCommit: new GroupCommit(db, dialect.groupCommitConcurrency),
    migrate() {
      return dialect.withMigrationDb(db, async (migrationDb) => {
        const migrator = new Migrator({
          db: migrationDb,
          provider: migrationProvider(dialect.migrationContext),
          ...(dialect.migrationTableSchema ? { migrationTableSchema: dialect.migrationTableSchema } : {}),
        });
        const { error, results } = await migrator.migrateToLatest();
        if (error) throw error;
        return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      });
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async schemaVersion() {
      const applied = await appliedMigrations();
      return applied === null ? null : (applied.sort().at(-1) ?? null);
    },
    async schemaReady() {
      const tables = await dialect.tableNames(db);
      if (Object.keys(TABLES).some((t) => !tables.has(t))) return false;
      const applied = await appliedMigrations(tables);
      if (applied === null) return false;
      const have = new Set(applied);
      // Migrations newer than this build (another instance upgraded first) do not matter.
      return migrationNames().every((m) => have.has(m));
    },
    notify: (payload) => invalidations.notify(payload),
    broadcast: (payload) => invalidations.broadcast(payload),
    subscribe: (handler) => invalidations.subscribe(handler),
    invalidationsDownSinceMs: () => invalidations.downSinceMs(),
    async close() {
      await invalidations.close();
      await dialect.close();
      await db.destroy();
    },
  };
}
