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

/** Days left before an active token expires, when that is soon enough to warn about; else null. */
export function expiresSoon(
  token: { revoked: boolean; expiration: string | null; status?: TokenStatus },
  nowMs: number,
  withinDays = 7,
): number | null {
  if (deriveStatus(token, nowMs) !== 'Active' || token.expiration === null) return null;
  const leftMs = Date.parse(token.expiration) - nowMs;
  if (!(leftMs <= withinDays * 86_400_000)) return null;
  return Math.max(0, Math.ceil(leftMs / 86_400_000));
}
