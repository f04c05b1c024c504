import { AppError, isValidPermission } from '@tokenward/core';
import type { RoleCatalog } from './role-catalog.js';

/** A `scope` parameter (RFC 6749 §3.3) read as Tokenward's: role names and permissions. */
export interface ParsedScope {
  /** Canonical role names. */
  roles: string[];
  permissions: string[];
}

/**
 * Splits a space-separated `scope` into role names (canonical) and permissions. Anything else
 * (an unknown role, a wildcard, a malformed permission) is 400 invalid_scope. Whether the
 * credential holds them is the authority's to decide (planMint).
 */
export function parseScope(roles: Pick<RoleCatalog, 'canonical'>, scope: string | undefined): ParsedScope {
  const out: ParsedScope = { roles: [], permissions: [] };
  for (const item of (scope ?? '').split(/\s+/).filter(Boolean)) {
    const role = item.includes(':') ? undefined : roles.canonical(item);
    if (role) out.roles.push(role);
    else if (isValidPermission(item) && !item.includes('*')) out.permissions.push(item);
    else throw new AppError('invalid_scope', `"${item.slice(0, 64)}" is neither a role nor a permission.`);
  }
  return out;
}
