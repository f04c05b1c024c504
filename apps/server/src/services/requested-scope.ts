import { AppError, isValidPermission } from '@tokenward/core';
import type { RoleCatalog } from './role-catalog.js';

/** A token request's `scope`, read: the role names and the permissions it asks to narrow to. */
export interface RequestedScope {
  /** The scope strings asked for, each once (roles by their canonical names), or null: none asked. */
  scopes: string[] | null;
  /** Items that are roles (planMint `scopeRoles`). */
  scopeRoles: string[];
  /** Items that are permissions (planMint `narrowTo`). */
  permissions: string[];
}

/**
 * Reads the space-separated `scope` of a token request (exchange, client_credentials): each
 * item a role name or a permission without wildcard, else 400 invalid_scope. Blank or absent:
 * nothing asked (RFC 6749 §3.1).
 */
export function readScope(scope: string | undefined, roles: Pick<RoleCatalog, 'canonical'>): RequestedScope {
  const scopeRoles: string[] = [];
  const permissions: string[] = [];
  for (const item of new Set((scope ?? '').split(/[ \t\r\n]+/).filter(Boolean))) {
    const role = item.includes(':') ? undefined : roles.canonical(item);
    if (role) scopeRoles.push(role);
    else if (isValidPermission(item) && !item.includes('*')) permissions.push(item);
    else throw new AppError('invalid_scope', `"${item.slice(0, 64)}" is neither a role nor a permission.`);
  }
  const scopes = [...new Set([...scopeRoles, ...permissions])];
  return { scopes: scopes.length > 0 ? scopes : null, scopeRoles, permissions };
}

/**
 * Runs a mint plan for a request that asked for `scope`: a scope beyond what the grant holds
 * (planMint's role_not_held) is 400 invalid_scope, as RFC 6749 §5.2 has it. Without a scope
 * asked, errors pass unchanged.
 */
export function planForScope<T>(asked: RequestedScope, plan: () => T): T {
  try {
    return plan();
  } catch (err) {
    if (asked.scopes && err instanceof AppError && err.code === 'role_not_held') {
      throw new AppError('invalid_scope', err.message, { cause: err });
    }
    throw err;
  }
}
