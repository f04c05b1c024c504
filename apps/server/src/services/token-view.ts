import { PermissionSet, tokenStatus } from '@tokenward/core';
import type { TokenRow } from '@tokenward/store';
import type { TokenView } from '../schemas/token.js';
import type { RoleCatalog } from './role-catalog.js';
import type { TargetIdentity } from './token-minter.js';
import type { UsageTracker } from './usage-tracker.js';

const iso = (ms: number) => new Date(ms).toISOString();

export interface TokenViewsDeps {
  roles: RoleCatalog;
  usage: UsageTracker;
  clock: () => number;
}

/** A token row as the API shows it (schemas/token.ts): what it holds, its state, its last use. */
export class TokenViews {
  constructor(private readonly deps: TokenViewsDeps) {}

  view(row: TokenRow, identity: TargetIdentity | undefined, value?: string): TokenView {
    const roles = this.heldRoles(row);
    const pending = this.deps.usage.pendingLastUsed(row.id);
    const lastUsed = Math.max(row.last_used_at_ms ?? 0, pending ?? 0);
    return {
      id: row.id,
      ...(value === undefined ? {} : { token: value }),
      kind: row.kind,
      identity: {
        id: row.identity_id,
        name: identity?.name ?? '',
        source: identity?.source ?? 'local',
        role: identity ? identity.roles.join(', ') : '',
      },
      identityId: row.identity_id,
      revoked: row.revoked === 1,
      role: roles.join(', '),
      roles,
      created: iso(row.created_at_ms),
      expiration: iso(row.expires_at_ms),
      revokedDate: row.revoked_at_ms === null ? null : iso(row.revoked_at_ms),
      name: row.name,
      description: row.description,
      status: tokenStatus(row.revoked === 1, row.expires_at_ms, this.deps.clock()),
      hint: row.hint,
      lastUsed: lastUsed > 0 ? iso(lastUsed) : null,
      useCount: row.use_count,
      scope: row.scope,
      apiEndpoints: row.api_endpoints,
      imported: row.imported === 1,
    };
  }

  /** A token's roles that its ceiling leaves whole: what it really holds (a narrowed token: fewer). */
  private heldRoles(row: TokenRow): string[] {
    const roles = row.roles;
    const limits = [row.ceiling, row.permissions].filter((l): l is string[] => l !== null);
    if (limits.length === 0) return roles;
    const sets = limits.map((l) => new PermissionSet(l));
    return roles.filter((r) => sets.every((s) => s.covers(this.deps.roles.permissionsOf([r]))));
  }
}
