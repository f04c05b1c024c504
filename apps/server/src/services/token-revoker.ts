import { findTokenById, revokeTokenTree, type Store, type TokenRow } from '@tokenward/store';
import type { AuditActor, AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';

export interface TokenRevokerDeps {
  store: Store;
  audit: AuditService;
  invalidator: Invalidator;
  clock: () => number;
}

/** Revocation of a token with everything minted from it: one transaction, then every instance forgets. */
export class TokenRevoker {
  constructor(private readonly deps: TokenRevokerDeps) {}

  /**
   * Revokes a token and everything minted from it. The revocation and its audit event commit
   * in one transaction (no revocation without its record); every instance then forgets them.
   */
  async revokeTree(
    row: TokenRow,
    actor: AuditActor | null,
    meta: RequestMeta,
    action = 'token.revoke',
  ): Promise<TokenRow> {
    const revoked = await revokeTokenTree(this.deps.store.db, row.id, this.deps.clock(), (trx, done) =>
      this.deps.audit.recordIn(trx, {
        action,
        actor,
        targetType: 'token',
        targetId: row.id,
        ip: meta.ip,
        details: {
          kind: row.kind,
          identityId: row.identity_id,
          hint: row.hint,
          ...(done.length > 1 ? { alsoRevoked: done.filter((r) => r.id !== row.id).map((r) => r.id) } : {}),
        },
      }),
    );
    for (const r of revoked) await this.deps.invalidator.token(r.token_hash);
    return (await findTokenById(this.deps.store.db, row.id)) ?? row;
  }
}
