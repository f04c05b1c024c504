import { AppError } from './errors.js';

export interface LifetimePolicy {
  /** Lifetime applied when a grant names no expiration. */
  defaultTtlSeconds: number;
  /** Longest lifetime a grant may ask for. */
  maxTtlSeconds: number;
}

/**
 * Decides a token's expiry. A requested expiry beyond the maximum is refused with a clear
 * error, never silently cut (SPEC §2).
 */
export function resolveExpiry(
  policy: LifetimePolicy,
  nowMs: number,
  requestedExpiresAtMs: number | null | undefined,
): number {
  if (requestedExpiresAtMs === null || requestedExpiresAtMs === undefined) {
    return nowMs + policy.defaultTtlSeconds * 1000;
  }
  if (requestedExpiresAtMs <= nowMs) throw new AppError('expiration_in_past');
  // One minute of grace absorbs clock and rounding differences of clients asking for "the maximum".
  if (requestedExpiresAtMs > nowMs + policy.maxTtlSeconds * 1000 + 60_000) {
    throw new AppError(
      'lifetime_exceeded',
      `The requested lifetime exceeds the maximum of ${formatDuration(policy.maxTtlSeconds)} for this token kind.`,
    );
  }
  return requestedExpiresAtMs;
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

export type TokenStatus = 'Active' | 'Revoked' | 'Expired';

export function tokenStatus(revoked: boolean, expiresAtMs: number | null, nowMs: number): TokenStatus {
  if (revoked) return 'Revoked';
  if (expiresAtMs !== null && expiresAtMs <= nowMs) return 'Expired';
  return 'Active';
}
