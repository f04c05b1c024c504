import { deleteRateLimits, findRateLimits, type Store, upsertRateLimit } from '@tokenward/store';

/**
 * Counts failed attempts per key (a username, a client address) in a window, in the store, so
 * every instance sharing it sees the same counts and spreading attempts over instances gains
 * nothing. After `maxAttempts` failures a key is blocked, with a back-off that doubles on every
 * further failure (capped at the window). Keys naming a client address (`…ip:…`) allow five
 * times as many, since several people may share one address.
 */
export class AttemptLimiter {
  constructor(
    private readonly store: Store,
    private readonly maxAttempts: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Seconds to wait before the next attempt for any of the keys, or 0 when allowed. */
  async retryAfterSeconds(keys: readonly string[]): Promise<number> {
    const now = this.clock();
    let wait = 0;
    for (const r of await findRateLimits(this.store.db, keys)) {
      if (r.blocked_until_ms > now) wait = Math.max(wait, Math.ceil((r.blocked_until_ms - now) / 1000));
    }
    return wait;
  }

  async fail(keys: readonly string[]): Promise<void> {
    const now = this.clock();
    const existing = new Map((await findRateLimits(this.store.db, keys)).map((r) => [r.key, r]));
    for (const key of keys) {
      const prev = existing.get(key);
      const fresh = !prev || now - prev.window_start_ms > this.windowMs;
      const failures = fresh ? 1 : prev.failures + 1;
      let blockedUntil = fresh ? 0 : prev.blocked_until_ms;
      const max = key.includes('ip:') ? this.maxAttempts * 5 : this.maxAttempts;
      if (failures >= max) {
        const over = failures - max;
        blockedUntil = now + Math.min(this.windowMs, 1000 * 2 ** Math.min(over, 20));
      }
      await upsertRateLimit(this.store.db, {
        key,
        failures,
        window_start_ms: fresh ? now : prev.window_start_ms,
        blocked_until_ms: blockedUntil,
      });
    }
  }

  async succeed(keys: readonly string[]): Promise<void> {
    await deleteRateLimits(this.store.db, keys);
  }
}
