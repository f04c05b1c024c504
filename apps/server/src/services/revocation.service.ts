import { findTokenById, type Store } from '@tokenward/store';
import type { RequestMeta } from './request-meta.js';
import type { TokenRevoker } from './token-revoker.js';
import type { Principal, Verifier } from './verifier.js';

export interface RevocationDeps {
  store: Store;
  revoker: TokenRevoker;
  verifier: Verifier;
}

/** RFC 7009 revocation: whoever holds a token may revoke it (and what was minted from it). */
export class RevocationService {
  constructor(private readonly deps: RevocationDeps) {}

  /** RFC 7009: holding a token is the right to revoke it; unknown tokens are not an error. */
  async revoke(caller: Principal | null, value: string, meta: RequestMeta): Promise<void> {
    const entry = await this.deps.verifier.lookup(value);
    if (!entry || entry.revoked) return;
    const row = await findTokenById(this.deps.store.db, entry.id);
    if (!row) return;
    const actor = caller ? caller.identity : { id: row.identity_id, name: null };
    await this.deps.revoker.revokeTree(row, actor, meta);
  }
}
