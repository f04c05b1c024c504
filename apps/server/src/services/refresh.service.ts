import { AppError, isLive, type MintPlan } from '@tokenward/core';
import { findIdentityById, findTokenById, type Store, spendToken } from '@tokenward/store';
import type { AccessIssuer } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import { checkTokenEndpointDpop } from './dpop.js';
import type { RequestMeta } from './request-meta.js';
import type { TokenMinter } from './token-minter.js';
import { targetOf } from './token-minter.js';
import type { TokenRevoker } from './token-revoker.js';
import type { Verifier } from './verifier.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** RFC 6749 §5.2: an unknown, spent, expired or revoked refresh token is 400 invalid_grant. */
const invalidGrant = () => new AppError('invalid_grant', 'The refresh token is not valid.');

export interface RefreshResult {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token: string;
  accessToken: string;
  refreshToken: string;
  tokenExpiryTimestamp: number;
  refreshTokenExpiryTimestamp: number;
}

export interface RefreshDeps {
  store: Store;
  minter: TokenMinter;
  revoker: TokenRevoker;
  verifier: Verifier;
  issuer: AccessIssuer;
  audit: AuditService;
  clock: () => number;
  /** Lifetime of an access JWT. */
  accessTtlMs: number;
}

/** Refresh-token rotation, with reuse detection (a spent token presented again). */
export class RefreshService {
  constructor(private readonly deps: RefreshDeps) {}

  /**
   * Rotates a refresh token: the presented one is spent (one atomic update) and a new access +
   * refresh pair is issued. A spent token presented again means it leaked: the whole family is
   * revoked and the event audited. `dpopJkt`: the key of the request's valid DPoP proof (RFC
   * 9449), or null: a refresh token bound to a key is used only with a proof of it (checked
   * before it is spent), and the new tokens are bound to the proof's key.
   */
  async refresh(
    value: string,
    meta: RequestMeta,
    opts: { clientIdentityId?: number; dpopJkt?: string | null } = {},
  ): Promise<RefreshResult> {
    const dpopJkt = opts.dpopJkt ?? null;
    const entry = await this.deps.verifier.lookup(value);
    if (entry?.kind !== 'refresh') throw invalidGrant();
    checkTokenEndpointDpop(dpopJkt, [entry], await this.deps.verifier.identity(entry.identityId));
    const row = await findTokenById(this.deps.store.db, entry.id);
    const now = this.deps.clock();
    // Spent is decided below, by one atomic update: a spent token presented again is a replay.
    if (!row || !isLive({ revoked: row.revoked === 1, spent: false, expiresAtMs: row.expires_at_ms }, now)) {
      throw invalidGrant();
    }
    // RFC 6749 §6: an authenticated client refreshes only tokens issued to it (its identity's).
    // Refused before anything is spent, so a wrong client cannot burn someone's refresh token.
    if (opts.clientIdentityId !== undefined && opts.clientIdentityId !== row.identity_id)
      throw invalidGrant();
    const familyId = row.family_id ?? row.id;
    if (!(await spendToken(this.deps.store.db, row.id, now))) {
      const root = (await findTokenById(this.deps.store.db, familyId)) ?? row;
      const revoked = await this.deps.revoker.revokeTree(root, null, meta, 'token.refresh_reuse');
      // A concurrent rotation may have committed new family members while that transaction ran
      // (it re-checks the root after issuing; this second pass catches what it issued before).
      await this.deps.revoker.revokeTree(root, null, meta, 'token.refresh_reuse');
      await this.deps.audit.record({
        action: 'token.refresh_reuse',
        outcome: 'failure',
        actor: { id: row.identity_id, name: null },
        targetType: 'token',
        targetId: familyId,
        ip: meta.ip,
        details: {
          reason: 'a spent refresh token was presented again; its family was revoked',
          familyRevoked: revoked.revoked === 1,
        },
      });
      throw invalidGrant();
    }
    await this.deps.verifier.forget(row.token_hash);
    const identity = await findIdentityById(this.deps.store.db, row.identity_id);
    if (identity?.enabled !== 1) throw invalidGrant();
    // The refresh token mints its successors: they carry at most what it may do now.
    const minter = await this.deps.verifier.principalFor(entry, 'token');
    if (!minter) throw invalidGrant();
    const target = targetOf(identity);
    let plan: MintPlan;
    try {
      plan = this.deps.minter.plan(minter.authority, 'refresh', target, {});
    } catch (err) {
      // Nothing left to carry (the identity lost every role the family had).
      if (err instanceof AppError) throw invalidGrant();
      throw err;
    }
    const next = await this.deps.minter.createOpaque('refresh', {
      identityId: identity.id,
      plan,
      expiresAtMs: row.expires_at_ms,
      name: row.name,
      description: row.description,
      createdBy: row.created_by,
      parentId: row.id,
      familyId,
      subtype: row.subtype,
      cnfJkt: dpopJkt,
    });
    const access = await this.deps.issuer.issueJwt({
      identity: target,
      plan,
      ttlMs: Math.min(this.deps.accessTtlMs, row.expires_at_ms - now),
      parentId: next.row.id,
      familyId,
      name: row.name,
      subtype: row.subtype,
      cnfJkt: dpopJkt,
      createdBy: row.created_by,
    });
    // A replay of the same refresh token may have revoked the family while this rotation was
    // issuing: then the new tokens die with it (a replay after this point revokes them anyway).
    const root = await findTokenById(this.deps.store.db, familyId);
    if (!root || root.revoked === 1) {
      await this.deps.revoker.revokeTree(next.row, null, meta, 'token.refresh_reuse');
      throw invalidGrant();
    }
    await this.deps.audit.record({
      action: 'token.refresh',
      actor: { id: identity.id, name: identity.name },
      targetType: 'token',
      targetId: familyId,
      ip: meta.ip,
      details: { spent: row.id, issued: next.row.id },
    });
    const expiresIn = Math.max(0, seconds(access.expiresAtMs - now));
    return {
      access_token: access.token,
      token_type: dpopJkt === null ? 'Bearer' : 'DPoP',
      expires_in: expiresIn,
      refresh_token: next.value,
      accessToken: access.token,
      refreshToken: next.value,
      tokenExpiryTimestamp: seconds(access.expiresAtMs),
      refreshTokenExpiryTimestamp: seconds(row.expires_at_ms),
    };
  }
}
