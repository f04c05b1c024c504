import {
  AppError,
  type Authority,
  assertMayActOnToken,
  assertMayMint,
  estimateEntropyBits,
  generateToken,
  hashToken,
  type LifetimePolicy,
  MIN_IMPORT_ENTROPY_BITS,
  type MintOperation,
  type MintPlan,
  maySeeToken,
  PermissionSet,
  parseDateInput,
  parseToken,
  planMint,
  resolveExpiry,
  TOKEN_VALUE_PATTERN,
  tokenHint,
  tokenStatus,
} from '@tokenward/core';
import {
  findIdentityById,
  findIdentityByName,
  findTokenByHash,
  findTokenById,
  type IdentityRow,
  insertToken,
  listTokens,
  revokeTokenTree,
  type Store,
  type TokenFilter,
  type TokenRow,
  updateTokenMeta,
} from '@tokenward/store';
import type { AuditActor, AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import type { RoleCatalog } from './role-catalog.js';
import type { UsageTracker } from './usage-tracker.js';
import type { Principal } from './verifier.js';

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

export interface ImportInput {
  token: string;
  identity: { id?: number; name?: string };
  roles?: string[];
  expiration?: unknown;
  name?: string;
  description?: string;
}

export interface TokenView {
  id: number;
  token?: string;
  kind: string;
  identity: { id: number; name: string; source: string; role: string };
  identityId: number;
  revoked: boolean;
  role: string;
  roles: string[];
  created: string;
  expiration: string;
  revokedDate: string | null;
  name: string;
  description: string;
  status: 'Active' | 'Revoked' | 'Expired';
  hint: string;
  lastUsed: string | null;
  useCount: number;
  scope: string;
  apiEndpoints: string[] | null;
  imported: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** An identity id that is nobody's: asks the rule for "another identity" before knowing which. */
const ANOTHER_IDENTITY = -1;

/** What minting needs to know of the identity a token is for. */
export interface TargetIdentity {
  id: number;
  name: string;
  source: string;
  roles: readonly string[];
}

/** The identity fields a token view shows. */
export function targetOf(row: Pick<IdentityRow, 'id' | 'name' | 'source' | 'roles'>): TargetIdentity {
  return { id: row.id, name: row.name, source: row.source, roles: JSON.parse(row.roles) as string[] };
}

export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly roles: RoleCatalog,
    private readonly audit: AuditService,
    private readonly invalidator: Invalidator,
    private readonly usage: UsageTracker,
    private readonly clock: () => number,
    private readonly prefix: string,
    private readonly appPolicy: LifetimePolicy,
  ) {}

  view(row: TokenRow, identity: TargetIdentity | undefined, value?: string): TokenView {
    const roles = this.heldRoles(row);
    const pending = this.usage.pendingLastUsed(row.id);
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
      status: tokenStatus(row.revoked === 1, row.expires_at_ms, this.clock()),
      hint: row.hint,
      lastUsed: lastUsed > 0 ? iso(lastUsed) : null,
      useCount: row.use_count,
      scope: row.scope,
      apiEndpoints: row.api_endpoints ? (JSON.parse(row.api_endpoints) as string[]) : null,
      imported: row.imported === 1,
    };
  }

  /** A token's roles that its ceiling leaves whole: what it really holds (a narrowed token: fewer). */
  private heldRoles(row: TokenRow): string[] {
    const roles = JSON.parse(row.roles) as string[];
    const limits = [row.ceiling, row.permissions].filter((l): l is string => l !== null);
    if (limits.length === 0) return roles;
    const sets = limits.map((l) => new PermissionSet(JSON.parse(l) as string[]));
    return roles.filter((r) => sets.every((s) => s.covers(this.roles.permissionsOf([r]))));
  }

  expiry(expiration: unknown, policy: LifetimePolicy = this.appPolicy): number {
    let requested: number | null = null;
    if (expiration !== undefined && expiration !== null && expiration !== '') {
      requested = parseDateInput(expiration);
      if (requested === null) throw new AppError('invalid_date', 'The expiration is not a valid date.');
    }
    return resolveExpiry(policy, this.clock(), requested);
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
    const row = await findIdentityById(this.store.db, targetId);
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
        ...(ask.roles && ask.roles.length > 0 ? { roles: this.roles.canonicalList(ask.roles) } : {}),
        ...(ask.endpoints === undefined ? {} : { endpoints: ask.endpoints }),
        ...(ask.narrowTo === undefined ? {} : { narrowTo: ask.narrowTo }),
        ...(ask.scopeRoles === undefined ? {} : { scopeRoles: ask.scopeRoles }),
        ...(ask.actor === undefined ? {} : { actor: ask.actor }),
        ...(ask.ceiling === undefined ? {} : { ceiling: ask.ceiling }),
      },
      this.roles,
    );
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
    },
    db: Store['db'] = this.store.db,
  ): Promise<{ value: string; row: TokenRow }> {
    const value = generateToken(kind, this.prefix);
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
      createdAtMs: this.clock(),
      expiresAtMs: t.expiresAtMs,
      parentId: t.parentId,
      familyId: t.familyId ?? null,
      subtype: t.subtype ?? null,
      createdBy: t.createdBy,
    });
    return { value, row };
  }

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
    const revoked = await revokeTokenTree(this.store.db, row.id, this.clock(), (trx, done) =>
      this.audit.recordIn(trx, {
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
    for (const r of revoked) await this.invalidator.token(r.token_hash);
    return (await findTokenById(this.store.db, row.id)) ?? row;
  }

  async grant(caller: Principal, input: GrantInput, meta: RequestMeta): Promise<TokenView> {
    if (input.scope === 'custom' && (!input.apiEndpoints || input.apiEndpoints.length === 0)) {
      throw new AppError('invalid_endpoint_pattern', 'A custom scope needs at least one API endpoint.');
    }
    const target = await this.target(caller, input.identityId, 'grant');
    const plan = this.plan(caller.authority, 'grant', target, {
      roles: input.roles,
      endpoints: input.scope === 'all' ? undefined : input.apiEndpoints,
    });
    const expiresAtMs = this.expiry(input.expiration);
    // The token and its audit event commit together, in a transaction shared with the grants
    // that arrive beside it.
    const { value, row } = await this.store.groupCommit.run(async (trx) => {
      const created = await this.createOpaque(
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
      await this.audit.recordIn(trx, {
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
    return this.view(row, target, value);
  }

  async import(caller: Principal, input: ImportInput, meta: RequestMeta): Promise<TokenView> {
    // The permission first: a caller that may not import learns nothing about the value.
    assertMayMint(caller.authority, 'import', caller.identity.id);
    const value = input.token;
    if (!TOKEN_VALUE_PATTERN.test(value) || parseToken(value, this.prefix).format === 'bad_checksum') {
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
      const byName = await findIdentityByName(this.store.db, input.identity.name);
      if (!byName) throw new AppError('unknown_identity');
      identityId = byName.id;
    }
    const target = await this.target(caller, identityId, 'import');
    const plan = this.plan(caller.authority, 'import', target, { roles: input.roles });
    const expiresAtMs = this.expiry(input.expiration);
    const hash = hashToken(value);
    if (await findTokenByHash(this.store.db, hash)) throw new AppError('token_exists');
    let row: TokenRow;
    try {
      row = await this.store.db.transaction().execute(async (trx) => {
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
          createdAtMs: this.clock(),
          expiresAtMs,
          parentId: caller.token?.id ?? null,
          createdBy: caller.identity.id,
          imported: true,
        });
        await this.audit.recordIn(trx, {
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
      if (await findTokenByHash(this.store.db, hash)) throw new AppError('token_exists');
      throw err;
    }
    // A value tried before its import may sit in a negative cache entry on some instance.
    await this.invalidator.token(hash);
    return this.view(row, target);
  }

  /** A token the caller may see: own with tokens:read, any with tokens:read-any; else 404. */
  async visible(caller: Principal, id: number): Promise<TokenRow> {
    caller.authority.require('tokens:read');
    const row = await findTokenById(this.store.db, id);
    if (!row || !maySeeToken(caller.authority, row.identity_id)) {
      throw new AppError('not_found', 'The token was not found.');
    }
    return row;
  }

  async identityOf(row: TokenRow): Promise<TargetIdentity | undefined> {
    const identity = await findIdentityById(this.store.db, row.identity_id);
    return identity ? targetOf(identity) : undefined;
  }

  async get(caller: Principal, id: number): Promise<TokenView> {
    const row = await this.visible(caller, id);
    return this.view(row, await this.identityOf(row));
  }

  async list(
    caller: Principal,
    f: Omit<TokenFilter, 'nowMs' | 'expiringBeforeMs'> & { identity?: string; expiringWithinMs?: number },
  ): Promise<{ items: TokenView[]; total: number; limit: number; offset: number }> {
    caller.authority.require('tokens:read');
    const { expiringWithinMs, ...filter } = f;
    const nowMs = this.clock();
    let identityId: number | undefined;
    if (f.identity !== undefined) {
      const found = /^\d+$/.test(f.identity)
        ? await findIdentityById(this.store.db, Number(f.identity))
        : await findIdentityByName(this.store.db, f.identity);
      identityId = found?.id ?? -1;
    }
    if (!maySeeToken(caller.authority, identityId ?? -1)) {
      if (identityId !== undefined && identityId !== caller.identity.id)
        throw new AppError('permission_denied');
      identityId = caller.identity.id;
    }
    const { rows, total } = await listTokens(this.store.db, {
      ...filter,
      ...(identityId === undefined ? {} : { identityId }),
      ...(expiringWithinMs === undefined ? {} : { expiringBeforeMs: nowMs + expiringWithinMs }),
      nowMs,
    });
    const ids = [...new Set(rows.map((r) => r.identity_id))];
    const identities = new Map<number, TargetIdentity | undefined>();
    await Promise.all(
      ids.map(async (id) => {
        const found = await findIdentityById(this.store.db, id);
        identities.set(id, found ? targetOf(found) : undefined);
      }),
    );
    return {
      items: rows.map((r) => this.view(r, identities.get(r.identity_id))),
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
    const updated = (await updateTokenMeta(this.store.db, id, change)) ?? row;
    await this.audit.record({
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
    return this.view(updated, await this.identityOf(row));
  }

  async revoke(caller: Principal, id: number, meta: RequestMeta): Promise<TokenView> {
    const row = await this.visible(caller, id);
    assertMayActOnToken(caller.authority, row.identity_id, 'revoke');
    const revoked = await this.revokeTree(row, caller.identity, meta);
    return this.view(revoked, await this.identityOf(row));
  }
}
