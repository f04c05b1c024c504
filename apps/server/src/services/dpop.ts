import { createHmac, hash } from 'node:crypto';
import {
  AppError,
  ASYMMETRIC_ALGORITHMS,
  accessTokenHash,
  type DpopRefusal,
  dpopBindingHolds,
  dpopHtu,
  safeEqual,
  verifyDpopProof,
} from '@tokenward/core';
import { pruneDpopProofs, recordDpopProof, type Store } from '@tokenward/store';
import { LRUCache } from 'lru-cache';

/** Where a proof is checked: the answers differ (RFC 9449 §5 vs §7). */
export type DpopWhere = 'resource' | 'token-endpoint';

/** What a proof is checked against: the request as the client sent it. */
export interface DpopRequest {
  method: string;
  /** Every `DPoP` header value sent (more than one is refused). */
  proofs: readonly string[];
  /** The request's path as the client sent it (any query is dropped). */
  path: string;
  /** `scheme://host[:port]` the request arrived at (Host header; behind a trusted proxy, its). */
  origin: string;
  /** At a resource: the access token presented with the proof (`ath`). */
  accessToken?: string;
}

export interface DpopDeps {
  store: Store;
  clock: () => number;
  /** How far a proof's `iat` may be from now, either way (TOKENWARD_DPOP_WINDOW_SECONDS). */
  windowSeconds: number;
  /**
   * Key of the server-provided nonces (RFC 9449 §8, §9), or null when nonces are not required
   * (TOKENWARD_DPOP_NONCE). Derived from the master key, so every instance accepts every
   * instance's nonces.
   */
  nonceKey: Buffer | null;
  /** How long a nonce stays good: it is accepted in its time slot and the next. */
  nonceSeconds: number;
  /** TOKENWARD_PUBLIC_URL: a proof's `htu` may name it (plus the path) or the request's origin. */
  publicUrl: string;
}

/** `algs` of the DPoP challenge (RFC 9449 §7.1). */
export const DPOP_ALGS = ASYMMETRIC_ALGORITHMS.join(' ');

/** How often expired proof records are deleted (by whichever instance records one then). */
const PRUNE_EVERY_MS = 60_000;

/**
 * RFC 9449 proof checking, the one place that decides whether a `DPoP` header proves
 * possession of a key for this request: signature with the proof's own public key, the claims
 * (core's dpopProblem), the nonce when required, and `jti` replay, which every instance shares
 * through the store (an in-memory set in front only saves a store write for a replay seen here).
 */
export class DpopProofs {
  private readonly seen = new LRUCache<string, true>({ max: 10_000 });
  private lastPruneMs = 0;

  constructor(private readonly deps: DpopDeps) {}

  /** Whether nonces are required. */
  get noncesRequired(): boolean {
    return this.deps.nonceKey !== null;
  }

  /**
   * The thumbprint (RFC 7638, `jkt`) of the key a request's valid proof was made with; null
   * when the request has no `DPoP` header. A proof that is there and wrong is refused, never
   * ignored: 400 at the token endpoint, 401 at a resource (with the DPoP challenge), and
   * `use_dpop_nonce` with a fresh `DPoP-Nonce` when a nonce is required and missing or stale.
   */
  async proofFor(req: DpopRequest, where: DpopWhere): Promise<string | null> {
    if (req.proofs.length === 0) return null;
    const nowMs = this.deps.clock();
    const checked = await verifyDpopProof(req.proofs, {
      htm: req.method,
      htu: this.urlsOf(req),
      nowMs,
      windowSeconds: this.deps.windowSeconds,
      ...(req.accessToken === undefined ? {} : { ath: accessTokenHash(req.accessToken) }),
    });
    if (!checked.ok) throw this.refusal(where, 'invalid_dpop_proof', refusalText[checked.reason]);
    if (this.deps.nonceKey !== null && !this.nonceValid(checked.nonce, nowMs)) {
      throw this.refusal(
        where,
        'use_dpop_nonce',
        checked.nonce === undefined ? 'A DPoP nonce is required.' : 'The DPoP nonce is stale.',
      );
    }
    const { jkt } = checked;
    await this.record(jkt, checked.jti, checked.iat, nowMs, where);
    return jkt;
  }

  /**
   * The `htu` values a request may carry (RFC 9449 §4.3): the public URL plus the path (what a
   * client behind a proxy sees: TOKENWARD_PUBLIC_URL decides), and the URL the request arrived
   * at (Host header, e.g. a client talking to the server directly).
   */
  private urlsOf(req: DpopRequest): string[] {
    const q = req.path.indexOf('?');
    const path = q === -1 ? req.path : req.path.slice(0, q);
    const out: string[] = [];
    for (const base of [this.deps.publicUrl, req.origin]) {
      const u = dpopHtu(`${base}${path}`);
      if (u !== null && !out.includes(u)) out.push(u);
    }
    return out;
  }

  /** The nonce to hand out now (RFC 9449 §8): time slot and its HMAC, good for this slot and the next. */
  nonce(nowMs: number = this.deps.clock()): string {
    const slot = Math.floor(nowMs / 1000 / this.deps.nonceSeconds);
    return `${slot.toString(36)}.${this.mac(slot)}`;
  }

  /** Headers to add to an answer of the token endpoint: the current nonce, when nonces are on. */
  nonceHeaders(): Record<string, string> {
    return this.deps.nonceKey === null ? {} : { 'dpop-nonce': this.nonce() };
  }

  private mac(slot: number): string {
    return createHmac('sha256', this.deps.nonceKey!).update(`dpop-nonce:${slot}`).digest('base64url');
  }

  private nonceValid(nonce: unknown, nowMs: number): boolean {
    if (typeof nonce !== 'string' || nonce.length > 128) return false;
    const dot = nonce.indexOf('.');
    if (dot <= 0) return false;
    const slot = Number.parseInt(nonce.slice(0, dot), 36);
    const current = Math.floor(nowMs / 1000 / this.deps.nonceSeconds);
    if (!Number.isSafeInteger(slot) || slot.toString(36) !== nonce.slice(0, dot)) return false;
    if (slot !== current && slot !== current - 1) return false;
    return safeEqual(nonce.slice(dot + 1), this.mac(slot));
  }

  /**
   * Records the proof's `jti` for this key until its `iat` window has passed: one insert that
   * only one instance can make; a second use anywhere is a replay.
   */
  private async record(
    jkt: string,
    jti: string,
    iat: number,
    nowMs: number,
    where: DpopWhere,
  ): Promise<void> {
    const key = hash('sha256', `${jkt}\n${jti}`, 'hex');
    if (this.seen.has(key))
      throw this.refusal(where, 'invalid_dpop_proof', 'The DPoP proof was used before.');
    const expiresAtMs = (Math.max(iat, nowMs / 1000) + this.deps.windowSeconds + 1) * 1000;
    if (!(await recordDpopProof(this.deps.store.db, key, Math.ceil(expiresAtMs)))) {
      this.seen.set(key, true, { ttl: Math.max(1, expiresAtMs - nowMs) });
      throw this.refusal(where, 'invalid_dpop_proof', 'The DPoP proof was used before.');
    }
    this.seen.set(key, true, { ttl: Math.max(1, expiresAtMs - nowMs) });
    if (nowMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
      this.lastPruneMs = nowMs;
      // Housekeeping only: a failure leaves rows that the next prune deletes.
      void pruneDpopProofs(this.deps.store.db, nowMs).catch(() => {});
    }
  }

  /**
   * The refusal of a proof: 400 at the token endpoint (RFC 9449 §5), 401 at a resource with
   * the error in the DPoP challenge (§7.1, written by plugins/errors.ts); a nonce refusal
   * carries a fresh nonce (§8, §9).
   */
  refusal(where: DpopWhere, code: 'invalid_dpop_proof' | 'use_dpop_nonce', detail?: string): AppError {
    const headers: Record<string, string> = code === 'use_dpop_nonce' ? { 'dpop-nonce': this.nonce() } : {};
    return new AppError(code, detail, where === 'resource' ? { status: 401, headers } : { headers });
  }
}

const refusalText: Record<DpopRefusal['reason'], string> = {
  proofs: 'Send one DPoP header.',
  length: 'The DPoP proof is not valid.',
  signature: 'The DPoP proof is not valid.',
  typ: 'The DPoP proof must have typ dpop+jwt.',
  alg: 'The DPoP proof must be signed with an asymmetric algorithm.',
  jwk: 'The DPoP proof must carry a public key.',
  htm: 'The DPoP proof is for another method.',
  htu: 'The DPoP proof is for another URL.',
  iat: 'The DPoP proof is too old or too new.',
  jti: 'The DPoP proof needs a jti.',
  ath: 'The DPoP proof is for another access token.',
};

/**
 * The token endpoint's DPoP rule, for every grant (refresh, exchange, client credentials): each
 * presented token bound to a key (a refresh, subject or actor token) needs a proof of that key
 * (core's dpopBindingHolds), and an identity that requires DPoP gets no new token without a
 * proof. 400 invalid_dpop_proof otherwise (RFC 9449 §5). `jkt`: the request's proof's key, or null.
 */
export function checkTokenEndpointDpop(
  jkt: string | null,
  presented: readonly ({ cnfJkt: string | null } | null | undefined)[],
  forIdentity: { requireDpop: boolean } | null | undefined,
): void {
  for (const token of presented) {
    if (token && !dpopBindingHolds('token-endpoint', token.cnfJkt, jkt)) {
      throw new AppError('invalid_dpop_proof', 'A token bound to a DPoP key needs a proof of that key.');
    }
  }
  if (forIdentity?.requireDpop && jkt === null) {
    throw new AppError('invalid_dpop_proof', 'This identity requires DPoP: send a DPoP proof.');
  }
}
