import { DEFAULT_MIGRATION_TABLE, Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  type CreatedDialect,
  createDialect,
  createPool,
  type DialectName,
  pgPoolConfig,
  type StoreConfig,
} from './dialect.js';
import { GroupCommit } from './group-commit.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type InvalidationHandler = (payload: string) => void;

/** The store: a Kysely handle plus what the dialects do differently, kept in this package. */
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
} satisfies Record<keyof Database, true>;

export async function openStore(config: StoreConfig): Promise<Store> {
  const created: CreatedDialect = createDialect(config);
  const db = new Kysely<Database>({ dialect: created.dialect });
  const name: DialectName = config.dialect;
  const handlers = new Set<InvalidationHandler>();
  let listener: pg.Client | null = null;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let downSinceMs: number | null = config.dialect === 'postgres' ? Date.now() : null;
  const schema = config.dialect === 'postgres' ? (config.schema ?? 'public') : 'main';
  const channel = `tokenward_${schema}`.slice(0, 63);

  if (config.dialect === 'postgres' && config.schema) {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(config.schema)}`.execute(db);
  }

  const dispatch = (payload: string) => {
    for (const h of handlers) {
      try {
        h(payload);
      } catch {
        // A failing subscriber must not stop the others.
      }
    }
  };

  async function connectListener(): Promise<void> {
    if (config.dialect !== 'postgres' || closed) return;
    const client = new pg.Client(pgPoolConfig(config));
    const retry = () => {
      if (listener === client) listener = null;
      downSinceMs ??= Date.now();
      client.removeAllListeners();
      // pg may still emit 'error' on this client (e.g. after 'end'): an unhandled one would crash.
      client.on('error', () => {});
      client.end().catch(() => {});
      if (!closed && !reconnectTimer) {
        reconnectTimer = setTimeout(() => {
          reconnectTimer = null;
          // A lost connection may have missed notifications: tell subscribers to drop everything.
          connectListener().then(
            () => dispatch('*'),
            () => {},
          );
        }, 500);
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      if (msg.channel === channel) dispatch(msg.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
      listener = client;
      downSinceMs = null;
    } catch (err) {
      retry();
      throw err;
    }
  }

  /** The tables of the store's schema (PostgreSQL: the configured one, else the current one). */
  async function tableNames(): Promise<Set<string>> {
    const { rows } =
      config.dialect === 'postgres'
        ? await sql<{ name: string }>`
            SELECT c.relname AS name
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND n.nspname = ${config.schema ? sql`${config.schema}` : sql`current_schema()`}`.execute(db)
        : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(db);
    return new Set(rows.map((r) => r.name));
  }

  /** Names of the applied migrations; null when the migration table is missing. */
  async function appliedMigrations(tables?: Set<string>): Promise<string[] | null> {
    if (!(tables ?? (await tableNames())).has(DEFAULT_MIGRATION_TABLE)) return null;
    const table =
      config.dialect === 'postgres' && config.schema
        ? sql.id(config.schema, DEFAULT_MIGRATION_TABLE)
        : sql.id(DEFAULT_MIGRATION_TABLE);
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${table}`.execute(db);
    return rows.map((r) => r.name);
  }

  return {
    db,
    dialect: name,
    // SQLite has one connection; on PostgreSQL half the pool, the rest stays free for reads.
    groupCommit: new GroupCommit(
      db,
      config.dialect === 'postgres' ? Math.max(1, Math.floor((config.poolMax ?? 10) / 2)) : 1,
    ),
    async migrate() {
      const migrationDb =
        config.dialect === 'postgres'
          ? new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(config, 'migrations') }) })
          : db;
      try {
        const migrator = new Migrator({
          db: migrationDb,
          provider: migrationProvider(name),
          ...(config.dialect === 'postgres' && config.schema ? { migrationTableSchema: config.schema } : {}),
        });
        const { error, results } = await migrator.migrateToLatest();
        if (error) throw error;
        return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      } finally {
        if (migrationDb !== db) await migrationDb.destroy();
      }
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async schemaVersion() {
      const applied = await appliedMigrations();
      return applied === null ? null : (applied.sort().at(-1) ?? null);
    },
    async schemaReady() {
      const tables = await tableNames();
      if (Object.keys(TABLES).some((t) => !tables.has(t))) return false;
      const applied = await appliedMigrations(tables);
      if (applied === null) return false;
      const have = new Set(applied);
      // Migrations newer than this build (another instance upgraded first) do not matter.
      return Object.keys(await migrationProvider(name).getMigrations()).every((m) => have.has(m));
    },
    async notify(payload) {
      if (config.dialect === 'postgres') {
        await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
      } else {
        dispatch(payload);
      }
    },
    async subscribe(handler) {
      handlers.add(handler);
      if (config.dialect === 'postgres' && !listener) {
        await connectListener().catch(() => {
          // The reconnect loop keeps trying; readiness reports the store as down meanwhile.
        });
      }
    },
    invalidationsDownSinceMs() {
      return downSinceMs;
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      handlers.clear();
      if (listener) {
        const l = listener;
        listener = null;
        l.removeAllListeners();
        l.on('error', () => {});
        await l.end().catch(() => {});
      }
      await created.checkpointer?.stop();
      await db.destroy();
    },
  };
}
