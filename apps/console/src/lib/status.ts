import type { TokenStatus } from '@tokenward/client/api';

/**
 * A token's status as of `nowMs`. The server sends one too, but a page left open goes stale:
 * a token whose expiry passes while the table is shown must read Expired without a reload.
 */
export function deriveStatus(
  token: { revoked: boolean; expiration: string | null; status?: TokenStatus },
  nowMs: number,
): TokenStatus {
  if (token.revoked || token.status === 'Revoked') return 'Revoked';
  if (token.status === 'Expired') return 'Expired';
  if (token.expiration !== null) {
    const expiresAtMs = Date.parse(token.expiration);
    if (Number.isFinite(expiresAtMs) && expiresAtMs <= nowMs) return 'Expired';
  }
  return 'Active';
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * When an active token expires, if that is soon enough to warn about ("in 12 hours",
 * "in 3 days"); else null. Under a day it counts hours, under an hour minutes (each to the
 * nearest): a token that lives 12 hours more never reads "in 1 day".
 */
export function expiresSoon(
  token: { revoked: boolean; expiration: string | null; status?: TokenStatus },
  nowMs: number,
  withinDays = 7,
): string | null {
  if (deriveStatus(token, nowMs) !== 'Active' || token.expiration === null) return null;
  const leftMs = Date.parse(token.expiration) - nowMs;
  if (!(leftMs <= withinDays * DAY_MS)) return null;
  if (leftMs < MINUTE_MS) return 'in less than a minute';
  if (leftMs < HOUR_MS) return `in ${count(Math.max(1, Math.round(leftMs / MINUTE_MS)), 'minute')}`;
  if (leftMs < DAY_MS) return `in ${count(Math.round(leftMs / HOUR_MS), 'hour')}`;
  return `in ${count(Math.round(leftMs / DAY_MS), 'day')}`;
}
