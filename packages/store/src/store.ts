import { Kysely, Migrator, sql } from 'kysely';
import pg from 'pg';
import {
  type CreatedDialect,
  createDialect,
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
  /** Applies pending migrations (serialised across instances by Kysely's migration lock). */
  migrate(): Promise<string[]>;
  /** Cheap round trip; throws when the store is unreachable. */
  ping(): Promise<void>;
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

  return {
    db,
    dialect: name,
    // SQLite has one connection; on PostgreSQL half the pool, the rest stays free for reads.
    groupCommit: new GroupCommit(
      db,
      config.dialect === 'postgres' ? Math.max(1, Math.floor((config.poolMax ?? 10) / 2)) : 1,
    ),
    async migrate() {
      const migrator = new Migrator({
        db,
        provider: migrationProvider(name),
        ...(config.dialect === 'postgres' && config.schema ? { migrationTableSchema: config.schema } : {}),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
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
