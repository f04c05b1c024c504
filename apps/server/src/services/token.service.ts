import { AppError, assertMayActOnToken, maySeeToken } from '@tokenward/core';
import {
  findIdentityById,
  findIdentityByName,
  findTokenById,
  listTokens,
  type Store,
  type TokenFilter,
  type TokenRow,
  updateTokenMeta,
} from '@tokenward/store';
import type { TokenView } from '../schemas/token.js';
import type { AuditService } from './audit.service.js';
import type { RequestMeta } from './request-meta.js';
import { type TargetIdentity, targetOf } from './token-minter.js';
import type { TokenRevoker } from './token-revoker.js';
import type { TokenViews } from './token-view.js';
import type { Principal } from './verifier.js';

export interface TokenServiceDeps {
  store: Store;
  views: TokenViews;
  revoker: TokenRevoker;
  audit: AuditService;
  clock: () => number;
}

/** Tokens as resources: read, list, rename and revoke, each within what the caller may see. */
export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  /** A token the caller may see: own with tokens:read, any with tokens:read-any; else 404. */
  async visible(caller: Principal, id: number): Promise<TokenRow> {
    caller.authority.require('tokens:read');
    const row = await findTokenById(this.deps.store.db, id);
    if (!row || !maySeeToken(caller.authority, row.identity_id)) {
      throw new AppError('not_found', 'The token was not found.');
    }
    return row;
  }

  async identityOf(row: TokenRow): Promise<TargetIdentity | undefined> {
    const identity = await findIdentityById(this.deps.store.db, row.identity_id);
    return identity ? targetOf(identity) : undefined;
  }

  async get(caller: Principal, id: number): Promise<TokenView> {
    const row = await this.visible(caller, id);
    return this.deps.views.view(row, await this.identityOf(row));
  }

  async list(
    caller: Principal,
    f: Omit<TokenFilter, 'nowMs' | 'expiringBeforeMs'> & { identity?: string; expiringWithinMs?: number },
  ): Promise<{ items: TokenView[]; total: number; limit: number; offset: number }> {
    caller.authority.require('tokens:read');
    const { expiringWithinMs, ...filter } = f;
    const nowMs = this.deps.clock();
    let identityId: number | undefined;
    if (f.identity !== undefined) {
      const found = /^\d+$/.test(f.identity)
        ? await findIdentityById(this.deps.store.db, Number(f.identity))
        : await findIdentityByName(this.deps.store.db, f.identity);
      identityId = found?.id ?? -1;
    }
    if (!maySeeToken(caller.authority, identityId ?? -1)) {
      if (identityId !== undefined && identityId !== caller.identity.id)
        throw new AppError('permission_denied');
      identityId = caller.identity.id;
    }
    const { rows, total } = await listTokens(this.deps.store.db, {
      ...filter,
      ...(identityId === undefined ? {} : { identityId }),
      ...(expiringWithinMs === undefined ? {} : { expiringBeforeMs: nowMs + expiringWithinMs }),
      nowMs,
    });
    const ids = [...new Set(rows.map((r) => r.identity_id))];
    const identities = new Map<number, TargetIdentity | undefined>();
    await Promise.all(
      ids.map(async (id) => {
        const found = await findIdentityById(this.deps.store.db, id);
        identities.set(id, found ? targetOf(found) : undefined);
      }),
    );
    return {
      items: rows.map((r) => this.deps.views.view(r, identities.get(r.identity_id))),
      total,
      limit: f.limit,
      offset: f.offset,
    };
  }

  async update(
    caller: Principal,
    id: number,
    change: { name?: string | undefined; description?: string | undefined },
    meta: RequestMeta,
  ): Promise<TokenView> {
    const row = await this.visible(caller, id);
    assertMayActOnToken(caller.authority, row.identity_id, 'change');
    const updated = (await updateTokenMeta(this.deps.store.db, id, change)) ?? row;
    await this.deps.audit.record({
      action: 'token.update',
      actor: caller.identity,
      targetType: 'token',
      targetId: id,
      ip: meta.ip,
      details: {
        fields: [
          ...(change.name === undefined ? [] : ['name']),
          ...(change.description === undefined ? [] : ['description']),
        ],
      },
    });
    return this.deps.views.view(updated, await this.identityOf(row));
  }

  async revoke(caller: Principal, id: number, meta: RequestMeta): Promise<TokenView> {
    const row = await this.visible(caller, id);
    assertMayActOnToken(caller.authority, row.identity_id, 'revoke');
    const revoked = await this.deps.revoker.revokeTree(row, caller.identity, meta);
    return this.deps.views.view(revoked, await this.identityOf(row));
  }
}
