import {
  AppError,
  assertMayDefineRole,
  isBuiltinRole,
  isValidPermission,
  PermissionSet,
  ROLE_NAME_PATTERN,
  roleKey,
} from '@tokenward/core';
import {
  deleteRole,
  findRole,
  hasLiveTokenWithRole,
  insertRole,
  listAllIdentities,
  type Store,
  updateRole,
} from '@tokenward/store';
import type { AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import type { RoleCatalog, RoleInfo } from './role-catalog.js';
import type { Principal } from './verifier.js';

export interface RoleServiceDeps {
  store: Store;
  catalog: RoleCatalog;
  audit: AuditService;
  invalidator: Invalidator;
  clock: () => number;
}

export class RoleService {
  constructor(private readonly deps: RoleServiceDeps) {}

  list(caller: Principal): RoleInfo[] {
    caller.authority.require('identities:read');
    return this.deps.catalog.all();
  }

  get(caller: Principal, name: string): RoleInfo {
    caller.authority.require('identities:read');
    const role = this.deps.catalog.get(name);
    if (!role) throw new AppError('not_found', 'The role was not found.');
    return role;
  }

  private validPermissions(caller: Principal, permissions: readonly string[]): string[] {
    const unique = [...new Set(permissions.map((p) => p.trim()))];
    const bad = unique.find((p) => !isValidPermission(p));
    if (bad !== undefined) {
      throw new AppError('invalid_permission', `"${bad.slice(0, 80)}" is not a valid permission string.`);
    }
    assertMayDefineRole(caller.authority, new PermissionSet(unique));
    return unique;
  }

  async create(
    caller: Principal,
    input: { name: string; description?: string; permissions: string[]; requireDpop?: boolean },
    meta: RequestMeta,
  ): Promise<RoleInfo> {
    caller.authority.require('roles:write');
    const name = input.name.trim();
    if (!ROLE_NAME_PATTERN.test(name)) throw new AppError('invalid_role_name');
    if (
      this.deps.catalog.canonical(name) ||
      isBuiltinRole(name) ||
      (await findRole(this.deps.store.db, name))
    ) {
      throw new AppError('role_name_taken');
    }
    const permissions = this.validPermissions(caller, input.permissions);
    const now = this.deps.clock();
    try {
      await insertRole(this.deps.store.db, {
        name,
        name_key: roleKey(name),
        description: input.description ?? '',
        permissions: JSON.stringify(permissions),
        require_dpop: input.requireDpop ? 1 : 0,
        created_at_ms: now,
        updated_at_ms: now,
      });
    } catch (err) {
      if (await findRole(this.deps.store.db, name)) throw new AppError('role_name_taken');
      throw err;
    }
    await this.deps.invalidator.roles();
    await this.deps.audit.record({
      action: 'role.create',
      actor: caller.identity,
      targetType: 'role',
      targetId: name,
      ip: meta.ip,
      details: { permissions },
    });
    return this.deps.catalog.get(name)!;
  }

  async update(
    caller: Principal,
    name: string,
    input: { description?: string; permissions?: string[]; requireDpop?: boolean },
    meta: RequestMeta,
  ): Promise<RoleInfo> {
    caller.authority.require('roles:write');
    if (isBuiltinRole(this.deps.catalog.canonical(name) ?? '')) throw new AppError('role_read_only');
    const existing = await findRole(this.deps.store.db, name);
    if (!existing) throw new AppError('not_found', 'The role was not found.');
    const patch: {
      description?: string;
      permissions?: string;
      require_dpop?: number;
      updated_at_ms: number;
    } = {
      updated_at_ms: this.deps.clock(),
    };
    if (input.description !== undefined) patch.description = input.description;
    if (input.requireDpop !== undefined) patch.require_dpop = input.requireDpop ? 1 : 0;
    let permissions: string[] | undefined;
    if (input.permissions !== undefined) {
      permissions = this.validPermissions(caller, input.permissions);
      patch.permissions = JSON.stringify(permissions);
    }
    await updateRole(this.deps.store.db, name, patch);
    await this.deps.invalidator.roles();
    await this.deps.audit.record({
      action: 'role.update',
      actor: caller.identity,
      targetType: 'role',
      targetId: existing.name,
      ip: meta.ip,
      details: {
        from: existing.permissions,
        ...(permissions ? { to: permissions } : {}),
        ...(input.requireDpop === undefined ? {} : { requireDpop: input.requireDpop }),
      },
    });
    return this.deps.catalog.get(name)!;
  }

  async remove(caller: Principal, name: string, meta: RequestMeta): Promise<void> {
    caller.authority.require('roles:write');
    if (isBuiltinRole(this.deps.catalog.canonical(name) ?? '')) throw new AppError('role_read_only');
    const existing = await findRole(this.deps.store.db, name);
    if (!existing) throw new AppError('not_found', 'The role was not found.');
    const key = roleKey(name);
    const holders = (await listAllIdentities(this.deps.store.db)).filter((r) =>
      r.roles.some((x) => roleKey(x) === key),
    );
    const liveTokens = await hasLiveTokenWithRole(this.deps.store.db, key, this.deps.clock());
    if (holders.length > 0 || liveTokens) {
      throw new AppError(
        'role_in_use',
        `The role is held by ${holders.length} identit${holders.length === 1 ? 'y' : 'ies'}${liveTokens ? ' and by live tokens' : ''}; remove it from them first.`,
      );
    }
    await deleteRole(this.deps.store.db, name);
    await this.deps.invalidator.roles();
    await this.deps.audit.record({
      action: 'role.delete',
      actor: caller.identity,
      targetType: 'role',
      targetId: existing.name,
      ip: meta.ip,
    });
  }
}
