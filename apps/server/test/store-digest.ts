import { createHash } from 'node:crypto';
import type { Database } from '@tokenward/store';
import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * A digest of everything the store holds that a request may change: the rows of every table
 * that carries state, in primary-key order, read through the store's Kysely handle on SQLite
 * and PostgreSQL alike. Two digests differ exactly when some of that state changed.
 *
 * Left out is the bookkeeping a refused or read-only request may legitimately write:
 * - `tokens.last_used_at_ms`, `tokens.use_count`, `sessions.last_seen_at_ms`: usage, written in
 *   batches by services/usage-tracker.ts whenever it flushes;
 * - the `audit_events` table: refusals are audited;
 * - the `rate_limits` table: failures are counted;
 * - the `dpop_proofs` table: a DPoP proof is spent when it is checked, whatever the request
 *   then does (RFC 9449 §11.1 replay check).
 *
 * `storeDigest` is one query whatever the store holds (the rows are joined and, on PostgreSQL,
 * hashed with SHA-256 by the database), so it is cheap enough to take around every request;
 * `storeSnapshot` reads the rows themselves, to say what changed (`diffSnapshots`).
 */

/** Tables digested, with their primary key. */
export const DIGESTED_TABLES = {
  identities: 'id',
  roles: 'name',
  tokens: 'id',
  sessions: 'id',
  signing_keys: 'kid',
  client_keys: 'identity_id',
} as const satisfies Partial<Record<keyof Database, string>>;
export type DigestedTable = keyof typeof DIGESTED_TABLES;
const TABLE_NAMES = Object.keys(DIGESTED_TABLES) as DigestedTable[];

/** Tables deliberately not digested (see above), and the migration tool's own. */
export const UNDIGESTED_TABLES: readonly string[] = [
  'audit_events',
  'rate_limits',
  'dpop_proofs',
  'kysely_migration',
  'kysely_migration_lock',
];

/** Columns left out of a digested table's rows. */
export const EXCLUDED_COLUMNS: Readonly<Partial<Record<DigestedTable, readonly string[]>>> = {
  tokens: ['last_used_at_ms', 'use_count'],
  sessions: ['last_seen_at_ms'],
};

/** One table's rows: primary key (as text) → the row's columns (excluded ones removed). */
export type TableRows = Map<string, Record<string, unknown>>;
export interface StoreSnapshot {
  /** storeDigest() of the same state. */
  digest: string;
  rows: Record<DigestedTable, TableRows>;
}

// biome-ignore lint/suspicious/noExplicitAny: queries over tables named at run time.
type AnyDb = Kysely<any>;

interface Layout {
  sqlite: boolean;
  /** Digested columns of each table, in the store's order. */
  columns: Record<DigestedTable, string[]>;
  /** The digest query. */
  query: string;
}
const layouts = new WeakMap<object, Promise<Layout>>();

const isSqlite = (db: Kysely<Database>) => db.getExecutor().adapter instanceof SqliteAdapter;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Names of the store's own tables (on PostgreSQL, those of the schema in use). */
async function storeTables(db: Kysely<Database>): Promise<Array<{ name: string; columns: string[] }>> {
  const tables = await db.introspection.getTables();
  let schema: string | undefined;
  if (!isSqlite(db)) {
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    schema = r.rows[0]?.s;
  }
  return tables
    .filter((t) => schema === undefined || t.schema === schema)
    .map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) }));
}

function layoutOf(db: Kysely<Database>): Promise<Layout> {
  let layout = layouts.get(db);
  if (!layout) {
    layout = (async () => {
      const sqlite = isSqlite(db);
      const tables = new Map((await storeTables(db)).map((t) => [t.name, t.columns]));
      const columns = {} as Record<DigestedTable, string[]>;
      const parts: string[] = [];
      for (const table of TABLE_NAMES) {
        const all = tables.get(table);
        if (!all) throw new Error(`store-digest: the store has no table ${table}`);
        const excluded = new Set(EXCLUDED_COLUMNS[table] ?? []);
        columns[table] = all.filter((c) => !excluded.has(c));
        const pk = ident(DIGESTED_TABLES[table]);
        const t = ident(table);
        parts.push(
          sqlite
            ? `(select coalesce(group_concat(${columns[table].map((c) => `quote(${ident(c)})`).join(` || ',' || `)}, char(10) order by ${pk}), '') from ${t}) as ${ident(table)}`
            : `(select encode(sha256(convert_to(coalesce(string_agg(concat_ws(',', ${columns[table].map((c) => `quote_nullable(${ident(c)})`).join(', ')}), E'\\n' order by ${pk}), ''), 'UTF8')), 'hex') from ${t}) as ${ident(table)}`,
        );
      }
      return { sqlite, columns, query: `select ${parts.join(', ')}` };
    })();
    layouts.set(db, layout);
  }
  return layout;
}

/** SHA-256 (hex) of the digested state of the store, in one query. */
export async function storeDigest(db: Kysely<Database>): Promise<string> {
  const layout = await layoutOf(db);
  const r = await sql<Record<string, string>>`${sql.raw(layout.query)}`.execute(db);
  const row = r.rows[0] ?? {};
  const hash = createHash('sha256');
  for (const table of TABLE_NAMES) hash.update(`\u0000${table}\u0000${row[table] ?? ''}`);
  return hash.digest('hex');
}

/** A value the same way on both dialects (BIGINT may come back as a string). */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value;
  if (value instanceof Date) return String(value.getTime());
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return value;
}

/** Reads every digested row, and the digest of the same state. */
export async function storeSnapshot(db: Kysely<Database>): Promise<StoreSnapshot> {
  const layout = await layoutOf(db);
  const digest = await storeDigest(db);
  const rows = {} as Record<DigestedTable, TableRows>;
  for (const table of TABLE_NAMES) {
    const pk = DIGESTED_TABLES[table];
    const found = (await (db as AnyDb)
      .selectFrom(table)
      .select(layout.columns[table])
      .orderBy(pk)
      .execute()) as Array<Record<string, unknown>>;
    rows[table] = new Map(
      found.map((row) => {
        const kept: Record<string, unknown> = {};
        for (const column of layout.columns[table]) kept[column] = canonical(row[column]);
        return [String(canonical(row[pk])), kept];
      }),
    );
  }
  return { digest, rows };
}

export interface RowChange {
  table: DigestedTable;
  key: string;
  kind: 'added' | 'removed' | 'changed';
  /** For `changed`: the columns that differ, with their values before and after. */
  columns?: Record<string, { before: unknown; after: unknown }>;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** What changed from `a` to `b`, row by row. */
export function diffSnapshots(a: StoreSnapshot, b: StoreSnapshot): RowChange[] {
  if (a.digest === b.digest) return [];
  const out: RowChange[] = [];
  for (const table of TABLE_NAMES) {
    const before = a.rows[table];
    const after = b.rows[table];
    for (const [key, row] of before) {
      const now = after.get(key);
      if (!now) {
        out.push({ table, key, kind: 'removed', before: row });
        continue;
      }
      const columns: Record<string, { before: unknown; after: unknown }> = {};
      for (const column of new Set([...Object.keys(row), ...Object.keys(now)])) {
        if (JSON.stringify(row[column]) !== JSON.stringify(now[column])) {
          columns[column] = { before: row[column], after: now[column] };
        }
      }
      if (Object.keys(columns).length > 0) {
        out.push({ table, key, kind: 'changed', columns, before: row, after: now });
      }
    }
    for (const [key, row] of after) {
      if (!before.has(key)) out.push({ table, key, kind: 'added', after: row });
    }
  }
  return out;
}

/**
 * Tables of the store that are neither digested nor deliberately left out: a table added to the
 * schema must be classified here, or the digest would miss its state.
 */
export async function unclassifiedTables(db: Kysely<Database>): Promise<string[]> {
  const known = new Set<string>([...TABLE_NAMES, ...UNDIGESTED_TABLES]);
  return (await storeTables(db)).map((t) => t.name).filter((name) => !known.has(name));
}
