import type { DialectAdapter, Kysely, Dialect as KyselyDialect } from 'kysely';
import type { MigrationContext } from './migrations/context.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface SqliteConfig {
  dialect: 'sqlite';
  file: string;
}

export interface PostgresConfig {
  dialect: 'postgres';
  url: string;
  /** Schema to use (created when missing); tests give each suite its own. */
  schema?: string;
  poolMax?: number;
  /** A statement running longer is cancelled (57014 → 503). Default 5000. */
  statementTimeoutMs?: number;
  /** A lock not granted within this is given up (55P03 → 503). Default 2000. */
  lockTimeoutMs?: number;
}

export type StoreConfig = SqliteConfig | PostgresConfig;

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

/**
 * Reads an error thrown by a store: its kind, null when it is this dialect's error but not one
 * the store layer knows, undefined when it is not this dialect's error at all.
 */
export type ErrorClassifier = (error: {
  code?: unknown;
  message?: unknown;
}) => StoreErrorKind | null | undefined;

export type InvalidationHandler = (payload: string) => void;

/** Cache invalidations between the instances sharing a store. */
export interface InvalidationChannel {
  /** Tells every subscriber of every instance sharing the store (this one included). */
  notify(payload: string): Promise<void>;
  /**
   * Tells the other instances sharing the store, if any can: as notify where other instances
   * may share it (this one hears it too), nothing where none can.
   */
  broadcast(payload: string): Promise<void>;
  subscribe(handler: InvalidationHandler): Promise<void>;
  /** Since when other instances' invalidations may be missed, or null while they arrive. */
  downSinceMs(): number | null;
  close(): Promise<void>;
}

/**
 * Kysely's adapter plus what the store's own queries need to know of a dialect. Kysely puts
 * "every difference outside the driver and the compiler" in the adapter; this adds ours.
 */
export interface StoreAdapter extends DialectAdapter {
  /**
   * The driver reports a new row's id by itself (QueryResult.insertId), so an insert needs no
   * RETURNING clause, which on SQLite costs a third of a one-row insert.
   */
  readonly reportsInsertId: boolean;
}

/**
 * Everything the two stores do differently, one object per dialect. It is a Kysely `Dialect`
 * (driver, query compiler, adapter, introspector: Kysely's own split) plus what the store
 * around Kysely needs: the connection's setup, migrations, the catalog, invalidations, error
 * codes and what runs beside the connection. Nothing outside these objects asks which dialect
 * it is.
 */
export interface StoreDialect extends KyselyDialect {
  /** Reported by health checks and logs; never compared. */
  readonly name: DialectName;
  createAdapter(): StoreAdapter;
  /** Runs once the Kysely instance exists, before anything else (e.g. creating the schema). */
  prepare(db: Kysely<Database>): Promise<void>;
  /** Transactions a GroupCommit may run at once. */
  readonly groupCommitConcurrency: number;
  /** What a migration may know about the dialect. */
  readonly migrationContext: MigrationContext;
  /** Schema of Kysely's migration tables, when not the connection's default. */
  readonly migrationTableSchema: string | undefined;
  /**
   * Runs `work` (the migrator) on a handle fit for migrations: on PostgreSQL a connection of
   * its own without statement and lock timeouts.
   */
  withMigrationDb<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** The tables of the store's schema, read from the catalog. */
  tableNames(db: Kysely<Database>): Promise<Set<string>>;
  /** The invalidation channel of this store (one per store). */
  invalidations(db: Kysely<Database>): InvalidationChannel;
  /** This dialect's error codes (see ErrorClassifier). */
  readonly classifyError: ErrorClassifier;
  /** Stops what runs beside the connection; Kysely's destroy() then closes the connection. */
  close(): Promise<void>;
}
