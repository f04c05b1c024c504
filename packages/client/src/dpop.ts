import { createHash } from 'node:crypto';
import {
  ASYMMETRIC_ALGORITHMS,
  accessTokenHash,
  dpopBindingHolds,
  dpopHtu,
  dpopProblem,
  MAX_DPOP_PROOF_LENGTH,
} from '@tokenward/core';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { TtlLru } from './lru.js';

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
 * dpopProblem and dpopBindingHolds; the signature with jose and the proof's own public key).
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
    if (c.proofs.length !== 1)
      return c.proofs.length === 0 ? 'A DPoP proof is required.' : 'Send one DPoP header.';
    const proof = c.proofs[0]!;
    if (proof.length > MAX_DPOP_PROOF_LENGTH) return 'The DPoP proof is not valid.';
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      const alg = decodeProtectedHeader(proof).alg;
      if (typeof alg !== 'string' || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg))
        return 'The DPoP proof must be signed with an asymmetric algorithm.';
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockTolerance: this.o.windowSeconds,
        currentDate: new Date(this.o.clock()),
      });
      header = verified.protectedHeader as Record<string, unknown>;
      payload = verified.payload as Record<string, unknown>;
    } catch {
      return 'The DPoP proof is not valid.';
    }
    const nowMs = this.o.clock();
    const problem = dpopProblem(header, payload, {
      htm: c.method,
      htu: c.urls.map((u) => dpopHtu(u)).filter((u): u is string => u !== null),
      nowSeconds: Math.floor(nowMs / 1000),
      windowSeconds: this.o.windowSeconds,
      ath: accessTokenHash(c.accessToken),
    });
    if (problem !== null) return `The DPoP proof's ${problem} is not right.`;
    const jkt = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
    if (!dpopBindingHolds('resource', c.boundJkt, jkt))
      return 'The DPoP proof is not made with the key the token is bound to.';
    const key = createHash('sha256')
      .update(`${jkt}\n${payload.jti as string}`)
      .digest('hex');
    if (this.seen.get(key)) return 'The DPoP proof was used before.';
    const expiresAtMs = (Math.max(payload.iat as number, nowMs / 1000) + this.o.windowSeconds + 1) * 1000;
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
