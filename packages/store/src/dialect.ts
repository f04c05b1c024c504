import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { type Dialect, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres';

export type StoreConfig =
  | { dialect: 'sqlite'; file: string }
  | {
      dialect: 'postgres';
      url: string;
      /** Schema to use (created when missing); tests give each suite its own. */
      schema?: string;
      poolMax?: number;
      /** A statement running longer is cancelled (57014 → 503). Default 5000. */
      statementTimeoutMs?: number;
      /** A lock not granted within this is given up (55P03 → 503). Default 2000. */
      lockTimeoutMs?: number;
    };

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_LOCK_TIMEOUT_MS = 2000;
/** A transaction left open this long without a statement is ended by the server. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** BIGINT (int8, OID 20) as a JS number: epoch milliseconds and counts fit comfortably. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Pool settings. Every session gets `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout` as startup options, so a held lock or a stuck query
 * ends as an error (503) instead of a request that hangs. `purpose: 'migrations'` turns the
 * statement and lock timeouts off: migrations may rewrite large tables, and instances starting
 * together wait on Kysely's migration lock for as long as the first one migrates.
 */
export function pgPoolConfig(
  config: Extract<StoreConfig, { dialect: 'postgres' }>,
  purpose: 'queries' | 'migrations' = 'queries',
): pg.PoolConfig {
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

export interface CreatedDialect {
  dialect: Dialect;
  /** The pool or database handle, for closing and for listen/notify. */
  sqlite?: SQLite.Database;
  pool?: pg.Pool;
  /** SQLite: the background checkpointer, stopped before the database is closed. */
  checkpointer?: Checkpointer;
}

/** createDialect(config) → SQLite (better-sqlite3, WAL) or PostgreSQL (pg). */
export function createDialect(config: StoreConfig): CreatedDialect {
  if (config.dialect === 'sqlite') {
    restrictFiles(config.file);
    const sqlite = new SQLite(config.file);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL) without losing a committed write.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const checkpointer = new Checkpointer(sqlite, config.file);
    return { dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), sqlite, checkpointer };
  }
  const pool = createPool(config, 'queries');
  return { dialect: new PostgresDialect({ pool }), pool };
}

/** A pg pool whose connection failures never crash the process. */
export function createPool(
  config: Extract<StoreConfig, { dialect: 'postgres' }>,
  purpose: 'queries' | 'migrations',
): pg.Pool {
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
 * The SQLite files hold every token hash, session and audit event: only the service's user
 * may read them. The data folder is created 0700 (an existing one is left as the operator
 * made it); the database file is created 0600 before SQLite opens it, and an existing one (and
 * a -wal/-shm/-journal left by a crash) is set to 0600. SQLite creates -wal and -shm with the
 * database file's mode.
 */
function restrictFiles(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (suffix !== '' && !existsSync(file + suffix)) continue;
    try {
      chmodSync(file + suffix, 0o600);
    } catch (err) {
      // A file another user owns (and lets this one write): its owner decides its mode.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
}

/**
 * Kysely prepares every query afresh; better-sqlite3 statements can be reused, and preparing
 * is a large share of a short query. Statements are cached by SQL text (bounded: the text comes
 * from our query builders, with values as parameters, so there are few distinct ones).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (cache.size >= 500) cache.clear();
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** How often the checkpointer looks for committed WAL frames to copy while writes are quiet. */
const CHECKPOINT_IDLE_MS = 250;
/** …and while they keep coming. */
const CHECKPOINT_BUSY_MS = 20;
/**
 * Frames the WAL may reach before a commit checkpoints by itself. Under a steady stream of
 * writes a checkpoint running beside them never catches the WAL empty, and only a checkpoint
 * right after a commit lets the next one start the WAL afresh: this bounds the WAL (about
 * 40 MB), and by then the worker has copied and synced nearly everything.
 */
const INLINE_CHECKPOINT_PAGES = 10_000;
/** The same bound when the worker is gone: SQLite's default. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Moves most of SQLite's WAL checkpointing off the event loop. better-sqlite3 is synchronous,
 * and a checkpoint copies pages into the database file and fsyncs it: run by the commit that
 * crosses SQLite's default limit (1 000 pages), it stalls every request for as long as the disk
 * takes, tens of milliseconds on these machines. A worker thread with its own connection runs
 * PASSIVE checkpoints instead (they never block the writer): every 250 ms, or every 20 ms while
 * writes keep coming. Commits still checkpoint by themselves past 10 000 pages, which is what
 * lets the WAL start afresh under a continuous write load. Durability is SQLite's own WAL +
 * synchronous=NORMAL either way. Should the worker fail, SQLite's default takes over.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    file: string,
  ) {
    sqlite.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
    this.worker = new Worker(CHECKPOINTER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        file,
        idleMs: CHECKPOINT_IDLE_MS,
        busyMs: CHECKPOINT_BUSY_MS,
      },
    });
    this.worker.unref();
    const fallBack = () => {
      if (this.stopped || !this.sqlite.open) return;
      this.stopped = true;
      this.sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    };
    this.worker.on('error', fallBack);
    this.worker.on('exit', fallBack);
  }

  /** Stops the worker (its connection closed); commits checkpoint by themselves afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    await this.worker.terminate();
  }
}

const CHECKPOINTER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
let lastLog = 0;
const pass = () => {
  let busy = false;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // Frames left to copy, or new ones since the last pass: writes are coming in.
    busy = r.log > 0 && (r.checkpointed < r.log || r.log !== lastLog);
    lastLog = r.log;
  } catch {
    // Busy or closing: the next pass tries again.
  }
  setTimeout(pass, busy ? workerData.busyMs : workerData.idleMs);
};
setTimeout(pass, workerData.idleMs);
`;
