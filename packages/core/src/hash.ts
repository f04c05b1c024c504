import { createHash, hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a token value, hex encoded: the only form in which tokens are stored. */
export function hashToken(value: string): string {
  // One-shot hashing (Node ≥ 20.12) skips the Hash object: this runs on every verify.
  return hash('sha256', value, 'hex');
}

/**
 * Constant-time string comparison. Both sides are hashed first so the comparison length never
 * depends on the secret, and `timingSafeEqual` never throws on a length mismatch.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Last four characters of a token, for people to recognise it in a list. */
export function tokenHint(value: string): string {
  return value.length <= 8 ? '' : value.slice(-4);
}
