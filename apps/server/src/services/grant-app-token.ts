import { AppError } from '@tokenward/core';
import type { TokenView } from '../schemas/token.js';
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
  minter: TokenMinter;
  views: TokenViews;
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
    const { value, row } = await this.deps.minter.grantOpaque(
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
      caller,
      meta,
      (created) => ({
        kind: 'app',
        identityId: target.id,
        roles: plan.roles,
        expiration: iso(expiresAtMs),
        scope: created.scope,
        hint: created.hint,
      }),
    );
    return this.deps.views.view(row, target, value);
  }
}
