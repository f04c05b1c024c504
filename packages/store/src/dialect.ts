import { PostgresStoreDialect } from './postgres-dialect.js';
import { SqliteStoreDialect } from './sqlite-dialect.js';
import type { DialectName, StoreConfig, StoreDialect } from './store-dialect.js';

export { SCHEMA_PATTERN } from './postgres-dialect.js';
export type { DialectName, StoreConfig, StoreDialect } from './store-dialect.js';

/** The dialect object for each kind of store config. */
const DIALECTS: { [K in DialectName]: (config: Extract<StoreConfig, { dialect: K }>) => StoreDialect } = {
  sqlite: (config) => new SqliteStoreDialect(config),
  postgres: (config) => new PostgresStoreDialect(config),
};

export interface CreatedDialect {
  /** A Kysely dialect, and everything else the store does differently on it. */
  dialect: StoreDialect;
}

/**
 * createDialect(config) → SQLite (better-sqlite3, WAL) or PostgreSQL (pg): opens the database
 * file or creates the pool at once, so a bad path or schema name fails here.
 */
export function createDialect(config: StoreConfig): CreatedDialect {
  const create = DIALECTS[config.dialect] as (config: StoreConfig) => StoreDialect;
  return { dialect: create(config) };
}
