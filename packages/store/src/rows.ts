import type {
  AuditEventRow,
  IdentityRow,
  RoleRow,
  SigningKeyRow,
  StoredAuditEventRow,
  StoredIdentityRow,
  StoredRoleRow,
  StoredSigningKeyRow,
  StoredTokenRow,
  TokenRow,
} from './schema.js';

/*
 * The one place where JSON columns become values: every repository that returns a row passes
 * it through one of these. The columns are written by this package only (JSON.stringify of
 * arrays and objects), so a parse cannot meet anything else.
 */

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

function jsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export function identityRow(r: StoredIdentityRow): IdentityRow {
  return { ...r, roles: json<string[]>(r.roles), act_for: jsonOrNull<number[]>(r.act_for) };
}

export function roleRow(r: StoredRoleRow): RoleRow {
  return { ...r, permissions: json<string[]>(r.permissions) };
}

export function tokenRow<R extends StoredTokenRow>(
  r: R,
): Omit<R, 'roles' | 'api_endpoints' | 'permissions' | 'ceiling' | 'act' | 'scopes'> & TokenRow {
  return {
    ...r,
    roles: json<string[]>(r.roles),
    api_endpoints: jsonOrNull<string[]>(r.api_endpoints),
    permissions: jsonOrNull<string[]>(r.permissions),
    ceiling: jsonOrNull<string[]>(r.ceiling),
    act: jsonOrNull<Record<string, unknown>>(r.act),
    scopes: jsonOrNull<string[]>(r.scopes),
  };
}

export function auditEventRow(r: StoredAuditEventRow): AuditEventRow {
  return { ...r, details: jsonOrNull<Record<string, unknown>>(r.details) };
}

export function signingKeyRow(r: StoredSigningKeyRow): SigningKeyRow {
  return {
    ...r,
    public_jwk: json<Record<string, unknown>>(r.public_jwk),
    active_from_ms: r.active_from_ms ?? r.created_at_ms,
  };
}

/** Maps a row that may be missing. */
export function maybe<S, R>(row: S | undefined, map: (row: S) => R): R | undefined {
  return row === undefined ? undefined : map(row);
}
