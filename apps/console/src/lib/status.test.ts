import { describe, expect, it } from 'vitest';
import { deriveStatus, expiresSoon } from './status';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('deriveStatus', () => {
  it('an unrevoked token before its expiry is Active', () => {
    expect(deriveStatus({ revoked: false, expiration: iso(NOW + DAY), status: 'Active' }, NOW)).toBe(
      'Active',
    );
  });

  it('revocation wins over expiry', () => {
    expect(deriveStatus({ revoked: true, expiration: iso(NOW - DAY) }, NOW)).toBe('Revoked');
    expect(deriveStatus({ revoked: false, expiration: iso(NOW + DAY), status: 'Revoked' }, NOW)).toBe(
      'Revoked',
    );
  });

  it('a token the server called Active reads Expired once its expiry passes while the page is open', () => {
    const token = { revoked: false, expiration: iso(NOW + 1000), status: 'Active' as const };
    expect(deriveStatus(token, NOW)).toBe('Active');
    expect(deriveStatus(token, NOW + 1000)).toBe('Expired');
  });

  it("keeps the server's Expired even if the browser clock is behind", () => {
    expect(deriveStatus({ revoked: false, expiration: iso(NOW + DAY), status: 'Expired' }, NOW)).toBe(
      'Expired',
    );
  });

  it('a token without an expiry stays Active', () => {
    expect(deriveStatus({ revoked: false, expiration: null }, NOW)).toBe('Active');
  });
});

describe('expiresSoon', () => {
  it('counts the days left for an active token within the warning window', () => {
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 2.5 * DAY) }, NOW)).toBe('in 3 days');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 5 * DAY) }, NOW)).toBe('in 5 days');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + DAY) }, NOW)).toBe('in 1 day');
  });

  it('under a day it counts hours, under an hour minutes (a 12-hour token never reads "1 day")', () => {
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 12 * HOUR) }, NOW)).toBe('in 12 hours');
    // To the nearest hour: a moment after granting, a 12-hour token still reads 12 hours.
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 12 * HOUR) }, NOW + 1000)).toBe('in 12 hours');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 11.4 * HOUR) }, NOW)).toBe('in 11 hours');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 23 * HOUR) }, NOW)).toBe('in 23 hours');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + HOUR) }, NOW)).toBe('in 1 hour');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 59 * MINUTE) }, NOW)).toBe('in 59 minutes');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + MINUTE) }, NOW)).toBe('in 1 minute');
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 20_000) }, NOW)).toBe('in less than a minute');
  });

  it('says nothing for tokens far from expiry, revoked or already expired', () => {
    expect(expiresSoon({ revoked: false, expiration: iso(NOW + 30 * DAY) }, NOW)).toBeNull();
    expect(expiresSoon({ revoked: true, expiration: iso(NOW + DAY) }, NOW)).toBeNull();
    expect(expiresSoon({ revoked: false, expiration: iso(NOW - DAY) }, NOW)).toBeNull();
  });
});
