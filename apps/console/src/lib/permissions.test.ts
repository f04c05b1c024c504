import { describe, expect, it } from 'vitest';
import { MANAGEMENT_PERMISSIONS, PERMISSION_PATTERN, permissionsFromRoles } from './permissions';

describe('permissionsFromRoles (used when the server has no GET /me)', () => {
  it('Administrator holds every management permission', () => {
    expect([...permissionsFromRoles(['Administrator'])].sort()).toEqual([...MANAGEMENT_PERMISSIONS].sort());
  });

  it('Operator manages its own tokens and reads identities; Reader only reads', () => {
    expect([...permissionsFromRoles(['operator'])].sort()).toEqual([
      'identities:read',
      'tokens:grant',
      'tokens:read',
      'tokens:revoke',
    ]);
    expect([...permissionsFromRoles(['Reader'])].sort()).toEqual(['identities:read', 'tokens:read']);
  });

  it('custom roles add their literal and wildcard management permissions, not their custom ones', () => {
    const custom = [
      {
        name: 'Auditor',
        description: '',
        permissions: ['audit:read', 'sessions:*', 'billing:read'],
        builtin: false,
        requireDpop: false,
      },
    ];
    expect([...permissionsFromRoles(['Reader', 'auditor'], custom)].sort()).toEqual([
      'audit:read',
      'identities:read',
      'sessions:read',
      'sessions:revoke',
      'tokens:read',
    ]);
  });

  it('an unknown role grants nothing', () => {
    expect(permissionsFromRoles(['Ghost']).size).toBe(0);
  });
});

describe('PERMISSION_PATTERN', () => {
  it('accepts resource:action strings and wildcards, and refuses the rest', () => {
    for (const ok of ['billing:read', 'orders:*', 'tokens:grant-any', '*'])
      expect(PERMISSION_PATTERN.test(ok)).toBe(true);
    for (const bad of ['Billing:Read', 'billing', 'billing read', ':read', 'a:b:c d']) {
      expect(PERMISSION_PATTERN.test(bad)).toBe(false);
    }
  });
});
