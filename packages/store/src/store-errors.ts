import pg from 'pg';

/**
 * What a store error means for the request that met it:
 * - `unavailable`: not the caller's fault, and a retry may well succeed (connection lost or
 *   refused, a timeout, a lock not granted, the schema missing or behind, disk full): 503.
 * - `bad_value`: the store cannot hold or compare a value taken from the request (an integer
 *   beyond its range, NUL in text, a number that is not finite): 400.
 * - `conflict`: a constraint refused the write (unique, foreign key, check): 409.
 * - null: not a store error this layer knows; the caller's generic handling applies (500).
 */
export type StoreErrorKind = 'unavailable' | 'bad_value' | 'conflict';

interface DialectErrors {
  /** The error's kind, or undefined when the error is not this dialect's. */
  classify(error: { code?: unknown; message?: unknown }): StoreErrorKind | null | undefined;
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

const postgresErrors: DialectErrors = {
  classify(error) {
    if (!(error instanceof pg.DatabaseError)) return undefined;
    const code = error.code ?? '';
    return PG_CODES[code] ?? PG_CLASSES[code.slice(0, 2)] ?? null;
  },
};

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

const sqliteErrors: DialectErrors = {
  classify(error) {
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
  },
};

/** Socket-level failures of the PostgreSQL client (and its pool): the server could not be used. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end on the pool|driver has already been destroyed/i;

const connectionErrors: DialectErrors = {
  classify(error) {
    if (typeof error.code === 'string' && SOCKET_CODES.has(error.code)) return 'unavailable';
    if (typeof error.message === 'string' && CONNECTION_MESSAGES.test(error.message)) return 'unavailable';
    return undefined;
  },
};

const DIALECT_ERRORS: readonly DialectErrors[] = [postgresErrors, sqliteErrors, connectionErrors];

/**
 * Classifies an error thrown by the store (either dialect, or the connection to it). Looks
 * through `cause` and AggregateError's `errors` (a connection attempt to several addresses).
 */
export function classifyStoreError(err: unknown, depth = 0): StoreErrorKind | null {
  if (typeof err !== 'object' || err === null || depth > 3) return null;
  const error = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  for (const dialect of DIALECT_ERRORS) {
    const kind = dialect.classify(error);
    if (kind !== undefined) return kind;
  }
  if (Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const kind = classifyStoreError(inner, depth + 1);
      if (kind !== null) return kind;
    }
  }
  return error.cause === undefined ? null : classifyStoreError(error.cause, depth + 1);
}
