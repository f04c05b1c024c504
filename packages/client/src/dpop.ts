import { createHash } from 'node:crypto';
import {
  accessTokenHash,
  type DpopRefusal,
  dpopBindingHolds,
  dpopHtu,
  verifyDpopProof,
} from '@tokenward/core';
import { TtlLru } from './lru.js';

const REFUSALS: Partial<Record<DpopRefusal['reason'], string>> = {
  proofs: 'Send exactly one DPoP proof.',
  length: 'The DPoP proof is not valid.',
  signature: 'The DPoP proof is not valid.',
  alg: 'The DPoP proof must be signed with an asymmetric algorithm.',
};

/** What a proof at a protected resource is checked against (RFC 9449 §7.1, §4.3). */
export interface DpopCheck {
  /** Every `DPoP` header value the request carries. */
  proofs: readonly string[];
  method: string;
  /** The URLs the request may have been sent to (absolute; any query is ignored). */
  urls: readonly string[];
  /** The access token presented with the proof (`ath`). */
  accessToken: string;
  /** The key the token is bound to (`cnf.jkt`). */
  boundJkt: string;
}

/**
 * Checks DPoP proofs for the SDK middleware with the server's rules (@tokenward/core's
 * verifyDpopProof and dpopBindingHolds).
 * Replayed `jti`s are caught by an in-memory cache of this process: several processes of one
 * service each keep their own, so a proof can be replayed once against each of them within
 * the iat window (Tokenward's own API shares the cache through its store).
 */
export class DpopChecker {
  private readonly seen: TtlLru<true>;

  constructor(private readonly o: { windowSeconds: number; clock: () => number; replayCacheMax: number }) {
    this.seen = new TtlLru<true>(o.replayCacheMax, o.clock);
  }

  /** Null when the proof is right (and is now spent), else why it is refused. */
  async check(c: DpopCheck): Promise<string | null> {
    const nowMs = this.o.clock();
    const checked = await verifyDpopProof(c.proofs, {
      htm: c.method,
      htu: c.urls.map((u) => dpopHtu(u)).filter((u): u is string => u !== null),
      nowMs,
      windowSeconds: this.o.windowSeconds,
      ath: accessTokenHash(c.accessToken),
    });
    if (!checked.ok) return REFUSALS[checked.reason] ?? `The DPoP proof's ${checked.reason} is not right.`;
    const { jkt } = checked;
    if (!dpopBindingHolds('resource', c.boundJkt, jkt))
      return 'The DPoP proof is not made with the key the token is bound to.';
    const key = createHash('sha256').update(`${jkt}\n${checked.jti}`).digest('hex');
    if (this.seen.get(key)) return 'The DPoP proof was used before.';
    const expiresAtMs = (Math.max(checked.iat, nowMs / 1000) + this.o.windowSeconds + 1) * 1000;
    this.seen.set(key, true, expiresAtMs - nowMs);
    return null;
  }
}

/** The `cnf.jkt` of verified claims or an introspection answer, or null for a bearer token. */
export function boundJkt(claims: Record<string, unknown>): string | null {
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null) return null;
  const jkt = (cnf as { jkt?: unknown }).jkt;
  return typeof jkt === 'string' ? jkt : null;
}
