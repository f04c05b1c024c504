import { describe, expect, it } from 'vitest';
import { AllOf, MANAGEMENT_PERMISSIONS, PermissionSet, permissionsOfRoles } from './permissions.js';

const custom: Record<string, string[]> = {
  Billing: ['billing:read', 'billing:write'],
  TokenAdmin: ['tokens:grant-any'],
};
const perms = (...roles: string[]) => permissionsOfRoles(roles, (n) => custom[n]);

describe('built-in roles', () => {
  it('Administrator holds every permission, custom ones included', () => {
    for (const p of [...MANAGEMENT_PERMISSIONS, 'billing:read', 'anything:else'])
      expect(perms('Administrator').has(p)).toBe(true);
  });

  it('Operator manages its own tokens and reads, but holds no security administration', () => {
    const op = perms('Operator');
    for (const p of ['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read', 'billing:write'])
      expect(op.has(p)).toBe(true);
    for (const p of [
      'tokens:grant-any',
      'tokens:read-any',
      'tokens:revoke-any',
      'tokens:exchange',
      'tokens:import',
      'identities:write',
      'roles:write',
      'sessions:read',
      'sessions:revoke',
      'audit:read',
      'keys:rotate',
    ]) {
      expect(op.has(p), p).toBe(false);
    }
  });

  it('Reader reads only', () => {
    const r = perms('Reader');
    expect(r.has('tokens:read')).toBe(true);
    expect(r.has('billing:read')).toBe(true);
    expect(r.has('billing:write')).toBe(false);
    expect(r.has('tokens:grant')).toBe(false);
    expect(r.has('audit:read')).toBe(false);
    expect(r.has('sessions:read')).toBe(false);
  });

  it('role names are case-insensitive', () => {
    expect(perms('administrator').has('keys:rotate')).toBe(true);
  });
});

describe('effective permissions', () => {
  it('are the intersection of the token roles and the identity roles', () => {
    const eff = new AllOf([perms('Administrator'), perms('Reader')]);
    expect(eff.has('tokens:read')).toBe(true);
    expect(eff.has('tokens:grant')).toBe(false);
  });
});

describe('covers', () => {
  it('Administrator covers everything, Operator covers Reader and custom roles, not the reverse', () => {
    expect(perms('Administrator').covers(perms('Operator', 'Billing'))).toBe(true);
    expect(perms('Operator').covers(perms('Reader'))).toBe(true);
    expect(perms('Operator').covers(perms('Billing'))).toBe(true);
    expect(perms('Reader').covers(perms('Operator'))).toBe(false);
    expect(perms('Operator').covers(perms('Administrator'))).toBe(false);
    expect(perms('TokenAdmin').covers(perms('Administrator'))).toBe(false);
    expect(perms('Billing').covers(perms('Reader'))).toBe(false);
    expect(new PermissionSet(['billing:*']).covers(perms('Billing'))).toBe(true);
    expect(perms('Operator').covers(new PermissionSet(['tokens:*']))).toBe(false);
  });
});
