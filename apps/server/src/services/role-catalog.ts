import {
  AppError,
  BUILTIN_ROLE_NAMES,
  BUILTIN_ROLES,
  builtinRoleName,
  type PermissionSet,
  permissionsOfRoles,
  roleKey,
} from '@tokenward/core';
import { listRoles, type Store } from '@tokenward/store';

export interface RoleInfo {
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
  /** Tokens minted for an identity holding it need a DPoP proof. */
  requireDpop: boolean;
}

/**
 * Every role definition in memory: the verify path resolves permissions without a store read.
 * Reloaded when any instance changes a role (invalidation "r").
 */
export class RoleCatalog {
  private custom = new Map<string, RoleInfo>();
  private sets = new Map<string, PermissionSet>();

  constructor(private readonly store: Store) {}

  async reload(): Promise<void> {
    const rows = await listRoles(this.store.db);
    const next = new Map<string, RoleInfo>();
    for (const r of rows) {
      next.set(r.name_key, {
        name: r.name,
        description: r.description,
        permissions: r.permissions,
        builtin: false,
        requireDpop: r.require_dpop === 1,
      });
    }
    this.custom = next;
    this.sets = new Map();
  }

  /** Whether any of these roles requires DPoP at the token endpoint. */
  requireDpop(roles: readonly string[]): boolean {
    for (const r of roles) if (this.custom.get(roleKey(r))?.requireDpop) return true;
    return false;
  }

  /** Canonical name of a role, or undefined when no such role exists. */
  canonical(name: string): string | undefined {
    return builtinRoleName(name) ?? this.custom.get(roleKey(name))?.name;
  }

  /** Canonical names of a list of roles, without repeats; 400 when one does not exist. */
  canonicalList(names: readonly string[]): string[] {
    const out: string[] = [];
    for (const n of names) {
      const c = this.canonical(n.trim());
      if (!c) throw new AppError('unknown_role', `The role "${n.slice(0, 64)}" does not exist.`);
      if (!out.includes(c)) out.push(c);
    }
    return out;
  }

  get(name: string): RoleInfo | undefined {
    const b = builtinRoleName(name);
    if (b) {
      return {
        name: b,
        description: BUILTIN_ROLES[b].description,
        permissions: [...BUILTIN_ROLES[b].grants],
        builtin: true,
        requireDpop: false,
      };
    }
    return this.custom.get(roleKey(name));
  }

  all(): RoleInfo[] {
    const builtins = BUILTIN_ROLE_NAMES.map((n) => this.get(n)!);
    return [...builtins, ...[...this.custom.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  /**
   * The permission set of a list of roles, shared by every cached token and identity with the
   * same roles (a few distinct lists for up to 100 000 cache entries), rebuilt after a reload.
   */
  permissionsOf(roles: readonly string[]): PermissionSet {
    const key = roles.join('\u0000');
    let set = this.sets.get(key);
    if (!set) {
      set = permissionsOfRoles(roles, (name) => this.custom.get(roleKey(name))?.permissions);
      if (this.sets.size >= 10_000) this.sets.clear();
      this.sets.set(key, set);
    }
    return set;
  }
}
