import {
  AppError,
  assertMayMint,
  estimateEntropyBits,
  hashToken,
  MIN_IMPORT_ENTROPY_BITS,
  parseToken,
  TOKEN_VALUE_PATTERN,
  tokenHint,
} from '@tokenward/core';
import {
  findIdentityByName,
  findTokenByHash,
  insertToken,
  type Store,
  type TokenRow,
} from '@tokenward/store';
import type { TokenView } from '../schemas/token.js';
import type { AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import type { TokenMinter } from './token-minter.js';
import type { TokenViews } from './token-view.js';
import type { Principal } from './verifier.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** An identity id that is nobody's: asks the rule for "another identity" before knowing which. */
const ANOTHER_IDENTITY = -1;

export interface ImportInput {
  token: string;
  identity: { id?: number; name?: string };
  roles?: string[];
  expiration?: unknown;
  name?: string;
  description?: string;
}

export interface ImportAppTokenDeps {
  store: Store;
  minter: TokenMinter;
  views: TokenViews;
  audit: AuditService;
  invalidator: Invalidator;
  clock: () => number;
  /** Prefix of Tokenward token values, whose checksum an import must pass. */
  prefix: string;
}

/** Imports an existing token value (migration): only its hash is stored. */
export class ImportAppToken {
  constructor(private readonly deps: ImportAppTokenDeps) {}

  async import(caller: Principal, input: ImportInput, meta: RequestMeta): Promise<TokenView> {
    // The permission first: a caller that may not import learns nothing about the value.
    assertMayMint(caller.authority, 'import', caller.identity.id);
    const value = input.token;
    if (!TOKEN_VALUE_PATTERN.test(value) || parseToken(value, this.deps.prefix).format === 'bad_checksum') {
      throw new AppError(
        'invalid_token_value',
        'The token must be 16 to 4096 printable characters without spaces, and a Tokenward token must have a valid checksum.',
      );
    }
    if (estimateEntropyBits(value) < MIN_IMPORT_ENTROPY_BITS) throw new AppError('weak_token_value');
    let identityId = input.identity.id;
    if (identityId === undefined) {
      if (!input.identity.name) throw new AppError('invalid_request', 'Identity must give a name or an id.');
      // Importing for another identity needs tokens:grant-any: asked before the name is looked
      // up, so that a caller without it cannot learn which names exist.
      const self = input.identity.name.toLowerCase() === caller.identity.name.toLowerCase();
      assertMayMint(caller.authority, 'import', self ? caller.identity.id : ANOTHER_IDENTITY);
      const byName = await findIdentityByName(this.deps.store.db, input.identity.name);
      if (!byName) throw new AppError('unknown_identity');
      identityId = byName.id;
    }
    const target = await this.deps.minter.target(caller, identityId, 'import');
    const plan = this.deps.minter.plan(caller.authority, 'import', target, { roles: input.roles });
    const expiresAtMs = this.deps.minter.expiry(input.expiration);
    const hash = hashToken(value);
    if (await findTokenByHash(this.deps.store.db, hash)) throw new AppError('token_exists');
    let row: TokenRow;
    try {
      row = await this.deps.store.db.transaction().execute(async (trx) => {
        const inserted = await insertToken(trx, {
          kind: 'app',
          tokenHash: hash,
          hint: tokenHint(value),
          name: input.name ?? '',
          description: input.description ?? '',
          identityId: target.id,
          roles: plan.roles,
          endpoints: plan.endpoints,
          ceiling: plan.ceiling,
          createdAtMs: this.deps.clock(),
          expiresAtMs,
          parentId: caller.token?.id ?? null,
          createdBy: caller.identity.id,
          imported: true,
        });
        await this.deps.audit.recordIn(trx, {
          action: 'token.import',
          actor: caller.identity,
          targetType: 'token',
          targetId: inserted.id,
          ip: meta.ip,
          details: {
            kind: 'app',
            identityId: target.id,
            roles: plan.roles,
            expiration: iso(expiresAtMs),
            hint: inserted.hint,
          },
        });
        return inserted;
      });
    } catch (err) {
      // Two imports of one value racing: the unique index decides, the loser gets a 409.
      if (await findTokenByHash(this.deps.store.db, hash)) throw new AppError('token_exists');
      throw err;
    }
    // A value tried before its import may sit in a negative cache entry on some instance.
    await this.deps.invalidator.token(hash);
    return this.deps.views.view(row, target);
  }
}
