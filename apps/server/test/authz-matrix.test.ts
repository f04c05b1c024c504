import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  expectStatus,
  exported,
  freshIdentity,
  freshRole,
  grantRefusedLeavesNoToken,
  otherSession,
  personalTokenOf,
  type Row,
  row,
  runMatrix,
  stays,
  tokenOf,
} from './authz-matrix-kit.js';
import { ADMIN_PASSWORD, http } from './helpers.js';
import { uniqueName } from './test-kit.js';

/**
 * Every route × every kind of caller → the status it must get (SPEC §1 roles, §3, §4).
 * Each cell is its own test with its own fresh target ("own" = the caller's identity, "another"
 * = a Reader identity), and a refused write is followed by a check that nothing changed.
 * Callers: Administrator, Operator and Reader tokens; a token of the custom role Billing
 * (billing:read, tokens:read); no credential; a revoked and an expired Administrator token.
 */
// biome-ignore format: the table reads best with one row per line.
const MATRIX: Row[] = [
  //   method    route                                          Admin Oper Read Bill none rvkd expd
  row('POST',   '/signin',                                      [200, 200, 200, 200, 200, 200, 200], async () => ({ path: '/api/v1/signin', json: { username: 'admin', password: ADMIN_PASSWORD } })),
  row('POST',   '/signout',                                     [200, 200, 200, 200, 200, 401, 401], async () => ({ path: '/api/v1/signout' })),
  row('GET',    '/usersession',                                 [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v1/usersession' })),
  row('DELETE', "/usersession/{id} (another identity's)",       [204, 404, 404, 404, 401, 401, 401], async (c) => {
    const id = await otherSession(c);
    return {
      path: `/api/v1/usersession/${id}`,
      unchanged: async () => {
        const list = await expectStatus(c, 'GET', `/api/v1/usersession?identityId=${c.other.id}&limit=500`, 200);
        expect(list.body.items.map((s: { id: number }) => s.id)).toContain(id);
      },
    };
  }),
  row('GET',    '/apptoken/grant',                              [200, 200, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.self.id, '/api/v1/apptoken/grant')),
  row('POST',   '/apptoken/grant',                              [200, 200, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.self.id, '/api/v1/apptoken/grant', {})),
  row('GET',    '/apptoken/grant/{identityId} (another)',       [200, 403, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.other.id, `/api/v1/apptoken/grant/${c.other.id}`)),
  row('POST',   '/apptoken/grant/{identityId} (another)',       [200, 403, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.other.id, `/api/v1/apptoken/grant/${c.other.id}`, {})),
  // Importing needs tokens:import (SPEC §10: Administrator only by default).
  row('POST',   '/apptoken (import for oneself)',               [200, 403, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.self.id, '/api/v1/apptoken', { token: `legacy-value-${randomBytes(24).toString('base64url')}`, identity: { id: c.self.id } })),
  row('POST',   '/apptoken (import for another identity)',      [200, 403, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.other.id, '/api/v1/apptoken', { token: uniqueName('legacy-value-0123456789'), identity: { name: c.other.name } })),
  row('GET',    '/apptoken',                                    [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v1/apptoken' })),
  row('GET',    '/apptoken/{id} (own token)',                   [200, 200, 200, 200, 401, 401, 401], async (c) => ({ path: `/api/v1/apptoken/${await tokenOf(c, c.self.id)}` })),
  row('GET',    "/apptoken/{id} (another identity's token)",    [200, 404, 404, 404, 401, 401, 401], async (c) => ({ path: `/api/v1/apptoken/${await tokenOf(c, c.other.id)}` })),
  row('PATCH',  '/apptoken/{id} (own token)',                   [200, 200, 403, 403, 401, 401, 401], async (c) => {
    const id = await tokenOf(c, c.self.id);
    return { path: `/api/v1/apptoken/${id}`, json: { name: uniqueName('renamed') }, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('PATCH',  "/apptoken/{id} (another identity's token)",    [200, 404, 404, 404, 401, 401, 401], async (c) => {
    const id = await tokenOf(c, c.other.id);
    return { path: `/api/v1/apptoken/${id}`, json: { name: uniqueName('renamed') }, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('DELETE', '/apptoken/{id} (own token)',                   [200, 200, 403, 403, 401, 401, 401], async (c) => {
    const id = await tokenOf(c, c.self.id);
    return { path: `/api/v1/apptoken/${id}`, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('DELETE', "/apptoken/{id} (another identity's token)",    [200, 404, 404, 404, 401, 401, 401], async (c) => {
    const id = await tokenOf(c, c.other.id);
    return { path: `/api/v1/apptoken/${id}`, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('GET',    '/identity',                                    [200, 200, 200, 403, 401, 401, 401], async () => ({ path: '/api/v1/identity' })),
  row('POST',   '/identity',                                    [201, 403, 403, 403, 401, 401, 401], async (c) => {
    const name = uniqueName('new');
    return {
      path: '/api/v1/identity',
      json: { name, roles: [] },
      unchanged: async () => expect((await expectStatus(c, 'GET', `/api/v1/identity?search=${name}`, 200)).body.total).toBe(0),
    };
  }),
  row('GET',    '/identity/{id} (own)',                         [200, 200, 200, 200, 401, 401, 401], async (c) => ({ path: `/api/v1/identity/${c.self.id}` })),
  row('GET',    '/identity/{id} (another)',                     [200, 200, 200, 403, 401, 401, 401], async (c) => ({ path: `/api/v1/identity/${c.other.id}` })),
  row('PUT',    '/identity/{id} (own)',                         [200, 403, 403, 403, 401, 401, 401], async (c) => ({ path: `/api/v1/identity/${c.self.id}`, json: { firstName: uniqueName('Changed') }, unchanged: await stays(c, `/api/v1/identity/${c.self.id}`) })),
  row('PUT',    '/identity/{id} (another)',                     [200, 403, 403, 403, 401, 401, 401], async (c) => {
    const id = await freshIdentity(c);
    return { path: `/api/v1/identity/${id}`, json: { firstName: uniqueName('Changed') }, unchanged: await stays(c, `/api/v1/identity/${id}`) };
  }),
  row('DELETE', '/identity/{id} (another)',                     [204, 403, 403, 403, 401, 401, 401], async (c) => {
    const id = await freshIdentity(c);
    return { path: `/api/v1/identity/${id}`, unchanged: await stays(c, `/api/v1/identity/${id}`) };
  }),
  row('GET',    '/role',                                        [200, 200, 200, 403, 401, 401, 401], async () => ({ path: '/api/v1/role' })),
  row('POST',   '/role',                                        [201, 403, 403, 403, 401, 401, 401], async (c) => {
    const name = uniqueName('NewRole');
    return { path: '/api/v1/role', json: { name, permissions: ['billing:read'] }, unchanged: async () => void (await expectStatus(c, 'GET', `/api/v1/role/${name}`, 404)) };
  }),
  row('GET',    '/role/{name}',                                 [200, 200, 200, 403, 401, 401, 401], async () => ({ path: '/api/v1/role/Billing' })),
  row('PUT',    '/role/{name}',                                 [200, 403, 403, 403, 401, 401, 401], async (c) => {
    const name = await freshRole(c);
    return {
      path: `/api/v1/role/${name}`,
      json: { description: 'changed' },
      unchanged: await stays(c, `/api/v1/role/${name}`),
    };
  }),
  row('DELETE', '/role/{name}',                                 [204, 403, 403, 403, 401, 401, 401], async (c) => {
    const name = await freshRole(c);
    return { path: `/api/v1/role/${name}`, unchanged: await stays(c, `/api/v1/role/${name}`) };
  }),
  row('GET',    '/audit',                                       [200, 403, 403, 403, 401, 401, 401], async () => ({ path: '/api/v1/audit' })),
  row('GET',    '/me',                                          [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v1/me' })),
  row('GET',    '/settings/limits',                             [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v1/settings/limits' })),
  row('GET',    '/apptoken/export',                             [200, 403, 403, 403, 401, 401, 401], async () => ({ path: '/api/v1/apptoken/export' })),
  row('POST',   '/apptoken/import-hashes (for another)',        [200, 403, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.other.id, '/api/v1/apptoken/import-hashes', [exported(c.other.name)])),
  row('GET',    '/keys',                                        [200, 403, 403, 403, 401, 401, 401], async () => ({ path: '/api/v1/keys' })),
  row('POST',   '/keys/rotate',                                 [200, 403, 403, 403, 401, 401, 401], async (c) => ({ path: '/api/v1/keys/rotate', unchanged: await stays(c, '/api/v1/keys') })),
  row('GET',    '/PersonalTokens',                              [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v1/PersonalTokens' })),
  row('POST',   '/PersonalTokens',                              [200, 200, 200, 200, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.self.id, '/api/v1/PersonalTokens', { name: 'pat' })),
  row('PATCH',  '/PersonalTokens/{id} (own)',                   [200, 200, 200, 200, 401, 401, 401], async (c) => {
    const id = await personalTokenOf(c, c.selfToken);
    return { path: `/api/v1/PersonalTokens/${id}`, json: { name: uniqueName('renamed') }, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('PATCH',  "/PersonalTokens/{id} (another identity's)",    [404, 404, 404, 404, 401, 401, 401], async (c) => {
    const id = await personalTokenOf(c, c.other.token);
    return { path: `/api/v1/PersonalTokens/${id}`, json: { name: uniqueName('renamed') }, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('DELETE', '/PersonalTokens/{id} (own)',                   [200, 200, 200, 200, 401, 401, 401], async (c) => {
    const id = await personalTokenOf(c, c.selfToken);
    return { path: `/api/v1/PersonalTokens/${id}`, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  row('DELETE', "/PersonalTokens/{id} (another identity's)",    [404, 404, 404, 404, 401, 401, 401], async (c) => {
    const id = await personalTokenOf(c, c.other.token);
    return { path: `/api/v1/PersonalTokens/${id}`, unchanged: await stays(c, `/api/v1/apptoken/${id}`) };
  }),
  // Token protocol and seed-004 routes. /token/refresh takes no caller credential at all (the
  // refresh token is the credential); /token/revoke accepts an optional one, so only a
  // presented-but-dead credential is refused there. /token/exchange needs an authenticated actor,
  // and tokens:exchange to act for another identity (SPEC §10).
  row('POST',   '/token/introspect',                            [200, 200, 200, 200, 401, 401, 401], async (c) => ({ path: '/api/v1/token/introspect', json: { token: c.selfToken } })),
  row('POST',   '/token/revoke (a token nobody holds)',         [200, 200, 200, 200, 200, 401, 401], async () => ({ path: '/api/v1/token/revoke', json: { token: uniqueName('unknown-value-0123456789') } })),
  row('POST',   "/token/refresh (another identity's refresh)",  [200, 200, 200, 200, 200, 200, 200], async (c) => {
    const r = await http(c.base, 'POST', '/api/v4/accesstoken', { headers: { authtoken: c.admin }, json: { tokenName: 'm' } });
    return { path: '/api/v1/token/refresh', json: { refresh_token: r.body.tokenInfo.refreshToken } };
  }),
  row('POST',   "/token/exchange (another identity's token)",   [200, 403, 403, 403, 401, 401, 401], async (c) => ({
    path: '/api/v1/token/exchange',
    json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: c.other.token },
  })),
  row('POST',   '/token/exchange (its own token, to narrow it)', [200, 200, 200, 200, 401, 401, 401], async (c) => ({
    path: '/api/v1/token/exchange',
    json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: c.selfToken },
  })),
  row('GET',    '/auth/verify',                                 [204, 204, 204, 204, 401, 401, 401], async () => ({ path: '/api/v1/auth/verify' })),
  row('POST',   '/api/v4/accesstoken',                          [200, 200, 403, 403, 401, 401, 401], (c) => grantRefusedLeavesNoToken(c, c.self.id, '/api/v4/accesstoken', { tokenName: 'matrix' })),
  row('GET',    '/api/v4/accesstoken',                          [200, 200, 200, 200, 401, 401, 401], async () => ({ path: '/api/v4/accesstoken' })),
  row('DELETE', "/api/v4/accesstoken/{id} (another identity's)", [404, 404, 404, 404, 401, 401, 401], async (c) => {
    const owner = await http(c.base, 'POST', '/api/v1/identity', { token: c.admin, json: { name: uniqueName('v4-owner'), roles: ['Operator'] } });
    const ownerToken = (await http(c.base, 'POST', `/api/v1/apptoken/grant/${owner.body.id}`, { token: c.admin, json: {} })).body.token;
    const r = await http(c.base, 'POST', '/api/v4/accesstoken', { headers: { authtoken: ownerToken }, json: { tokenName: 'o' } });
    const access = r.body.tokenInfo.accessToken as string;
    return {
      path: `/api/v4/accesstoken/${r.body.tokenInfo.accessTokenId}`,
      unchanged: async () => expect((await http(c.base, 'GET', '/api/v1/auth/verify', { token: access })).status).toBe(204),
    };
  }),
  row('GET',    '/.well-known/jwks.json',                       [200, 200, 200, 200, 200, 200, 200], async () => ({ path: '/.well-known/jwks.json' })),
];

runMatrix(MATRIX);
