import { LRUCache } from 'lru-cache';

interface Window {
  failures: number;
  windowStartMs: number;
  blockedUntilMs: number;
}

/**
 * Counts failed attempts per key (username, client address) in a sliding window. After
 * `maxAttempts` failures the key is blocked, with a back-off that doubles on every further
 * failure. Bounded: the least recently used keys are forgotten first.
 */
export class AttemptLimiter {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    private readonly maxAttempts: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
    maxKeys = 100_000,
  ) {
    this.windows = new LRUCache({ max: maxKeys });
  }

  /** Seconds to wait before the next attempt for any of the keys, or 0 when allowed. */
  retryAfterSeconds(keys: readonly string[]): number {
    const now = this.clock();
    let wait = 0;
    for (const k of keys) {
      const w = this.windows.get(k);
      if (w && w.blockedUntilMs > now) wait = Math.max(wait, Math.ceil((w.blockedUntilMs - now) / 1000));
    }
    return wait;
  }

  fail(keys: readonly string[]): void {
    const now = this.clock();
    for (const k of keys) {
      let w = this.windows.get(k);
      if (!w || now - w.windowStartMs > this.windowMs) {
        w = { failures: 0, windowStartMs: now, blockedUntilMs: 0 };
      }
      w.failures++;
      if (w.failures >= this.maxAttempts) {
        const over = w.failures - this.maxAttempts;
        const backoffMs = Math.min(this.windowMs, 1000 * 2 ** Math.min(over, 20));
        w.blockedUntilMs = now + backoffMs;
      }
      this.windows.set(k, w);
    }
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.windows.delete(k);
  }
}
