import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { resolveExpiry, tokenStatus } from './lifetime.js';

const DAY = 86_400_000;
const policy = { defaultTtlSeconds: 365 * 86400, maxTtlSeconds: 730 * 86400 };
const now = Date.UTC(2026, 0, 1);

describe('lifetime policy', () => {
  it('applies the default when no expiration is asked for', () => {
    expect(resolveExpiry(policy, now, undefined)).toBe(now + 365 * DAY);
  });
  it('keeps a requested expiration within the maximum', () => {
    expect(resolveExpiry(policy, now, now + 10 * DAY)).toBe(now + 10 * DAY);
    expect(resolveExpiry(policy, now, now + 730 * DAY)).toBe(now + 730 * DAY);
  });
  it('refuses, never cuts, an expiration beyond the maximum', () => {
    expect(() => resolveExpiry(policy, now, now + 731 * DAY)).toThrow(AppError);
    try {
      resolveExpiry(policy, now, now + 731 * DAY);
    } catch (e) {
      expect((e as AppError).code).toBe('lifetime_exceeded');
      expect((e as AppError).message).toContain('730 days');
    }
  });
  it('refuses a past expiration', () => {
    expect(() => resolveExpiry(policy, now, now - 1)).toThrow(/future/);
  });
  it('derives status', () => {
    expect(tokenStatus(false, now + 1, now)).toBe('Active');
    expect(tokenStatus(false, now, now)).toBe('Expired');
    expect(tokenStatus(true, now + 1, now)).toBe('Revoked');
  });
});
