import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Kysely, SqliteAdapter, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import { Checkpointer } from './checkpointer.js';
import { Subscribers } from './invalidations.js';
import type { MigrationContext } from './migrations/context.js';
import type { Database } from './schema.js';
import type {
  ErrorClassifier,
  InvalidationChannel,
  SqliteConfig,
  StoreAdapter,
  StoreDialect,
  StoreErrorKind,
} from './store-dialect.js';

/** better-sqlite3 reports a new row's id itself (lastInsertRowid): inserts need no RETURNING. */
class SqliteStoreAdapter extends SqliteAdapter implements StoreAdapter {
  readonly reportsInsertId = true;
}

/**
 * SQLite through better-sqlite3: one file, one connection, WAL with synchronous=NORMAL and its
 * checkpoints in a worker thread, files only the service's user may read. One process uses it,
 * so invalidations only reach this process's subscribers.
 */
export class SqliteStoreDialect extends SqliteDialect implements StoreDialect {
  readonly name = 'sqlite';
  /** One connection: one transaction at a time. */
  readonly groupCommitConcurrency = 1;
  readonly migrationContext: MigrationContext = {
    idType: 'integer',
    primaryKey: (c) => c.primaryKey().autoIncrement(),
  };
  readonly migrationTableSchema = undefined;
  readonly classifyError = classifySqliteError;
  /** The database handle (closed by Kysely's destroy()). */
  readonly database: SQLite.Database;
  /** The background checkpointer, stopped before the database is closed. */
  readonly checkpointer: Checkpointer;

  constructor(config: SqliteConfig) {
    const database = openDatabase(config.file);
    super({ database: withStatementCache(database) });
    this.database = database;
    this.checkpointer = new Checkpointer(database, config.file);
  }

  override createAdapter(): StoreAdapter {
    return new SqliteStoreAdapter();
  }

  async prepare(): Promise<void> {}

  withMigrationDb<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return work(db);
  }

  async tableNames(db: Kysely<Database>): Promise<Set<string>> {
    const { rows } = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(
      db,
    );
    return new Set(rows.map((r) => r.name));
  }

  invalidations(): InvalidationChannel {
    const subscribers = new Subscribers();
    return {
      async notify(payload) {
        subscribers.dispatch(payload);
      },
      // One process uses the file: there is no other instance to tell.
      async broadcast() {},
      async subscribe(handler) {
        subscribers.add(handler);
      },
      downSinceMs: () => null,
      async close() {
        subscribers.clear();
      },
    };
  }

  async close(): Promise<void> {
    await this.checkpointer.stop();
  }
}

/** Opens the file with the connection settings every Tokenward store uses. */
function openDatabase(file: string): SQLite.Database {
  restrictFiles(file);
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (SIGKILL) without losing a committed write.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return database;
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

/** SQLite (better-sqlite3's SqliteError): by result code, extended codes by their prefix. */
const SQLITE_PREFIXES: ReadonlyArray<readonly [string, StoreErrorKind]> = [
  // A trigger's RAISE(ABORT): the store's own guard refused the write, as PostgreSQL's P0001.
  ['SQLITE_CONSTRAINT_TRIGGER', 'unavailable'],
  ['SQLITE_CONSTRAINT', 'conflict'],
  ['SQLITE_MISMATCH', 'bad_value'],
  ['SQLITE_TOOBIG', 'bad_value'],
  ['SQLITE_BUSY', 'unavailable'],
  ['SQLITE_LOCKED', 'unavailable'],
  ['SQLITE_IOERR', 'unavailable'],
  ['SQLITE_CORRUPT', 'unavailable'],
  ['SQLITE_NOTADB', 'unavailable'],
  ['SQLITE_FULL', 'unavailable'],
  ['SQLITE_CANTOPEN', 'unavailable'],
  ['SQLITE_READONLY', 'unavailable'],
  ['SQLITE_PERM', 'unavailable'],
  ['SQLITE_NOMEM', 'unavailable'],
  ['SQLITE_PROTOCOL', 'unavailable'],
];

/** SQLITE_ERROR is also what a bug gets; only a schema that is missing or behind is the store's. */
const SQLITE_SCHEMA_MISSING = /^no such (table|column)\b|has no column named /;

export const classifySqliteError: ErrorClassifier = (error) => {
  const code = error.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    // better-sqlite3 on a closed handle (the app shutting down).
    if (error instanceof TypeError && error.message === 'The database connection is not open') {
      return 'unavailable';
    }
    return undefined;
  }
  for (const [prefix, kind] of SQLITE_PREFIXES) if (code.startsWith(prefix)) return kind;
  if (code === 'SQLITE_ERROR' && typeof error.message === 'string') {
    return SQLITE_SCHEMA_MISSING.test(error.message) ? 'unavailable' : null;
  }
  return null;
};
