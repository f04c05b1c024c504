import {
  AppError,
  type Authority,
  assertMayMint,
  generateToken,
  hashToken,
  type LifetimePolicy,
  type MintOperation,
  type MintPlan,
  parseDateInput,
  planMint,
  resolveExpiry,
  tokenHint,
} from '@tokenward/core';
import { findIdentityById, type IdentityRow, insertToken, type Store, type TokenRow } from '@tokenward/store';
import type { AuditService } from './audit.service.js';
import type { RequestMeta } from './request-meta.js';
import type { RoleCatalog } from './role-catalog.js';
import type { Principal } from './verifier.js';

/** What minting needs to know of the identity a token is for. */
export interface TargetIdentity {
  id: number;
  name: string;
  source: string;
  roles: readonly string[];
}

/** The identity fields a token view shows. */
export function targetOf(row: Pick<IdentityRow, 'id' | 'name' | 'source' | 'roles'>): TargetIdentity {
  return { id: row.id, name: row.name, source: row.source, roles: row.roles };
}

export interface TokenMinterDeps {
  store: Store;
  audit: AuditService;
  roles: RoleCatalog;
  clock: () => number;
  /** Prefix of every token value this instance makes. */
  prefix: string;
  /** Lifetime policy of app tokens, the default of `expiry`. */
  appPolicy: LifetimePolicy;
}

/**
 * What every kind of minting shares: who the new credential is for, what it may carry (core's
 * planMint with the role catalog), when it expires, and writing an opaque token.
 */
export class TokenMinter {
  constructor(private readonly deps: TokenMinterDeps) {}

  expiry(expiration: unknown, policy: LifetimePolicy = this.deps.appPolicy): number {
    let requested: number | null = null;
    if (expiration !== undefined && expiration !== null && expiration !== '') {
      requested = parseDateInput(expiration);
      if (requested === null) throw new AppError('invalid_date', 'The expiration is not a valid date.');
    }
    return resolveExpiry(policy, this.deps.clock(), requested);
  }

  /**
   * The identity a new credential is for. The minting rule is checked first (core's
   * assertMayMint), so a caller that may not mint for others learns nothing about who exists.
   */
  async target(
    caller: Principal,
    identityId: number | undefined,
    operation: MintOperation,
  ): Promise<TargetIdentity> {
    const targetId = identityId ?? caller.identity.id;
    assertMayMint(caller.authority, operation, targetId);
    if (targetId === caller.identity.id) {
      // The caller was authenticated a moment ago from an entry kept current by invalidation:
      // a grant for oneself needs no second read of the same identity.
      const me = caller.identity;
      return { id: me.id, name: me.name, source: me.source, roles: me.roles };
    }
    const row = await findIdentityById(this.deps.store.db, targetId);
    if (!row) throw new AppError('not_found', 'The identity does not exist.');
    if (row.enabled !== 1) throw new AppError('conflict', 'The identity is disabled.');
    return targetOf(row);
  }

  /** What the credential `minter` asks for may carry (core's planMint with the role catalog). */
  plan(
    minter: Authority,
    operation: MintOperation,
    target: TargetIdentity,
    ask: {
      roles?: string[] | undefined;
      endpoints?: string[] | undefined;
      narrowTo?: string[];
      scopeRoles?: string[];
      actor?: Authority;
      ceiling?: readonly string[] | null;
    },
  ): MintPlan {
    return planMint(
      minter,
      {
        operation,
        target,
        ...(ask.roles && ask.roles.length > 0 ? { roles: this.deps.roles.canonicalList(ask.roles) } : {}),
        ...(ask.endpoints === undefined ? {} : { endpoints: ask.endpoints }),
        ...(ask.narrowTo === undefined ? {} : { narrowTo: ask.narrowTo }),
        ...(ask.scopeRoles === undefined ? {} : { scopeRoles: ask.scopeRoles }),
        ...(ask.actor === undefined ? {} : { actor: ask.actor }),
        ...(ask.ceiling === undefined ? {} : { ceiling: ask.ceiling }),
      },
      this.deps.roles,
    );
  }

  /**
   * Grants an app or personal token: the token and its `token.grant` audit event commit
   * together, in a transaction shared with the grants that arrive beside it (group commit).
   */
  async grantOpaque(
    kind: 'app' | 'personal',
    t: Parameters<TokenMinter['createOpaque']>[1],
    caller: Principal,
    meta: RequestMeta,
    details: (row: TokenRow) => Record<string, unknown>,
  ): Promise<{ value: string; row: TokenRow }> {
    return this.deps.store.groupCommit.run(async (trx) => {
      const created = await this.createOpaque(kind, t, trx);
      await this.deps.audit.recordIn(trx, {
        action: 'token.grant',
        actor: caller.identity,
        targetType: 'token',
        targetId: created.row.id,
        ip: meta.ip,
        details: details(created.row),
      });
      return created;
    });
  }

  /** Creates an opaque long-lived token: only its hash is stored, the value is returned once. */
  async createOpaque(
    kind: 'app' | 'personal' | 'refresh',
    t: {
      identityId: number;
      plan: MintPlan;
      expiresAtMs: number;
      name: string;
      description: string;
      createdBy: number | null;
      parentId: number | null;
      familyId?: number | null;
      subtype?: string | null;
      /** RFC 9449: a refresh token bound to the DPoP key it was issued to. */
      cnfJkt?: string | null;
    },
    db: Store['db'] = this.deps.store.db,
  ): Promise<{ value: string; row: TokenRow }> {
    const value = generateToken(kind, this.deps.prefix);
    const row = await insertToken(db, {
      kind,
      tokenHash: hashToken(value),
      hint: tokenHint(value),
      name: t.name,
      description: t.description,
      identityId: t.identityId,
      roles: t.plan.roles,
      endpoints: t.plan.endpoints,
      ceiling: t.plan.ceiling,
      createdAtMs: this.deps.clock(),
      expiresAtMs: t.expiresAtMs,
      parentId: t.parentId,
      familyId: t.familyId ?? null,
      cnfJkt: t.cnfJkt ?? null,
      subtype: t.subtype ?? null,
      createdBy: t.createdBy,
    });
    return { value, row };
  }
}
