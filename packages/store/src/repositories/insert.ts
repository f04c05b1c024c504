import type { CompiledQuery, DialectAdapter, Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;
type Table = 'tokens' | 'audit_events';

/** Stands in for a column's value while the INSERT is compiled; found again among its parameters. */
class Slot {
  constructor(readonly column: string) {}
}

interface Prepared {
  compiled: CompiledQuery;
  /** The column whose value each of the compiled query's parameters carries. */
  slots: string[];
}

/**
 * Compiled INSERTs by dialect adapter (a Kysely instance and its transactions share one), then
 * by table, RETURNING and column list.
 */
const prepared = new WeakMap<DialectAdapter, Map<string, Prepared>>();

/** Distinct statements kept per adapter (few exist: the SQL only depends on the columns given). */
const MAX_STATEMENTS = 64;

/**
 * One-row INSERT for the write hot paths (grant, audit); resolves to the new row's id when asked.
 * Every insert is a Kysely query. Kysely builds and compiles a query object on every call, which
 * for a wide row costs about as much as SQLite's own insert; the SQL only depends on the table
 * and the columns given, so on a handle without plugins it is compiled once and executed with
 * each row's values as the compiled query's parameters. On a handle with plugins every row is
 * built and compiled afresh, so the plugins see (and may rewrite) each insert with its values.
 * A dialect whose driver reports the new id (StoreAdapter.reportsInsertId: SQLite) needs no
 * RETURNING, which would cost a third of the insert.
 */
export async function insertRow(
  db: Db,
  table: Table,
  row: Readonly<Record<string, unknown>>,
  returnId: boolean,
): Promise<number | undefined> {
  const executor = db.getExecutor();
  const returning = returnId && !reportsInsertId(executor.adapter);
  const compiled =
    executor.plugins.length === 0
      ? withValues(preparedInsert(db, executor.adapter, table, row, returning), row)
      : insertQuery(db, table, row, returning).compile();
  const result = await db.executeQuery<{ id: number }>(compiled);
  if (!returnId) return undefined;
  const id = returning ? result.rows[0]?.id : result.insertId;
  if (id === undefined) throw new Error(`insert into ${table} reported no id`);
  return Number(id);
}

function reportsInsertId(adapter: DialectAdapter): boolean {
  return 'reportsInsertId' in adapter && adapter.reportsInsertId === true;
}

function insertQuery(db: Db, table: Table, values: Readonly<Record<string, unknown>>, returning: boolean) {
  // biome-ignore lint/suspicious/noExplicitAny: the table and its columns are chosen at run time here.
  const query = (db as Kysely<any>).insertInto(table).values(values);
  return returning ? query.returning('id') : query;
}

/** The compiled query again, with this row's values as its parameters. */
function withValues({ compiled, slots }: Prepared, row: Readonly<Record<string, unknown>>): CompiledQuery {
  return { ...compiled, parameters: slots.map((c) => row[c]) };
}

function preparedInsert(
  db: Db,
  adapter: DialectAdapter,
  table: Table,
  row: Readonly<Record<string, unknown>>,
  returning: boolean,
): Prepared {
  // Kysely leaves out the columns whose value is undefined: so does the statement.
  const columns = Object.keys(row).filter((c) => row[c] !== undefined);
  const key = `${table}|${returning ? 'id' : ''}|${columns.join(',')}`;
  let byKey = prepared.get(adapter);
  if (!byKey) {
    byKey = new Map();
    prepared.set(adapter, byKey);
  }
  const found = byKey.get(key);
  if (found) return found;
  const compiled = insertQuery(
    db,
    table,
    Object.fromEntries(columns.map((c) => [c, new Slot(c)])),
    returning,
  ).compile();
  const slots = compiled.parameters.map((p) => {
    if (!(p instanceof Slot)) throw new Error(`insert into ${table}: a parameter is not a column value`);
    return p.column;
  });
  const entry: Prepared = { compiled, slots };
  if (byKey.size < MAX_STATEMENTS) byKey.set(key, entry);
  return entry;
}
