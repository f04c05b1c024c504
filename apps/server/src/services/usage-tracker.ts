import { recordTokenUsage, type Store, touchSessions } from '@tokenward/store';
import type { FastifyBaseLogger } from 'fastify';

/** Tokens per usage write: small enough that a write never holds up requests for long. */
const USAGE_CHUNK = 100;

interface Usage {
  lastUsedAtMs: number;
  count: number;
}

/**
 * Collects `lastUsed` and use counts in memory and writes them in batches, so verifying a
 * token never writes to the store. Bounded: a full buffer is flushed early.
 */
export class UsageTracker {
  private tokens = new Map<number, Usage>();
  private sessions = new Map<number, number>();
  /** Sessions being written by the flush under way: still pending for `pendingSessionSeen`. */
  private writingSessions = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly flushIntervalMs: number,
    private readonly maxPending = 50_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  tokenUsed(id: number, atMs: number): void {
    const u = this.tokens.get(id);
    if (u) {
      u.count++;
      if (atMs > u.lastUsedAtMs) u.lastUsedAtMs = atMs;
    } else {
      this.tokens.set(id, { lastUsedAtMs: atMs, count: 1 });
      if (this.tokens.size >= this.maxPending) void this.flush();
    }
  }

  sessionSeen(id: number, atMs: number): void {
    this.sessions.set(id, atMs);
    if (this.sessions.size >= this.maxPending) void this.flush();
  }

  /** Pending last-use time of a token, for responses that should show the freshest value. */
  pendingLastUsed(id: number): number | undefined {
    return this.tokens.get(id)?.lastUsedAtMs;
  }

  /**
   * Last use of a session not yet in the store. A session read back from the store (its cache
   * entry dropped) takes the later of the two, or its idle clock would run from a stale time.
   */
  pendingSessionSeen(id: number): number | undefined {
    return this.sessions.get(id) ?? this.writingSessions.get(id);
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.tokens.size === 0 && this.sessions.size === 0) return;
    const tokens = this.tokens;
    const sessions = this.sessions;
    this.tokens = new Map();
    this.sessions = new Map();
    this.writingSessions = sessions;
    this.flushing = (async () => {
      // Ids in ascending order (every flush locks rows in the same order), written a chunk at a
      // time with the event loop free in between; a failure keeps only what was not written.
      const pending = [...tokens].map(([id, u]) => ({ id, ...u })).sort((a, b) => a.id - b.id);
      let written = 0;
      try {
        while (written < pending.length) {
          if (written > 0) await new Promise((resolve) => setImmediate(resolve));
          const part = pending.slice(written, written + USAGE_CHUNK);
          await recordTokenUsage(this.store.db, part);
          written += part.length;
        }
        // Sessions seen at the same instant are written together.
        const byTime = new Map<number, number[]>();
        for (const [id, at] of sessions) byTime.set(at, [...(byTime.get(at) ?? []), id]);
        for (const [at, ids] of byTime) await touchSessions(this.store.db, ids, at);
      } catch (err) {
        // Keep the counts not yet written for the next attempt rather than losing them.
        for (const { id, ...u } of pending.slice(written)) {
          const cur = this.tokens.get(id);
          if (cur) {
            cur.count += u.count;
            cur.lastUsedAtMs = Math.max(cur.lastUsedAtMs, u.lastUsedAtMs);
          } else this.tokens.set(id, u);
        }
        for (const [id, at] of sessions) if (!this.sessions.has(id)) this.sessions.set(id, at);
        this.log.warn({ err }, 'could not write token usage; will retry');
      } finally {
        this.writingSessions = new Map();
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing;
    await this.flush();
  }
}
