import {
  AppError,
  type EndpointPattern,
  generateToken,
  hashToken,
  type LifetimePolicy,
  parseDateInput,
  parseEndpointPatterns,
  parseToken,
  resolveExpiry,
  roleKey,
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
import { callerCovers, hasPermission, requirePermission } from './authorization.js';
import type { Invalidator } from './invalidator.js';
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

export interface RequestMeta {
  ip: string | null;
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

/** What granting needs to know of the identity a token is for. */
type TargetIdentity = Pick<IdentityRow, 'id' | 'name' | 'source' | 'roles' | 'enabled'>;

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

  view(
    row: TokenRow,
    identity: IdentityRow | { id: number; name: string; source: string; roles: string } | undefined,
    value?: string,
  ): TokenView {
    const roles = JSON.parse(row.roles) as string[];
    const identityRoles = identity ? (JSON.parse(identity.roles) as string[]) : [];
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
        role: identityRoles.join(', '),
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

  /**
   * Roles for a new token of `target`: the requested ones (or, by default, every role of the
   * target the caller could grant), each held by the target and covered by the caller.
   */
  tokenRoles(caller: Principal, target: TargetIdentity, requested: string[] | undefined): string[] {
    const targetRoles = JSON.parse(target.roles) as string[];
    const targetKeys = new Set(targetRoles.map(roleKey));
    const self = target.id === caller.identity.id;
    let roles: string[];
    if (requested === undefined || requested.length === 0) {
      roles = self
        ? caller.roles.filter((r) => targetKeys.has(roleKey(r)))
        : targetRoles.filter((r) => this.roles.get(r) && callerCovers(caller, this.roles.permissionsOf([r])));
      if (roles.length === 0) {
        throw new AppError('role_not_held', 'The identity has no role that you may put in a token.');
      }
    } else {
      roles = this.roles.canonicalList(requested);
    }
    for (const r of roles) {
      if (!targetKeys.has(roleKey(r))) {
        throw new AppError('role_not_held', `The identity does not hold the role "${r}".`);
      }
    }
    if (!callerCovers(caller, this.roles.permissionsOf(roles))) {
      throw new AppError('role_not_held', 'A token cannot carry more permissions than the caller has.');
    }
    return roles;
  }

  endpoints(caller: Principal, requested: string[] | undefined): string[] | null {
    let list: string[] | null = null;
    if (requested !== undefined && requested.length > 0) {
      if (requested.length > 100)
        throw new AppError('invalid_endpoint_pattern', 'At most 100 API endpoints.');
      const parsed = parseEndpointPatterns(requested);
      if (!parsed) throw new AppError('invalid_endpoint_pattern');
      list = parsed.map((p: EndpointPattern) => p.source);
    }
    // A token limited to some endpoints can only mint tokens limited to (a part of) the same.
    if (caller.endpoints) {
      const allowed = new Set(caller.endpoints.map((p) => p.source));
      if (list === null) return [...allowed];
      if (!list.every((e) => allowed.has(e))) {
        throw new AppError(
          'endpoint_not_allowed',
          'A token cannot allow endpoints its creator may not call.',
        );
      }
    }
    return list;
  }

  expiry(expiration: unknown, policy: LifetimePolicy = this.appPolicy): number {
    let requested: number | null = null;
    if (expiration !== undefined && expiration !== null && expiration !== '') {
      requested = parseDateInput(expiration);
      if (requested === null) throw new AppError('invalid_date', 'The expiration is not a valid date.');
    }
    return resolveExpiry(policy, this.clock(), requested);
  }

  private async loadTarget(
    caller: Principal,
    identityId: number | undefined,
    anyPermission: string,
  ): Promise<TargetIdentity> {
    const targetId = identityId ?? caller.identity.id;
    if (targetId === caller.identity.id) {
      // The caller was authenticated a moment ago from an entry kept current by invalidation:
      // a grant for oneself needs no second read of the same identity.
      const me = caller.identity;
      return {
        id: me.id,
        name: me.name,
        source: me.source,
        roles: JSON.stringify(me.roles),
        enabled: me.enabled ? 1 : 0,
      };
    }
    requirePermission(caller, anyPermission);
    const target = await findIdentityById(this.store.db, targetId);
    if (!target) throw new AppError('not_found', 'The identity does not exist.');
    if (target.enabled !== 1) throw new AppError('conflict', 'The identity is disabled.');
    return target;
  }

  /** Creates an opaque long-lived token: only its hash is stored, the value is returned once. */
  async createOpaque(
    kind: 'app' | 'personal' | 'refresh',
    t: {
      identityId: number;
      roles: string[];
      endpoints: string[] | null;
      expiresAtMs: number;
      name: string;
      description: string;
      createdBy: number | null;
      parentId?: number | null;
      familyId?: number | null;
      subtype?: string | null;
    },
    db: Store['db'] = this.store.db,
  ): Promise<{ value: string; row: TokenRow }> {
    const value = generateToken(kind, this.prefix);
    const row = await insertToken(db, {
      kind,
      token_hash: hashToken(value),
      hint: tokenHint(value),
      name: t.name,
      description: t.description,
      identity_id: t.identityId,
      roles: JSON.stringify(t.roles),
      scope: t.endpoints ? 'custom' : 'all',
      api_endpoints: t.endpoints ? JSON.stringify(t.endpoints) : null,
      created_at_ms: this.clock(),
      expires_at_ms: t.expiresAtMs,
      revoked_at_ms: null,
      last_used_at_ms: null,
      parent_id: t.parentId ?? null,
      family_id: t.familyId ?? null,
      spent_at_ms: null,
      subtype: t.subtype ?? null,
      created_by: t.createdBy,
    });
    return { value, row };
  }

  /** Revokes a token and everything issued from it; every instance forgets them at once. */
  async revokeTree(
    row: TokenRow,
    actor: AuditActor | null,
    meta: RequestMeta,
    action = 'token.revoke',
  ): Promise<TokenRow> {
    const revoked = await revokeTokenTree(this.store.db, row.id, this.clock());
    for (const r of revoked) await this.invalidator.token(r.token_hash);
    if (revoked.length > 0) {
      await this.audit.record({
        action,
        actor,
        targetType: 'token',
        targetId: row.id,
        ip: meta.ip,
        details: {
          kind: row.kind,
          identityId: row.identity_id,
          hint: row.hint,
          ...(revoked.length > 1
            ? { alsoRevoked: revoked.filter((r) => r.id !== row.id).map((r) => r.id) }
            : {}),
        },
      });
    }
    return (await findTokenById(this.store.db, row.id)) ?? row;
  }

  async grant(caller: Principal, input: GrantInput, meta: RequestMeta): Promise<TokenView> {
    if (!hasPermission(caller, 'tokens:grant') && !hasPermission(caller, 'tokens:grant-any')) {
      throw new AppError('permission_denied');
    }
    const target = await this.loadTarget(caller, input.identityId, 'tokens:grant-any');
    const roles = this.tokenRoles(caller, target, input.roles);
    const endpoints = this.endpoints(caller, input.apiEndpoints);
    const expiresAtMs = this.expiry(input.expiration);
    // The token and its audit event commit together, in a transaction shared with the grants
    // that arrive beside it.
    const { value, row } = await this.store.groupCommit.run(async (trx) => {
      const created = await this.createOpaque(
        'app',
        {
          identityId: target.id,
          roles,
          endpoints,
          expiresAtMs,
          name: input.name ?? '',
          description: input.description ?? '',
          createdBy: caller.identity.id,
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
          roles,
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
    if (!hasPermission(caller, 'tokens:grant') && !hasPermission(caller, 'tokens:grant-any')) {
      throw new AppError('permission_denied');
    }
    const value = input.token;
    if (!TOKEN_VALUE_PATTERN.test(value) || parseToken(value, this.prefix).format === 'bad_checksum') {
      throw new AppError(
        'invalid_token_value',
        'The token must be 16 to 4096 printable characters without spaces, and a Tokenward token must have a valid checksum.',
      );
    }
    let identityId = input.identity.id;
    if (identityId === undefined) {
      if (!input.identity.name) throw new AppError('invalid_request', 'Identity must give a name or an id.');
      const byName = await findIdentityByName(this.store.db, input.identity.name);
      if (!byName) throw new AppError('unknown_identity');
      identityId = byName.id;
    }
    const target = await this.loadTarget(caller, identityId, 'tokens:grant-any');
    const roles = this.tokenRoles(caller, target, input.roles);
    const expiresAtMs = this.expiry(input.expiration);
    const hash = hashToken(value);
    if (await findTokenByHash(this.store.db, hash)) throw new AppError('token_exists');
    let row: TokenRow;
    try {
      row = await insertToken(this.store.db, {
        kind: 'app',
        token_hash: hash,
        hint: tokenHint(value),
        name: input.name ?? '',
        description: input.description ?? '',
        identity_id: target.id,
        roles: JSON.stringify(roles),
        scope: 'all',
        api_endpoints: null,
        created_at_ms: this.clock(),
        expires_at_ms: expiresAtMs,
        revoked_at_ms: null,
        last_used_at_ms: null,
        parent_id: null,
        family_id: null,
        spent_at_ms: null,
        subtype: null,
        created_by: caller.identity.id,
        imported: 1,
      });
    } catch (err) {
      // Two imports of one value racing: the unique index decides, the loser gets a 409.
      if (await findTokenByHash(this.store.db, hash)) throw new AppError('token_exists');
      throw err;
    }
    // A value tried before its import may sit in a negative cache entry on some instance.
    await this.invalidator.token(hash);
    await this.audit.record({
      action: 'token.import',
      actor: caller.identity,
      targetType: 'token',
      targetId: row.id,
      ip: meta.ip,
      details: { kind: 'app', identityId: target.id, roles, expiration: iso(expiresAtMs), hint: row.hint },
    });
    return this.view(row, target);
  }

  /** A token the caller may see: own with tokens:read, any with tokens:read-any; else 404. */
  async visible(caller: Principal, id: number): Promise<TokenRow> {
    requirePermission(caller, 'tokens:read');
    const row = await findTokenById(this.store.db, id);
    if (!row || (row.identity_id !== caller.identity.id && !hasPermission(caller, 'tokens:read-any'))) {
      throw new AppError('not_found', 'The token was not found.');
    }
    return row;
  }

  async get(caller: Principal, id: number): Promise<TokenView> {
    const row = await this.visible(caller, id);
    return this.view(row, await findIdentityById(this.store.db, row.identity_id));
  }

  async list(
    caller: Principal,
    f: Omit<TokenFilter, 'nowMs'> & { identity?: string },
  ): Promise<{ items: TokenView[]; total: number; limit: number; offset: number }> {
    requirePermission(caller, 'tokens:read');
    let identityId: number | undefined;
    if (f.identity !== undefined) {
      const found = /^\d+$/.test(f.identity)
        ? await findIdentityById(this.store.db, Number(f.identity))
        : await findIdentityByName(this.store.db, f.identity);
      identityId = found?.id ?? -1;
    }
    if (!hasPermission(caller, 'tokens:read-any')) {
      if (identityId !== undefined && identityId !== caller.identity.id)
        throw new AppError('permission_denied');
      identityId = caller.identity.id;
    }
    const { rows, total } = await listTokens(this.store.db, {
      ...f,
      ...(identityId === undefined ? {} : { identityId }),
      nowMs: this.clock(),
    });
    const ids = [...new Set(rows.map((r) => r.identity_id))];
    const identities = new Map<number, IdentityRow | undefined>();
    await Promise.all(ids.map(async (id) => identities.set(id, await findIdentityById(this.store.db, id))));
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
    patch: { name?: string; description?: string },
    meta: RequestMeta,
  ): Promise<TokenView> {
    const row = await this.visible(caller, id);
    requirePermission(caller, row.identity_id === caller.identity.id ? 'tokens:grant' : 'tokens:grant-any');
    const updated = (await updateTokenMeta(this.store.db, id, patch)) ?? row;
    await this.audit.record({
      action: 'token.update',
      actor: caller.identity,
      targetType: 'token',
      targetId: id,
      ip: meta.ip,
      details: { fields: Object.keys(patch) },
    });
    return this.view(updated, await findIdentityById(this.store.db, row.identity_id));
  }

  async revoke(caller: Principal, id: number, meta: RequestMeta): Promise<TokenView> {
    const row = await this.visible(caller, id);
    requirePermission(caller, row.identity_id === caller.identity.id ? 'tokens:revoke' : 'tokens:revoke-any');
    const revoked = await this.revokeTree(row, caller.identity, meta);
    return this.view(revoked, await findIdentityById(this.store.db, row.identity_id));
  }
}
