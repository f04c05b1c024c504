/**
 * Roles, permissions and the effective-permission rule of SPEC §1:
 * effective = permissions(token roles) ∩ permissions(identity's current roles).
 */

/** The management API's own permissions. */
export const MANAGEMENT_PERMISSIONS = [
  'tokens:grant',
  'tokens:grant-any',
  'tokens:read',
  'tokens:read-any',
  'tokens:revoke',
  'tokens:revoke-any',
  'tokens:exchange',
  'tokens:import',
  'identities:read',
  'identities:write',
  'roles:write',
  'sessions:read',
  'sessions:revoke',
  'audit:read',
  'keys:rotate',
] as const;
export type ManagementPermission = (typeof MANAGEMENT_PERMISSIONS)[number];

const MANAGEMENT_SET: ReadonlySet<string> = new Set(MANAGEMENT_PERMISSIONS);

/** Permission strings: `resource:action`, lowercase letters, digits, `-`, `_`, `.`; `*` wildcards. */
export const PERMISSION_PATTERN = /^(\*|[a-z0-9][a-z0-9._-]{0,62}:(\*|[a-z0-9][a-z0-9._*-]{0,62}))$/;

export function isValidPermission(value: string): boolean {
  return PERMISSION_PATTERN.test(value);
}

export function isManagementPermission(value: string): boolean {
  return MANAGEMENT_SET.has(value);
}

/**
 * Grants of a built-in role. Besides literal permissions a grant may be:
 * `*` every permission; `custom:*` every permission that is not the management API's own;
 * `custom:*:read` every custom permission whose action is `read`.
 */
export const BUILTIN_ROLES = {
  Administrator: {
    description: 'Every permission, including security administration.',
    grants: ['*'],
  },
  Operator: {
    description:
      'Manages its own tokens, reads identities and roles, and reads and uses everything that is not security administration.',
    grants: ['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read', 'custom:*'],
  },
  Reader: {
    description: 'Read-only: its own tokens, identities and roles, and custom read permissions.',
    grants: ['tokens:read', 'identities:read', 'custom:*:read'],
  },
} as const;
export type BuiltinRoleName = keyof typeof BUILTIN_ROLES;

/** The grants of each built-in role (they never change, so a service need not ask for them). */
export const BUILTIN_ROLE_GRANTS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(BUILTIN_ROLES).map(([name, role]) => [name, role.grants]),
);
export const BUILTIN_ROLE_NAMES = Object.keys(BUILTIN_ROLES) as BuiltinRoleName[];

export function isBuiltinRole(name: string): name is BuiltinRoleName {
  return Object.hasOwn(BUILTIN_ROLES, name);
}

/** Returns the canonical built-in role name for a case-insensitive match, or undefined. */
export function builtinRoleName(name: string): BuiltinRoleName | undefined {
  const lower = name.toLowerCase();
  return BUILTIN_ROLE_NAMES.find((n) => n.toLowerCase() === lower);
}

function grantMatches(grant: string, permission: string): boolean {
  if (grant === '*' || grant === permission) return true;
  if (grant === 'custom:*') return !MANAGEMENT_SET.has(permission);
  if (grant === 'custom:*:read') return !MANAGEMENT_SET.has(permission) && permission.endsWith(':read');
  if (grant.endsWith('*')) return permission.startsWith(grant.slice(0, -1));
  return false;
}

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
  return grantMatches(grant, permission);
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
  for (const g of grants) if (grantMatches(g, permission)) return true;
  return false;
}

/** Whether grant `a` allows everything grant `b` allows (a conservative answer is fine). */
function grantCovers(a: string, b: string): boolean {
  if (a === '*' || a === b) return true;
  if (b === '*' || b === 'custom:*') return false;
  const bIsPattern = b.includes('*');
  if (a === 'custom:*') {
    if (b === 'custom:*:read') return true;
    return bIsPattern ? !managementPrefix(b.slice(0, -1)) : !MANAGEMENT_SET.has(b);
  }
  if (a === 'custom:*:read') return !bIsPattern && grantMatches(a, b);
  if (b === 'custom:*:read') return false;
  if (a.endsWith('*')) return b.startsWith(a.slice(0, -1));
  return false;
}

function managementPrefix(prefix: string): boolean {
  return MANAGEMENT_PERMISSIONS.some((p) => p.startsWith(prefix));
}

/** A set of grants, answering `has(permission)`. Immutable. */
export class PermissionSet {
  readonly grants: readonly string[];
  private readonly literal: ReadonlySet<string>;
  private readonly patterns: readonly string[];

  constructor(grants: Iterable<string>) {
    const unique = [...new Set(grants)].sort();
    this.grants = unique;
    this.literal = new Set(unique.filter((g) => !g.includes('*')));
    this.patterns = unique.filter((g) => g.includes('*'));
  }

  has(permission: string): boolean {
    if (this.literal.has(permission)) return true;
    for (const p of this.patterns) if (grantMatches(p, permission)) return true;
    return false;
  }

  /** Whether this set allows everything `other` allows. */
  covers(other: PermissionSet): boolean {
    return other.grants.every((b) => this.grants.some((a) => grantCovers(a, b)));
  }

  /** The management permissions this set holds, for display. */
  managementPermissions(): string[] {
    return MANAGEMENT_PERMISSIONS.filter((p) => this.has(p));
  }

  /** What both sets allow, as one set (never more than both; see intersectGrants). */
  intersect(other: PermissionSet): PermissionSet {
    if (this.grants.length === 1 && this.grants[0] === '*') return other;
    if (other.grants.length === 1 && other.grants[0] === '*') return this;
    return new PermissionSet(intersectGrants(this.grants, other.grants));
  }

  static readonly EMPTY = new PermissionSet([]);
  static readonly ALL = new PermissionSet(['*']);
}

/**
 * The grants allowing what one grant and another both allow. Exact wherever the grant grammar
 * can say it; where it cannot (`custom:*` with a prefix that some management permission starts
 * with, `custom:*:read` with a prefix of resource names), the answer is empty: a ceiling built
 * from it may hold less than the two did, never more.
 */
function intersectGrant(a: string, b: string): string[] {
  if (grantCovers(a, b)) return [b];
  if (grantCovers(b, a)) return [a];
  // A literal is covered by every grant that matches it, so an uncovered literal is disjoint.
  if (!a.includes('*') || !b.includes('*')) return [];
  const [read, prefix] = a === 'custom:*:read' ? [a, b] : b === 'custom:*:read' ? [b, a] : [null, null];
  if (read !== null && prefix !== null && prefix !== 'custom:*') {
    // `res:ac*` ∩ "any non-management `…:read`" is `res:read` when `read` starts with `ac`.
    const body = prefix.slice(0, -1);
    const colon = body.indexOf(':');
    if (colon <= 0) return [];
    const permission = `${body.slice(0, colon)}:read`;
    return 'read'.startsWith(body.slice(colon + 1)) &&
      isValidPermission(permission) &&
      !MANAGEMENT_SET.has(permission)
      ? [permission]
      : [];
  }
  // Two prefixes neither of which extends the other are disjoint; `custom:*` with a prefix that
  // reaches into the management permissions has no exact form.
  return [];
}

/**
 * What two grant lists both allow, as one list without redundant grants (a grant another one
 * covers is dropped). Sound: every permission the result allows, both lists allow.
 */
export function intersectGrants(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) for (const y of b) for (const g of intersectGrant(x, y)) out.add(g);
  return minimalGrants([...out]);
}

/** The grants of a list that no other grant of it covers (the same permissions, fewer grants). */
export function minimalGrants(grants: readonly string[]): string[] {
  const unique = [...new Set(grants)].sort();
  return unique.filter((g) => !unique.some((o) => o !== g && grantCovers(o, g)));
}

/**
 * Permissions held only when every one of several sets holds them: the effective permissions
 * of a request (token roles ∩ identity's current roles ∩ any further limit on the token).
 */
export class AllOf {
  readonly sets: readonly PermissionSet[];
  constructor(sets: ReadonlyArray<PermissionSet | AllOf>) {
    this.sets = sets.flatMap((s) => (s instanceof AllOf ? s.sets : [s]));
  }
  has(permission: string): boolean {
    for (const s of this.sets) if (!s.has(permission)) return false;
    return true;
  }
  /** Whether every set allows everything `other` allows. */
  covers(other: PermissionSet): boolean {
    return this.sets.every((s) => s.covers(other));
  }
  /** The sets as one (sound: see intersectGrants). */
  flatten(): PermissionSet {
    return this.sets.reduce((acc, s) => acc.intersect(s), PermissionSet.ALL);
  }
}

export interface PermissionChecker {
  has(permission: string): boolean;
  covers(other: PermissionSet): boolean;
}

/** Union of the grants of several roles. `lookup` returns a custom role's grants or undefined. */
export function permissionsOfRoles(
  roles: readonly string[],
  lookup: (name: string) => readonly string[] | undefined,
): PermissionSet {
  const grants: string[] = [];
  for (const role of roles) {
    const builtin = builtinRoleName(role);
    if (builtin) grants.push(...BUILTIN_ROLES[builtin].grants);
    else grants.push(...(lookup(role) ?? []));
  }
  return new PermissionSet(grants);
}

/** Role names are case-insensitive; this is the form compared and indexed. */
export function roleKey(name: string): string {
  return name.toLowerCase();
}

export const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
