export { createDialect, type DialectName, SCHEMA_PATTERN, type StoreConfig } from './dialect.js';
export * from './repositories/audit.repository.js';
export * from './repositories/identity.repository.js';
export * from './repositories/role.repository.js';
export * from './repositories/session.repository.js';
export * from './repositories/token.repository.js';
export type * from './schema.js';
export { type InvalidationHandler, openStore, type Store } from './store.js';
