import { insertAuditEvent, type Store } from '@tokenward/store';
import type { FastifyBaseLogger } from 'fastify';

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

/** Writes audit events. Callers pass metadata only; token values never reach this service. */
export class AuditService {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly log: FastifyBaseLogger,
  ) {}

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
