/**
 * Permission grants as Tokenward evaluates them, so a service can decide offline from a
 * token's roles. A grant is a permission string (`billing:read`) or a pattern:
 * `*` every permission; `custom:*` every permission that is not the management API's own;
 * `custom:*:read` every such permission whose action is `read`; `prefix*` a prefix match.
 */

/** The management API's own permissions (what `custom:*` excludes). */
export const MANAGEMENT_PERMISSIONS: readonly string[] = [
  'tokens:grant',
  'tokens:grant-any',
  'tokens:read',
  'tokens:read-any',
  'tokens:revoke',
  'tokens:revoke-any',
  'identities:read',
  'identities:write',
  'roles:write',
  'sessions:read',
  'sessions:revoke',
  'audit:read',
  'keys:rotate',
];

const MANAGEMENT = new Set(MANAGEMENT_PERMISSIONS);

/**
 * Whether one grant allows a permission.
 *
 * @example
 * ```ts
 * grantAllows('custom:*:read', 'billing:read'); // true
 * grantAllows('custom:*', 'keys:rotate');       // false: a management permission
 * ```
 */
export function grantAllows(grant: string, permission: string): boolean {
  if (grant === '*' || grant === permission) return true;
  if (grant === 'custom:*') return !MANAGEMENT.has(permission);
  if (grant === 'custom:*:read') return !MANAGEMENT.has(permission) && permission.endsWith(':read');
  if (grant.endsWith('*')) return permission.startsWith(grant.slice(0, -1));
  return false;
}

/**
 * Whether any of the grants allows the permission.
 *
 * @example
 * ```ts
 * grantsAllow(['tokens:read', 'custom:*'], 'billing:write'); // true
 * ```
 */
export function grantsAllow(grants: readonly string[], permission: string): boolean {
  for (const g of grants) if (grantAllows(g, permission)) return true;
  return false;
}

/**
 * Grants of Tokenward's built-in roles (they cannot change, so a service need not ask).
 *
 * @example
 * ```ts
 * BUILTIN_ROLE_GRANTS.Reader; // ['tokens:read', 'identities:read', 'custom:*:read']
 * ```
 */
export const BUILTIN_ROLE_GRANTS: Readonly<Record<string, readonly string[]>> = {
  Administrator: ['*'],
  Operator: ['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read', 'custom:*'],
  Reader: ['tokens:read', 'identities:read', 'custom:*:read'],
};
