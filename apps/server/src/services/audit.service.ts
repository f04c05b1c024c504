import { AppError, parseDateInput } from '@tokenward/core';
import { insertAuditEvent, listAuditEvents, type Store } from '@tokenward/store';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from './verifier.js';

export interface AuditActor {
  id: number | null;
  name: string | null;
}

export interface AuditEntry {
  action: string;
  outcome?: 'success' | 'failure';
  actor?: AuditActor | null;
  targetType?: string;
  targetId?: string | number;
  ip?: string | null;
  /** Never put a token value, password or cookie in here. */
  details?: Record<string, unknown>;
}

/** What the audit log is searched by; dates as the caller typed them. */
export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  offset: number;
}

function dateMs(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDateInput(value);
  if (ms === null) throw new AppError('invalid_date', `"${field}" is not a valid date.`);
  return ms;
}

/** Writes audit events. Callers pass metadata only; token values never reach this service. */
export class AuditService {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The audit log, newest first (audit:read). */
  async list(caller: Principal, q: AuditQuery) {
    caller.authority.require('audit:read');
    const sinceMs = dateMs(q.since, 'since');
    const untilMs = dateMs(q.until, 'until');
    const { rows, total } = await listAuditEvents(this.store.db, {
      ...(q.actor === undefined ? {} : { actor: q.actor }),
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
      ...(q.targetType === undefined ? {} : { targetType: q.targetType }),
      ...(q.targetId === undefined ? {} : { targetId: q.targetId }),
      ...(sinceMs === undefined ? {} : { sinceMs }),
      ...(untilMs === undefined ? {} : { untilMs }),
      limit: q.limit,
      offset: q.offset,
    });
    return {
      items: rows.map((r) => ({
        id: r.id,
        at: new Date(r.at_ms).toISOString(),
        actor: { id: r.actor_id, name: r.actor_name },
        action: r.action,
        outcome: r.outcome,
        targetType: r.target_type,
        targetId: r.target_id,
        ip: r.ip,
        details: r.details,
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.recordIn(this.store.db, entry);
    } catch (err) {
      // An audit write failing must be visible to operators, but is not the caller's error.
      this.log.error({ err, action: entry.action }, 'audit write failed');
    }
  }

  /** Writes the event in the caller's transaction: it commits, or fails, with the change it records. */
  async recordIn(db: Store['db'], entry: AuditEntry): Promise<void> {
    await insertAuditEvent(db, {
      at_ms: this.clock(),
      actor_id: entry.actor?.id ?? null,
      actor_name: entry.actor?.name ?? null,
      action: entry.action,
      outcome: entry.outcome ?? 'success',
      target_type: entry.targetType ?? null,
      target_id: entry.targetId === undefined ? null : String(entry.targetId),
      ip: entry.ip ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    });
  }
}
