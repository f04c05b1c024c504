import { CompiledQuery, type Kysely, SqliteAdapter, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;
type Table = 'tokens' | 'audit_events';

/**
 * Compiled INSERT statements by dialect adapter (a database and its transactions share one),
 * then by table and column list.
 */
const compiled = new WeakMap<object, Map<string, string>>();

/**
 * One-row INSERT for the write hot paths (grant, audit); resolves to the new row's id when asked.
 * Kysely builds and compiles a query object on every call, which for a wide row costs about as
 * much as SQLite's own insert; the SQL text only depends on the table and the columns given, so
 * it is compiled by Kysely once and reused with each row's values in the same column order.
 * SQLite reports the new id itself (RETURNING would cost a third of the insert); PostgreSQL
 * returns it.
 */
export async function insertRow(
  db: Db,
  table: Table,
  row: Readonly<Record<string, unknown>>,
  returnId: boolean,
): Promise<number | undefined> {
  const columns = Object.keys(row).filter((c) => row[c] !== undefined);
  const adapter = db.getExecutor().adapter;
  const sqlite = adapter instanceof SqliteAdapter;
  const key = `${table}|${returnId && !sqlite ? 'id' : ''}|${columns.join(',')}`;
  let byKey = compiled.get(adapter);
  if (!byKey) {
    byKey = new Map();
    compiled.set(adapter, byKey);
  }
  let text = byKey.get(key);
  if (text === undefined) {
    // The sample values only stand in for parameters: the SQL is the same for any row.
    const sample = Object.fromEntries(columns.map((c) => [c, null]));
    // biome-ignore lint/suspicious/noExplicitAny: the table is chosen at run time here.
    const query = (db as Kysely<any>).insertInto(table).values(sample);
    text = (returnId && !sqlite ? query.returning('id') : query).compile().sql;
    if (byKey.size < 64) byKey.set(key, text);
  }
  const values = columns.map((c) => row[c]);
  const result = await db.executeQuery<{ id: number }>(CompiledQuery.raw(text, values));
  if (!returnId) return undefined;
  const id = sqlite ? result.insertId : result.rows[0]?.id;
  if (id === undefined) throw new Error(`insert into ${table} reported no id`);
  return Number(id);
}
