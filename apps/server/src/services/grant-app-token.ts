import { AppError } from '@tokenward/core';
import type { Store } from '@tokenward/store';
import type { TokenView } from '../schemas/token.js';
import type { AuditService } from './audit.service.js';
import type { RequestMeta } from './request-meta.js';
import type { TokenMinter } from './token-minter.js';
import type { TokenViews } from './token-view.js';
import type { Principal } from './verifier.js';

const iso = (ms: number) => new Date(ms).toISOString();

export interface GrantInput {
  /** Target identity; the caller's own when absent. */
  identityId?: number;
  roles?: string[];
  expiration?: unknown;
  name?: string;
  description?: string;
  /** `custom` limits the token to apiEndpoints (at least one); `all` ignores them. */
  scope?: 'all' | 'custom';
  apiEndpoints?: string[];
}

export interface GrantAppTokenDeps {
  store: Store;
  minter: TokenMinter;
  views: TokenViews;
  audit: AuditService;
}

/** Grants app tokens: for the caller, or for another identity with tokens:grant-any. */
export class GrantAppToken {
  constructor(private readonly deps: GrantAppTokenDeps) {}

  async grant(caller: Principal, input: GrantInput, meta: RequestMeta): Promise<TokenView> {
    if (input.scope === 'custom' && (!input.apiEndpoints || input.apiEndpoints.length === 0)) {
      throw new AppError('invalid_endpoint_pattern', 'A custom scope needs at least one API endpoint.');
    }
    const target = await this.deps.minter.target(caller, input.identityId, 'grant');
    const plan = this.deps.minter.plan(caller.authority, 'grant', target, {
      roles: input.roles,
      endpoints: input.scope === 'all' ? undefined : input.apiEndpoints,
    });
    const expiresAtMs = this.deps.minter.expiry(input.expiration);
    // The token and its audit event commit together, in a transaction shared with the grants
    // that arrive beside it.
    const { value, row } = await this.deps.store.groupCommit.run(async (trx) => {
      const created = await this.deps.minter.createOpaque(
        'app',
        {
          identityId: target.id,
          plan,
          expiresAtMs,
          name: input.name ?? '',
          description: input.description ?? '',
          createdBy: caller.identity.id,
          parentId: caller.token?.id ?? null,
        },
        trx,
      );
      await this.deps.audit.recordIn(trx, {
        action: 'token.grant',
        actor: caller.identity,
        targetType: 'token',
        targetId: created.row.id,
        ip: meta.ip,
        details: {
          kind: 'app',
          identityId: target.id,
          roles: plan.roles,
          expiration: iso(expiresAtMs),
          scope: created.row.scope,
          hint: created.row.hint,
        },
      });
      return created;
    });
    return this.deps.views.view(row, target, value);
  }
}
