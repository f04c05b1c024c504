import { AppError } from '@tokenward/core';
import {
  claimAfterBackoff,
  countAttempt,
  deleteRateLimits,
  findRateLimits,
  purgeRateLimits,
  type Store,
  touchRateLimit,
  uncountAttempt,
} from '@tokenward/store';
import { LRUCache } from 'lru-cache';

/** How long an address that signed in successfully stays known good for that account. */
const KNOWN_GOOD_MS = 30 * 86_400_000;
/** Addresses share more attempts than one person has: several people may sit behind one. */
const ADDRESS_FACTOR = 5;

function backoffMs(over: number, windowMs: number): number {
  return Math.min(windowMs, 1000 * 2 ** Math.min(over, 20));
}

function rateLimited(waitMs: number): AppError {
  return new AppError('rate_limited', undefined, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  });
}

/** One password (or personal-token) attempt that the limiter let through. */
export interface Attempt {
  /** The secret was right: its counts are taken back and the address becomes known good. */
  succeeded(): Promise<void>;
}

export interface AttemptLimiterDeps {
  store: Store;
  maxAttempts: number;
  windowMs: number;
  clock: () => number;
}

/**
 * Online guessing of passwords and personal tokens (OWASP ASVS 4.0 V2.2.1; docs/security.md).
 * Counts live in the store, so every instance sees the same, and every count is one atomic
 * statement: concurrent attempts cannot all pass a check made before any of them counted.
 *
 * The policy throttles the failing address, not the account:
 * - per (account, address): `maxAttempts` tries in the window; then one try per back-off
 *   period, the back-off doubling (1 s, 2 s, 4 s, … capped at the window);
 * - per address, whatever the account: five times as many;
 * - per account, across addresses: when more than `maxAttempts` different addresses have
 *   tried it in the window (a distributed attack), a new address is refused for the rest of
 *   the window unless it signed this account in successfully before (within 30 days).
 * So failures from one address never lock the real user out from another address, and the
 * name and the email of an identity share one count (the account is the identity).
 *
 * Attempts are counted before the secret is checked (`begin`) and taken back on success.
 */
export class AttemptLimiter {
  constructor(private readonly deps: AttemptLimiterDeps) {}

  /**
   * Counts an attempt of `scope` (`signin`, `pat`) on `account` (an identity id, or the name
   * tried when none matches) from `address`; throws 429 with Retry-After when it may not be made.
   */
  async begin(scope: string, account: string, address: string): Promise<Attempt> {
    const db = this.deps.store.db;
    const now = this.deps.clock();
    const pairKey = `${scope}:pair:${account}|${address}`;
    const addressKey = `${scope}:ip:${address}`;
    const accountKey = `${scope}:acct:${account}`;
    const goodKey = `${scope}:ok:${account}|${address}`;

    // Per address, whatever the account.
    const byAddress = await countAttempt(db, addressKey, now, this.deps.windowMs);
    if (!(await this.allowed(addressKey, byAddress.count, this.deps.maxAttempts * ADDRESS_FACTOR, now))) {
      await uncountAttempt(db, addressKey);
      throw rateLimited(await this.waitMs(addressKey, now));
    }
    // Per (account, address).
    const pair = await countAttempt(db, pairKey, now, this.deps.windowMs);
    if (!(await this.allowed(pairKey, pair.count, this.deps.maxAttempts, now))) {
      await Promise.all([uncountAttempt(db, addressKey), uncountAttempt(db, pairKey)]);
      throw rateLimited(await this.waitMs(pairKey, now));
    }
    // Per account: distinct addresses in the window (an address counts at its first attempt).
    let countedAddress = false;
    if (pair.count === 1) {
      countedAddress = true;
      const byAccount = await countAttempt(db, accountKey, now, this.deps.windowMs);
      if (byAccount.count > this.deps.maxAttempts) {
        const [good] = await findRateLimits(db, [goodKey]);
        if (!good || good.window_start_ms <= now - KNOWN_GOOD_MS) {
          await Promise.all([
            uncountAttempt(db, addressKey),
            uncountAttempt(db, pairKey),
            uncountAttempt(db, accountKey),
          ]);
          throw rateLimited(byAccount.windowStartMs + this.deps.windowMs - now);
        }
      }
    }
    return {
      succeeded: async () => {
        await deleteRateLimits(db, [pairKey]);
        await uncountAttempt(db, addressKey);
        if (countedAddress) await uncountAttempt(db, accountKey);
        await touchRateLimit(db, goodKey, this.deps.clock());
      },
    };
  }

  /**
   * Below the limit an attempt is allowed; at or beyond it, only the one attempt that claims
   * the key after its back-off has passed (one conditional update decides among concurrent ones).
   */
  private async allowed(key: string, count: number, max: number, now: number): Promise<boolean> {
    if (count < max) return true;
    return claimAfterBackoff(this.deps.store.db, key, now, now + backoffMs(count - max, this.deps.windowMs));
  }

  private async waitMs(key: string, now: number): Promise<number> {
    const [row] = await findRateLimits(this.deps.store.db, [key]);
    return row ? Math.max(1000, row.blocked_until_ms - now) : 1000;
  }

  /** Drops counts whose window has long passed, and known-good addresses older than 30 days. */
  async purge(): Promise<void> {
    const now = this.deps.clock();
    await purgeRateLimits(this.deps.store.db, now - Math.max(KNOWN_GOOD_MS, this.deps.windowMs * 2));
  }
}

export interface BearerFailureLimiterDeps {
  store: Store;
  maxFailures: number;
  windowMs: number;
  clock: () => number;
}

/**
 * Guessing bearer credentials: failed ones are counted per client address in the store (shared
 * by every instance, one atomic statement each); after `maxFailures` in the window, every
 * request from that address that presents a credential is refused with 429 until the window
 * ends — valid credentials too, so the answers tell a guesser nothing. The blocked addresses
 * are also kept here, in a bounded map, so that a blocked request costs no store access and
 * the verify path pays one `size` check while nobody is blocked.
 */
export class BearerFailureLimiter {
  private readonly blocked = new LRUCache<string, number>({ max: 10_000 });

  constructor(private readonly deps: BearerFailureLimiterDeps) {}

  /** Whether any address is blocked on this instance right now (the fast paths step aside then). */
  anyBlocked(): boolean {
    return this.blocked.size > 0;
  }

  /** Throws 429 when the address is blocked. Synchronous: no store access. */
  check(address: string): void {
    if (this.blocked.size === 0) return;
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const now = this.deps.clock();
    if (until > now) throw rateLimited(until - now);
    this.blocked.delete(address);
  }

  /** Counts a failed credential from the address; blocks it when the count reaches the limit. */
  async failed(address: string): Promise<void> {
    const now = this.deps.clock();
    const { count, windowStartMs } = await countAttempt(
      this.deps.store.db,
      `bearer:ip:${address}`,
      now,
      this.deps.windowMs,
    );
    if (count >= this.deps.maxFailures) this.blocked.set(address, windowStartMs + this.deps.windowMs);
  }
}
