import type { Kysely, Transaction } from 'kysely';
import { auditEventRow } from '../rows.js';
import type { AuditEventRow, Database, NewAuditEventRow } from '../schema.js';
import { insertRow } from './insert.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertAuditEvent(db: Db, row: NewAuditEventRow): Promise<void> {
  await insertRow(db, 'audit_events', row, false);
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: string;
  targetType?: string;
  targetId?: string;
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  offset: number;
}

export async function listAuditEvents(
  db: Db,
  f: AuditFilter,
): Promise<{ rows: AuditEventRow[]; total: number }> {
  let q = db.selectFrom('audit_events');
  if (f.actor !== undefined) {
    const asId = /^\d+$/.test(f.actor) ? Number(f.actor) : undefined;
    q = q.where((eb) =>
      asId === undefined
        ? eb(eb.fn('lower', ['actor_name']), '=', f.actor!.toLowerCase())
        : eb.or([eb('actor_id', '=', asId), eb(eb.fn('lower', ['actor_name']), '=', f.actor!.toLowerCase())]),
    );
  }
  if (f.action !== undefined) {
    // A prefix is compared with substr, not LIKE: LIKE ignores case on SQLite but not on
    // PostgreSQL, and would read `_` as a wildcard.
    const prefix = f.action.slice(0, -1);
    q = f.action.endsWith('*')
      ? q.where((eb) => eb(eb.fn('substr', ['action', eb.val(1), eb.val(prefix.length)]), '=', prefix))
      : q.where('action', '=', f.action);
  }
  if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome);
  if (f.targetType !== undefined) q = q.where('target_type', '=', f.targetType);
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId);
  if (f.sinceMs !== undefined) q = q.where('at_ms', '>=', f.sinceMs);
  if (f.untilMs !== undefined) q = q.where('at_ms', '<', f.untilMs);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(auditEventRow), total: Number(count.n) };
}
