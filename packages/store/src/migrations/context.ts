import type { ColumnDefinitionBuilder } from 'kysely';

/**
 * What a migration may know about the dialect: only how to declare an auto-increment key.
 * Each dialect object supplies one; the migrations import this module, never their index.
 */
export interface MigrationContext {
  idType: 'integer' | 'serial';
  primaryKey(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}
