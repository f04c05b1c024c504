import type { Role } from '@tokenward/client/api';

/** The management API's own permissions (SPEC §1), grouped for the role editor. */
export const PERMISSION_GROUPS: ReadonlyArray<{
  label: string;
  permissions: ReadonlyArray<[string, string]>;
}> = [
  {
    label: 'Tokens',
    permissions: [
      ['tokens:grant', 'Grant and edit own tokens'],
      ['tokens:grant-any', 'Grant tokens to any identity'],
      ['tokens:read', 'See own tokens'],
      ['tokens:read-any', "See everyone's tokens"],
      ['tokens:revoke', 'Revoke own tokens'],
      ['tokens:revoke-any', "Revoke anyone's tokens"],
      ['tokens:exchange', 'Act for other identities (token exchange)'],
      ['tokens:import', 'Import token values and hashes'],
    ],
  },
  {
    label: 'Identities and roles',
    permissions: [
      ['identities:read', 'See identities and roles'],
      ['identities:write', 'Create, change and delete identities'],
      ['roles:write', 'Create, change and delete custom roles'],
    ],
  },
  {
    label: 'Sessions, audit and keys',
    permissions: [
      ['sessions:read', "See everyone's sessions"],
      ['sessions:revoke', "End anyone's session"],
      ['audit:read', 'Read the audit log'],
      ['keys:rotate', 'Rotate signing keys'],
    ],
  },
];

export const MANAGEMENT_PERMISSIONS: readonly string[] = PERMISSION_GROUPS.flatMap((g) =>
  g.permissions.map(([p]) => p),
);

const MANAGEMENT_SET = new Set(MANAGEMENT_PERMISSIONS);

/** A permission string: `resource:action`, lowercase, `*` wildcards (mirrors the server's rule). */
export const PERMISSION_PATTERN = /^(\*|[a-z0-9][a-z0-9._-]{0,62}:(\*|[a-z0-9][a-z0-9._*-]{0,62}))$/;

/**
 * Grants of the built-in roles, used only when the server cannot say itself what the caller may
 * do (GET /api/v1/me): the console then derives it from the caller's roles.
 */
const BUILTIN_GRANTS: Record<string, readonly string[]> = {
  administrator: ['*'],
  operator: ['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read'],
  reader: ['tokens:read', 'identities:read'],
};

function grantMatches(grant: string, permission: string): boolean {
  if (grant === '*' || grant === permission) return true;
  if (grant === 'custom:*' || grant === 'custom:*:read') return false;
  if (grant.endsWith('*')) return permission.startsWith(grant.slice(0, -1));
  return false;
}

/** The management permissions that a set of roles grants. */
export function permissionsFromRoles(
  roles: readonly string[],
  customRoles: readonly Role[] = [],
): Set<string> {
  const grants: string[] = [];
  for (const name of roles) {
    const builtin = BUILTIN_GRANTS[name.toLowerCase()];
    if (builtin) {
      grants.push(...builtin);
      continue;
    }
    const custom = customRoles.find((r) => r.name.toLowerCase() === name.toLowerCase());
    if (custom) grants.push(...custom.permissions);
  }
  return new Set(MANAGEMENT_PERMISSIONS.filter((p) => grants.some((g) => grantMatches(g, p))));
}

export function isManagementPermission(permission: string): boolean {
  return MANAGEMENT_SET.has(permission);
}
