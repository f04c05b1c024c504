import {
  PermissionSet,
  parseEndpointPatterns,
  endpointAllowed as serverEndpointAllowed,
} from '@tokenward/core';
import { describe, expect, it } from 'vitest';
import { endpointAllowed } from './endpoints.js';
import { BUILTIN_ROLE_GRANTS, grantsAllow, MANAGEMENT_PERMISSIONS } from './permissions.js';

// The client decides offline what the server decides online, with @tokenward/core's own rules
// (the published SDK depends on the published core): these guard the re-exports.
describe('offline permission and endpoint rules match the server', () => {
  const permissions = [
    ...MANAGEMENT_PERMISSIONS,
    'billing:read',
    'billing:write',
    'billing:refund',
    'reports:read',
    'x:y',
  ];
  const grantSets = [
    ...Object.values(BUILTIN_ROLE_GRANTS),
    ['billing:*'],
    ['billing:read', 'tokens:read'],
    ['custom:*:read'],
    ['tokens:*'],
    [],
  ];

  it('the management permission list is the server one', async () => {
    const core = await import('@tokenward/core');
    expect([...MANAGEMENT_PERMISSIONS]).toEqual([...core.MANAGEMENT_PERMISSIONS]);
    for (const [name, role] of Object.entries(core.BUILTIN_ROLES)) {
      expect(BUILTIN_ROLE_GRANTS[name]).toEqual([...role.grants]);
    }
  });

  it('grantsAllow answers as the server PermissionSet for every grant set and permission', () => {
    for (const grants of grantSets) {
      const server = new PermissionSet(grants);
      for (const p of permissions) expect(grantsAllow(grants, p), `${grants} → ${p}`).toBe(server.has(p));
    }
  });

  it('endpointAllowed answers as the server for allow-lists', () => {
    const lists = [['GET /invoices/*'], ['* /scim/v2/*'], ['POST /invoices', 'GET /a/*/b'], ['/health']];
    const requests: Array<[string, string]> = [
      ['GET', '/invoices'],
      ['GET', '/invoices/42?x=1'],
      ['HEAD', '/invoices/42'],
      ['POST', '/invoices'],
      ['POST', '/invoices/'],
      ['GET', '/a/x/b'],
      ['GET', '/a/x/y/b'],
      ['DELETE', '/scim/v2/Users/1'],
      ['GET', '/health'],
    ];
    for (const list of lists) {
      const server = parseEndpointPatterns(list)!;
      for (const [m, u] of requests) {
        expect(endpointAllowed(list, m, u), `${list} ${m} ${u}`).toBe(serverEndpointAllowed(server, m, u));
      }
    }
  });
});
