import { Kysely, PostgresAdapter, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { Subscribers } from './invalidations.js';
import type { MigrationContext } from './migrations/context.js';
import type { Database } from './schema.js';
import type {
  ErrorClassifier,
  InvalidationChannel,
  PostgresConfig,
  StoreAdapter,
  StoreDialect,
  StoreErrorKind,
} from './store-dialect.js';

const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
const DEFAULT_LOCK_TIMEOUT_MS = 2000;
/** A transaction left open this long without a statement is ended by the server. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** pg does not report insert ids: an insert that needs one says RETURNING. */
class PostgresStoreAdapter extends PostgresAdapter implements StoreAdapter {
  readonly reportsInsertId = false;
}

/**
 * PostgreSQL through pg: a pool whose sessions carry statement, lock and idle-in-transaction
 * timeouts, an optional schema of its own, migrations on a connection without those timeouts,
 * and invalidations shared by every instance through LISTEN/NOTIFY.
 */
export class PostgresStoreDialect extends PostgresDialect implements StoreDialect {
  readonly name = 'postgres';
  /** Half the pool: the rest stays free for reads. */
  readonly groupCommitConcurrency: number;
  readonly migrationContext: MigrationContext = {
    idType: 'serial',
    primaryKey: (c) => c.primaryKey(),
  };
  readonly migrationTableSchema: string | undefined;
  readonly classifyError = classifyPostgresError;
  /** The pool (ended by Kysely's destroy()). */
  readonly pool: pg.Pool;

  constructor(private readonly config: PostgresConfig) {
    const pool = createPool(config, 'queries');
    super({ pool });
    this.pool = pool;
    this.groupCommitConcurrency = Math.max(1, Math.floor((config.poolMax ?? 10) / 2));
    this.migrationTableSchema = config.schema;
  }

  override createAdapter(): StoreAdapter {
    return new PostgresStoreAdapter();
  }

  async prepare(db: Kysely<Database>): Promise<void> {
    if (this.config.schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(this.config.schema)}`.execute(db);
  }

  async withMigrationDb<T>(_db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const migrationDb = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: createPool(this.config, 'migrations') }),
    });
    try {
      return await work(migrationDb);
    } finally {
      await migrationDb.destroy();
    }
  }

  /** The tables of the configured schema, else of the current one. */
  async tableNames(db: Kysely<Database>): Promise<Set<string>> {
    const schema = this.config.schema;
    const { rows } = await sql<{ name: string }>`
      SELECT c.relname AS name
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname = ${schema ? sql`${schema}` : sql`current_schema()`}`.execute(db);
    return new Set(rows.map((r) => r.name));
  }

  invalidations(db: Kysely<Database>): InvalidationChannel {
    return new PostgresInvalidations(db, this.config);
  }

  async close(): Promise<void> {}
}

/**
 * NOTIFY through the pool, LISTEN on a connection of its own, reconnected every 500 ms while
 * it is down. Reconnected, it tells subscribers to drop everything ('*'): it may have missed
 * notifications meanwhile.
 */
class PostgresInvalidations implements InvalidationChannel {
  private readonly subscribers = new Subscribers();
  private readonly channel: string;
  private listener: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Down until the first LISTEN succeeds. */
  private downSince: number | null = Date.now();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: PostgresConfig,
  ) {
    this.channel = `tokenward_${config.schema ?? 'public'}`.slice(0, 63);
  }

  async notify(payload: string): Promise<void> {
    await sql`SELECT pg_notify(${this.channel}, ${payload})`.execute(this.db);
  }

  broadcast(payload: string): Promise<void> {
    return this.notify(payload);
  }

  async subscribe(handler: (payload: string) => void): Promise<void> {
    this.subscribers.add(handler);
    if (!this.listener) {
      await this.connect().catch(() => {
        // The reconnect loop keeps trying; readiness reports the store as down meanwhile.
      });
    }
  }

  downSinceMs(): number | null {
    return this.downSince;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(pgPoolConfig(this.config));
    const retry = () => {
      if (this.listener === client) this.listener = null;
      this.downSince ??= Date.now();
      client.removeAllListeners();
      // pg may still emit 'error' on this client (e.g. after 'end'): an unhandled one would crash.
      client.on('error', () => {});
      client.end().catch(() => {});
      if (!this.closed && !this.reconnectTimer) {
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = null;
          // A lost connection may have missed notifications: tell subscribers to drop everything.
          this.connect().then(
            () => this.subscribers.dispatch('*'),
            () => {},
          );
        }, 500);
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.subscribers.dispatch(msg.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      this.listener = client;
      this.downSince = null;
    } catch (err) {
      retry();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.subscribers.clear();
    const listener = this.listener;
    if (listener) {
      this.listener = null;
      listener.removeAllListeners();
      listener.on('error', () => {});
      await listener.end().catch(() => {});
    }
  }
}

/** BIGINT (int8, OID 20) as a JS number: epoch milliseconds and counts fit comfortably. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * Pool settings. Every session gets `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout` as startup options, so a held lock or a stuck query
 * ends as an error (503) instead of a request that hangs. `purpose: 'migrations'` turns the
 * statement and lock timeouts off: migrations may rewrite large tables, and instances starting
 * together wait on Kysely's migration lock for as long as the first one migrates.
 */
function pgPoolConfig(config: PostgresConfig, purpose: 'queries' | 'migrations' = 'queries'): pg.PoolConfig {
  if (config.schema !== undefined && !SCHEMA_PATTERN.test(config.schema)) {
    throw new Error(`Invalid PostgreSQL schema name: ${config.schema}`);
  }
  const statementTimeoutMs =
    purpose === 'migrations' ? 0 : timeoutMs(config.statementTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS);
  const lockTimeoutMs =
    purpose === 'migrations' ? 0 : timeoutMs(config.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS);
  const options = [
    ...(config.schema ? [`-c search_path=${config.schema}`] : []),
    `-c statement_timeout=${statementTimeoutMs}`,
    `-c lock_timeout=${lockTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
  ];
  return {
    connectionString: config.url,
    max: purpose === 'migrations' ? 1 : (config.poolMax ?? 10),
    types: pgTypes,
    connectionTimeoutMillis: 5000,
    options: options.join(' '),
  };
}

function timeoutMs(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`Invalid PostgreSQL timeout: ${value}`);
  return value;
}

/** A pg pool whose connection failures never crash the process. */
function createPool(config: PostgresConfig, purpose: 'queries' | 'migrations'): pg.Pool {
  const pool = new pg.Pool(pgPoolConfig(config, purpose));
  // An idle client losing its connection (e.g. the server restarting) must not crash the process.
  pool.on('error', () => {});
  // pg emits 'error' on a checked-out client whose socket dies, besides failing its query; with
  // no listener that would be an uncaught exception. The failed query carries the error.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/**
 * PostgreSQL: by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 * Classes are decided whole; single codes refine them.
 */
const PG_CLASSES: Record<string, StoreErrorKind> = {
  '08': 'unavailable', // connection exception
  '22': 'bad_value', // data exception: 22003 out of range, 22021 NUL in text, 22P02 not a number, …
  '23': 'conflict', // integrity constraint violation
  '28': 'unavailable', // invalid authorization (the server's credentials, not the caller's)
  '3D': 'unavailable', // 3D000: the database does not exist
  '3F': 'unavailable', // 3F000: the schema does not exist
  '40': 'unavailable', // transaction rollback: 40001 serialization failure, 40P01 deadlock
  '53': 'unavailable', // insufficient resources: disk full, out of memory, too many connections
  // object not in prerequisite state: 55P03 lock_not_available (lock_timeout), 55000 "database
  // is not currently accepting connections", 55006 object in use
  '55': 'unavailable',
  // program limit exceeded (54000: a value too large for an index row): the request's value
  '54': 'bad_value',
  '57': 'unavailable', // operator intervention: 57014 statement_timeout, 57P01-57P05 shutdown, …
  '58': 'unavailable', // system error (I/O)
  XX: 'unavailable', // internal error, data or index corrupted
  // PL/pgSQL raise_exception and friends: a trigger or function of the store's refused the write
  // (an operator's guard, a full audit partition): not the caller's doing.
  P0: 'unavailable',
};

const PG_CODES: Record<string, StoreErrorKind> = {
  // The schema is missing or behind this build (a table or column dropped, migrations not run,
  // privileges revoked): the operator's problem, not the caller's.
  '42P01': 'unavailable', // undefined_table
  '42703': 'unavailable', // undefined_column
  '42704': 'unavailable', // undefined_object
  '42883': 'unavailable', // undefined_function
  '42501': 'unavailable', // insufficient_privilege
  // A read-only server (a hot standby after a failover) and server-side session timeouts.
  '25006': 'unavailable', // read_only_sql_transaction
  '25P03': 'unavailable', // idle_in_transaction_session_timeout
  '25P04': 'unavailable', // transaction_timeout (PostgreSQL 17)
};

export const classifyPostgresError: ErrorClassifier = (error) => {
  if (!(error instanceof pg.DatabaseError)) return undefined;
  const code = error.code ?? '';
  return PG_CODES[code] ?? PG_CLASSES[code.slice(0, 2)] ?? null;
};
