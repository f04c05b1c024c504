import { AppError, assertMayAssignRoles, hashPassword, roleKey } from '@tokenward/core';
import {
  deleteIdentity,
  deleteSessionsOfIdentity,
  findIdentityById,
  findIdentityByName,
  type IdentityRow,
  insertIdentity,
  listAllIdentities,
  listIdentities,
  type Store,
  updateIdentity,
} from '@tokenward/store';
import type { AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import type { RoleCatalog } from './role-catalog.js';
import type { Principal } from './verifier.js';

export interface IdentityView {
  id: number;
  name: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  fullName: string;
  source: string;
  roles: string[];
  enabled: boolean;
  hasPassword: boolean;
  actFor: number[] | null;
  requireDpop: boolean;
  created: string;
  updated: string;
}

export interface IdentityInput {
  name?: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  roles?: string[];
  enabled?: boolean;
  password?: string | null;
  source?: string;
  actFor?: number[] | null;
  requireDpop?: boolean;
}

export function identityView(row: IdentityRow): IdentityView {
  const fullName = [row.first_name, row.last_name].filter(Boolean).join(' ') || row.name;
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    fullName,
    source: row.source,
    roles: row.roles,
    enabled: row.enabled === 1,
    hasPassword: row.password_hash !== null,
    actFor: row.act_for,
    requireDpop: row.require_dpop === 1,
    created: new Date(row.created_at_ms).toISOString(),
    updated: new Date(row.updated_at_ms).toISOString(),
  };
}

export interface IdentityServiceDeps {
  store: Store;
  roles: RoleCatalog;
  audit: AuditService;
  invalidator: Invalidator;
  clock: () => number;
}

export class IdentityService {
  constructor(private readonly deps: IdentityServiceDeps) {}

  /** Assigning roles needs identities:write and may not hand out more than the caller has. */
  private checkAssignable(caller: Principal, added: readonly string[]): void {
    assertMayAssignRoles(caller.authority, this.deps.roles.permissionsOf(added));
  }

  async list(
    caller: Principal,
    f: { search?: string; role?: string; enabled?: boolean; limit: number; offset: number },
  ) {
    caller.authority.require('identities:read');
    const { rows, total } = await listIdentities(this.deps.store.db, f);
    return { items: rows.map(identityView), total, limit: f.limit, offset: f.offset };
  }

  async get(caller: Principal, id: number): Promise<IdentityView> {
    if (id !== caller.identity.id) caller.authority.require('identities:read');
    const row = await findIdentityById(this.deps.store.db, id);
    if (!row) throw new AppError('not_found', 'The identity was not found.');
    return identityView(row);
  }

  async create(
    caller: Principal,
    input: IdentityInput & { name: string },
    meta: RequestMeta,
  ): Promise<IdentityView> {
    caller.authority.require('identities:write');
    const roles = this.deps.roles.canonicalList(input.roles ?? []);
    this.checkAssignable(caller, roles);
    if (await findIdentityByName(this.deps.store.db, input.name)) throw new AppError('identity_name_taken');
    const now = this.deps.clock();
    let row: IdentityRow;
    try {
      row = await insertIdentity(this.deps.store.db, {
        name: input.name,
        name_key: input.name.toLowerCase(),
        email: input.email ?? null,
        email_key: input.email ? input.email.toLowerCase() : null,
        first_name: input.firstName ?? null,
        last_name: input.lastName ?? null,
        source: input.source ?? 'local',
        roles: JSON.stringify(roles),
        enabled: input.enabled === false ? 0 : 1,
        password_hash: input.password ? await hashPassword(input.password) : null,
        act_for: input.actFor ? JSON.stringify([...new Set(input.actFor)]) : null,
        require_dpop: input.requireDpop ? 1 : 0,
        created_at_ms: now,
        updated_at_ms: now,
      });
    } catch (err) {
      if (await findIdentityByName(this.deps.store.db, input.name)) throw new AppError('identity_name_taken');
      throw err;
    }
    await this.deps.audit.record({
      action: 'identity.create',
      actor: caller.identity,
      targetType: 'identity',
      targetId: row.id,
      ip: meta.ip,
      details: { name: row.name, roles, enabled: row.enabled === 1 },
    });
    return identityView(row);
  }

  private async enabledAdministrators(): Promise<number[]> {
    // Identities are few compared with tokens; this runs only on role or state changes.
    const all = await listAllIdentities(this.deps.store.db);
    return all
      .filter((r) => r.enabled === 1 && r.roles.some((x) => roleKey(x) === 'administrator'))
      .map((r) => r.id);
  }

  async update(
    caller: Principal,
    id: number,
    input: IdentityInput,
    meta: RequestMeta,
  ): Promise<IdentityView> {
    caller.authority.require('identities:write');
    const row = await findIdentityById(this.deps.store.db, id);
    if (!row) throw new AppError('not_found', 'The identity was not found.');
    const patch: Parameters<typeof updateIdentity>[2] = { updated_at_ms: this.deps.clock() };
    const changed: string[] = [];
    const oldRoles = row.roles;
    let newRoles = oldRoles;
    if (input.name !== undefined && input.name !== row.name) {
      const other = await findIdentityByName(this.deps.store.db, input.name);
      if (other && other.id !== id) throw new AppError('identity_name_taken');
      patch.name = input.name;
      patch.name_key = input.name.toLowerCase();
      changed.push('name');
    }
    if (input.email !== undefined) {
      patch.email = input.email;
      patch.email_key = input.email ? input.email.toLowerCase() : null;
      changed.push('email');
    }
    if (input.firstName !== undefined) {
      patch.first_name = input.firstName;
      changed.push('firstName');
    }
    if (input.lastName !== undefined) {
      patch.last_name = input.lastName;
      changed.push('lastName');
    }
    if (input.roles !== undefined) {
      newRoles = this.deps.roles.canonicalList(input.roles);
      const oldKeys = new Set(oldRoles.map(roleKey));
      this.checkAssignable(
        caller,
        newRoles.filter((r) => !oldKeys.has(roleKey(r))),
      );
      patch.roles = JSON.stringify(newRoles);
      changed.push('roles');
    }
    if (input.enabled !== undefined) {
      patch.enabled = input.enabled ? 1 : 0;
      changed.push('enabled');
    }
    if (input.password !== undefined) {
      patch.password_hash = input.password ? await hashPassword(input.password) : null;
      changed.push('password');
    }
    if (input.actFor !== undefined) {
      patch.act_for = input.actFor ? JSON.stringify([...new Set(input.actFor)]) : null;
      changed.push('actFor');
    }
    if (input.requireDpop !== undefined) {
      patch.require_dpop = input.requireDpop ? 1 : 0;
      changed.push('requireDpop');
    }
    const staysAdmin =
      (patch.enabled ?? row.enabled) === 1 && newRoles.some((r) => roleKey(r) === 'administrator');
    if (!staysAdmin) {
      const admins = await this.enabledAdministrators();
      if (admins.length === 1 && admins[0] === id) throw new AppError('last_administrator');
    }
    const updated = (await updateIdentity(this.deps.store.db, id, patch)) ?? row;
    await this.deps.invalidator.identity(id);
    if (patch.enabled === 0 || patch.password_hash !== undefined) {
      // Disabling or resetting the password ends the identity's sessions everywhere.
      for (const h of await deleteSessionsOfIdentity(this.deps.store.db, id))
        await this.deps.invalidator.session(h);
    }
    await this.deps.audit.record({
      action: changed.includes('roles') ? 'identity.roles_change' : 'identity.update',
      actor: caller.identity,
      targetType: 'identity',
      targetId: id,
      ip: meta.ip,
      details: {
        fields: changed,
        ...(changed.includes('roles') ? { from: oldRoles, to: newRoles } : {}),
        ...(changed.includes('enabled') ? { enabled: patch.enabled === 1 } : {}),
      },
    });
    return identityView(updated);
  }

  async remove(caller: Principal, id: number, meta: RequestMeta): Promise<void> {
    caller.authority.require('identities:write');
    if (id === caller.identity.id) throw new AppError('self_delete');
    const row = await findIdentityById(this.deps.store.db, id);
    if (!row) throw new AppError('not_found', 'The identity was not found.');
    const admins = await this.enabledAdministrators();
    if (admins.length === 1 && admins[0] === id) throw new AppError('last_administrator');
    const sessions = await deleteSessionsOfIdentity(this.deps.store.db, id);
    // Tokens and sessions go with the identity (ON DELETE CASCADE); the audit log keeps the record.
    await deleteIdentity(this.deps.store.db, id);
    await this.deps.invalidator.identity(id);
    for (const h of sessions) await this.deps.invalidator.session(h);
    await this.deps.audit.record({
      action: 'identity.delete',
      actor: caller.identity,
      targetType: 'identity',
      targetId: id,
      ip: meta.ip,
      details: { name: row.name },
    });
  }
}
