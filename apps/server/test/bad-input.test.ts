import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type Json,
  startServer,
  type TestServer,
} from './helpers.js';
import {
  createRole,
  expectErrorShape,
  type Holder,
  identityWithToken,
  iso,
  rawRequest,
  rawSocket,
} from './test-kit.js';

/**
 * SPEC §4: bad input gets a 4xx in the error shape, never a 5xx, and never changes stored state.
 * Each row is sent as an Administrator (so a refusal is about the input, not about permission),
 * between two snapshots of tokens, identities and roles that must be equal.
 */

interface Fixture {
  base: string;
  admin: string;
  victim: Holder;
}
type Send = (f: Fixture) => Promise<Json>;

const DAY = 86_400_000;
const KB10 = 'a'.repeat(10 * 1024);
const OVER_1MIB = 'x'.repeat(1024 * 1024 + 1);

const fill = (path: string, f: Fixture) =>
  path.replace('{victim}', String(f.victim.id)).replace('{token}', String(f.victim.tokenId));

/** A JSON body (or one computed from the fixture) sent with the admin token. */
const json =
  (method: string, path: string, body: unknown): Send =>
  (f) =>
    http(f.base, method, fill(path, f), {
      token: f.admin,
      json: typeof body === 'function' ? (body as (f: Fixture) => unknown)(f) : body,
    });

/** A body sent exactly as written. */
const text =
  (method: string, path: string, body: string, contentType = 'application/json'): Send =>
  (f) =>
    http(f.base, method, fill(path, f), { token: f.admin, headers: { 'content-type': contentType }, body });

/** A URL sent exactly as written (no client-side normalisation). */
const url =
  (method: string, path: string): Send =>
  (f) =>
    rawRequest(f.base, method, fill(path, f), { authorization: `Bearer ${f.admin}` });

/** A request to GET /api/v1/me presenting these headers instead of the admin token. */
const presenting =
  (headers: (f: Fixture) => Record<string, string>): Send =>
  (f) =>
    http(f.base, 'GET', '/api/v1/me', { headers: headers(f) });

/** The token with the character at `i` replaced by another URL-safe one. */
const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);

const importing = (extra: Record<string, unknown>) => ({
  token: 'legacy-value-0123456789abcdef',
  identity: 'admin',
  ...extra,
});

// biome-ignore format: one bad input per line.
const TABLE: Array<[name: string, status: number, code: string | undefined, send: Send]> = [
  // Malformed JSON
  ['malformed JSON (POST /identity)', 400, 'invalid_json', text('POST', '/api/v1/identity', '{"name":')],
  ['malformed JSON (POST /apptoken/grant)', 400, 'invalid_json', text('POST', '/api/v1/apptoken/grant', '{role: Administrator}')],
  ['malformed JSON (POST /apptoken import)', 400, 'invalid_json', text('POST', '/api/v1/apptoken', "{'Token': 'legacy-value-0123456789'}")],
  ['malformed JSON that would have promoted (PUT /identity/{id})', 400, 'invalid_json', text('PUT', '/api/v1/identity/{victim}', '{"roles":["Administrator"]')],
  ['malformed JSON (POST /signin)', 400, 'invalid_json', text('POST', '/api/v1/signin', '{"username":"admin","password":')],
  ['JSON with trailing garbage', 400, 'invalid_json', text('POST', '/api/v1/identity', '{"name":"trailing"} and more')],
  ['an empty JSON body', 400, 'invalid_json', text('POST', '/api/v1/identity', '')],
  ['a __proto__ key (prototype poisoning)', 400, 'invalid_json', text('POST', '/api/v1/identity', '{"__proto__":{"enabled":false},"name":"proto"}')],
  ['deeply nested arrays', 400, 'invalid_request', text('POST', '/api/v1/identity', `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)],
  // Wrong types
  ['a body that is an array', 400, 'invalid_request', json('POST', '/api/v1/apptoken/grant', [])],
  ['a body that is null', 400, 'invalid_request', text('POST', '/api/v1/identity', 'null')],
  ['an object where a name belongs', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: { first: 'x' } })],
  ['an object where roles belong', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: 'typed', roles: { Administrator: true } })],
  ['a word where a boolean belongs', 400, 'invalid_request', json('PUT', '/api/v1/identity/{victim}', { enabled: 'maybe' })],
  ['an object where apiEndpoints belong', 400, 'invalid_request', json('POST', '/api/v1/apptoken/grant', { apiEndpoints: {} })],
  ['an unknown scope', 400, 'invalid_request', json('POST', '/api/v1/apptoken/grant', { scope: 'everything' })],
  ['a custom scope without endpoints', 400, 'invalid_endpoint_pattern', json('POST', '/api/v1/apptoken/grant', { scope: 'custom' })],
  ['an endpoint pattern that is not METHOD /path', 400, 'invalid_endpoint_pattern', json('POST', '/api/v1/apptoken/grant', { apiEndpoints: ['DROP TABLE tokens'] })],
  ['an endpoint pattern with ..', 400, 'invalid_endpoint_pattern', json('POST', '/api/v1/apptoken/grant', { apiEndpoints: ['GET /api/v1/identity/../audit'] })],
  ['a list where a token name belongs', 400, 'invalid_request', json('PATCH', '/api/v1/apptoken/{token}', { name: ['a', 'b'] })],
  ['an object where permissions belong', 400, 'invalid_request', json('POST', '/api/v1/role', { name: 'Typed', permissions: {} })],
  ['a permission that is not resource:action', 400, 'invalid_permission', json('POST', '/api/v1/role', { name: 'Typed', permissions: ['Not A Permission'] })],
  ['an object as username', 400, 'invalid_request', json('POST', '/api/v1/signin', { username: {}, password: 'x' })],
  ['an object as token value to import', 400, 'invalid_request', json('POST', '/api/v1/apptoken', importing({ token: {} }))],
  ['a list as identity to import for', 400, 'invalid_request', json('POST', '/api/v1/apptoken', importing({ identity: [1, 2] }))],
  ['a non-numeric limit', 400, 'invalid_request', json('GET', '/api/v1/apptoken?limit=abc', undefined)],
  ['a zero limit', 400, 'invalid_request', json('GET', '/api/v1/apptoken?limit=0', undefined)],
  ['a limit above 500', 400, 'invalid_request', json('GET', '/api/v1/apptoken?limit=100000', undefined)],
  ['a negative offset', 400, 'invalid_request', json('GET', '/api/v1/identity?offset=-1', undefined)],
  ['an unknown status filter', 400, 'invalid_request', json('GET', '/api/v1/apptoken?status=Bogus', undefined)],
  ['an unknown kind filter', 400, 'invalid_request', json('GET', '/api/v1/apptoken?kind=secret', undefined)],
  ['an expiringWithin that is not a duration', 400, 'invalid_request', json('GET', '/api/v1/apptoken?expiringWithin=forever', undefined)],
  ['an audit since that is not a date', 400, 'invalid_date', json('GET', '/api/v1/audit?since=yesterday', undefined)],
  ['an unknown audit outcome', 400, 'invalid_request', json('GET', '/api/v1/audit?outcome=maybe', undefined)],
  ['an enabled filter that is not a boolean', 400, 'invalid_request', json('GET', '/api/v1/identity?enabled=perhaps', undefined)],
  // Empty strings
  ['an empty identity name', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: '' })],
  ['an email without an @', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: 'bad-email', email: 'not-an-email' })],
  ['an empty role name', 400, 'invalid_request', json('POST', '/api/v1/role', { name: '', permissions: [] })],
  ['a blank role name', 400, 'invalid_role_name', json('POST', '/api/v1/role', { name: '   ', permissions: [] })],
  ['an empty username and password', 400, 'invalid_request', json('POST', '/api/v1/signin', { username: '', password: '' })],
  ['an empty token value to import', 400, 'invalid_request', json('POST', '/api/v1/apptoken', importing({ token: '' }))],
  ['an empty identity to import for', 400, 'invalid_request', json('POST', '/api/v1/apptoken', importing({ identity: '' }))],
  ['an empty token patch', 400, 'invalid_request', json('PATCH', '/api/v1/apptoken/{token}', {})],
  ['an empty role update', 400, 'invalid_request', json('PUT', '/api/v1/role/Custom', {})],
  // Huge strings (10 KB)
  ['a 10 KB identity name', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: KB10 })],
  ['a 10 KB email', 400, 'invalid_request', json('POST', '/api/v1/identity', { name: 'huge-email', email: `${KB10}@example.com` })],
  ['a 10 KB role name', 400, 'invalid_request', json('POST', '/api/v1/role', { name: KB10, permissions: [] })],
  ['a 10 KB token name', 400, 'invalid_request', json('POST', '/api/v1/apptoken/grant', { name: KB10 })],
  ['a 10 KB token description', 400, 'invalid_request', json('PATCH', '/api/v1/apptoken/{token}', { description: KB10 })],
  ['a 10 KB token value to import', 400, 'invalid_request', json('POST', '/api/v1/apptoken', importing({ token: KB10 }))],
  ['a 10 KB username', 400, 'invalid_request', json('POST', '/api/v1/signin', { username: KB10, password: 'x' })],
  ['a 10 KB search', 414, 'uri_too_long', json('GET', `/api/v1/apptoken?search=${KB10}`, undefined)],
  ['a search over 128 characters', 400, 'invalid_request', json('GET', `/api/v1/apptoken?search=${'s'.repeat(129)}`, undefined)],
  ['a 10 KB role name in the path', 414, 'uri_too_long', url('GET', `/api/v1/role/${KB10}`)],
  ['a role name over 64 characters in the path', 400, 'invalid_request', url('DELETE', `/api/v1/role/${'r'.repeat(65)}`)],
  ['a 10 KB bearer token', 401, 'unauthenticated', presenting(() => ({ authorization: `Bearer ${KB10}` }))],
  // Unknown roles and identities
  ['an unknown role for a new identity', 400, 'unknown_role', json('POST', '/api/v1/identity', { name: 'unknown-role', roles: ['NoSuchRole'] })],
  ['an unknown role for an identity', 400, 'unknown_role', json('PUT', '/api/v1/identity/{victim}', { roles: ['NoSuchRole'] })],
  ['an unknown role for a grant', 400, 'unknown_role', json('POST', '/api/v1/apptoken/grant', { role: 'NoSuchRole' })],
  ['an unknown role among known ones', 400, 'unknown_role', json('POST', '/api/v1/apptoken/grant/{victim}', { roles: ['Reader', 'NoSuchRole'] })],
  ['an unknown role for an import', 400, 'unknown_role', json('POST', '/api/v1/apptoken', importing({ role: 'NoSuchRole' }))],
  ['an unknown identity name to import for', 400, 'unknown_identity', json('POST', '/api/v1/apptoken', importing({ identity: { name: 'nobody' } }))],
  ['an unknown identity id to import for', 404, 'not_found', json('POST', '/api/v1/apptoken', importing({ identity: { id: 99999 } }))],
  ['an unknown identity to grant to (POST)', 404, 'not_found', json('POST', '/api/v1/apptoken/grant/99999', {})],
  ['an unknown identity to grant to (GET)', 404, 'not_found', url('GET', '/api/v1/apptoken/grant/99999')],
  ['an unknown identity to read', 404, 'not_found', url('GET', '/api/v1/identity/99999')],
  ['an unknown identity to change', 404, 'not_found', json('PUT', '/api/v1/identity/99999', { firstName: 'x' })],
  ['an unknown identity to delete', 404, 'not_found', url('DELETE', '/api/v1/identity/99999')],
  ['an unknown token to read', 404, 'not_found', url('GET', '/api/v1/apptoken/99999')],
  ['an unknown token to rename', 404, 'not_found', json('PATCH', '/api/v1/apptoken/99999', { name: 'x' })],
  ['an unknown token to revoke', 404, 'not_found', url('DELETE', '/api/v1/apptoken/99999')],
  ['an unknown role to read', 404, 'not_found', url('GET', '/api/v1/role/NoSuchRole')],
  ['an unknown role to change', 404, 'not_found', json('PUT', '/api/v1/role/NoSuchRole', { description: 'x' })],
  ['an unknown role to delete', 404, 'not_found', url('DELETE', '/api/v1/role/NoSuchRole')],
  ['an unknown session to end', 404, 'not_found', url('DELETE', '/api/v1/usersession/99999')],
  // Bad, past and too distant dates
  ['expiration "yesterday"', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: 'yesterday' })],
  ['expiration "2020-01-01" (past)', 400, 'expiration_in_past', json('POST', '/api/v1/apptoken/grant', { expiration: '2020-01-01' })],
  ['expiration "/Date(abc)/"', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: '/Date(abc)/' })],
  ['expiration -5', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: -5 })],
  ['expiration 0 (the epoch)', 400, 'expiration_in_past', json('POST', '/api/v1/apptoken/grant', { expiration: 0 })],
  ['expiration 1e300', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: 1e300 })],
  ['expiration "2026-13-45"', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: '2026-13-45' })],
  // Issue 12: a body's objects are closed too; PowerShell's DateTime object is {value, DisplayHint, DateTime}.
  ['expiration as an object without a value', 400, 'invalid_request', json('POST', '/api/v1/apptoken/grant', { expiration: { when: 'soon' } })],
  ['expiration as PowerShell\'s object with a bad value', 400, 'invalid_date', json('POST', '/api/v1/apptoken/grant', { expiration: { value: 'soon', DisplayHint: 2 } })],
  ['expiration "/Date(1577836800000)/" (past)', 400, 'expiration_in_past', json('POST', '/api/v1/apptoken/grant', { expiration: '/Date(1577836800000)/' })],
  ['expiration 731 days ahead (max 730)', 400, 'lifetime_exceeded', json('POST', '/api/v1/apptoken/grant', () => ({ expiration: iso(Date.now() + 731 * DAY) }))],
  ['expiration 9999-12-31', 400, 'lifetime_exceeded', json('POST', '/api/v1/apptoken/grant/{victim}', { expiration: '9999-12-31' })],
  ['import expiration "yesterday"', 400, 'invalid_date', json('POST', '/api/v1/apptoken', importing({ expiration: 'yesterday' }))],
  ['import expiration "2020-01-01" (past)', 400, 'expiration_in_past', json('POST', '/api/v1/apptoken', importing({ expiration: '2020-01-01' }))],
  ['import expiration 731 days ahead', 400, 'lifetime_exceeded', json('POST', '/api/v1/apptoken', () => importing({ expiration: `/Date(${Date.now() + 731 * DAY})/` }))],
  // Tokens with bad checksums, or not acceptable for import
  ['a tw_app_ token with one random character changed', 401, 'unauthenticated', presenting((f) => ({ authorization: `Bearer ${flip(f.admin, 12)}` }))],
  ['a tw_app_ token with its checksum changed', 401, 'unauthenticated', presenting((f) => ({ authorization: `Bearer ${flip(f.admin, f.admin.length - 1)}` }))],
  ['a tw_app_ token one character short', 401, 'unauthenticated', presenting((f) => ({ authtoken: f.admin.slice(0, -1) }))],
  ['a tw_app_ token with a character changed, in X-PSU-Authorization', 401, 'unauthenticated', presenting((f) => ({ 'x-psu-authorization': flip(f.admin, 20) }))],
  ['importing a tw_app_ value with a bad checksum', 400, 'invalid_token_value', json('POST', '/api/v1/apptoken', (f: Fixture) => importing({ token: flip(f.admin, 12) }))],
  ['importing a value with spaces', 400, 'invalid_token_value', json('POST', '/api/v1/apptoken', importing({ token: 'has spaces in the middle' }))],
  ['importing a value shorter than 16 characters', 400, 'invalid_token_value', json('POST', '/api/v1/apptoken', importing({ token: 'short' }))],
  // Oversized bodies (default limit 1 MiB)
  ['a JSON body over 1 MiB (POST /identity)', 413, 'payload_too_large', json('POST', '/api/v1/identity', { name: OVER_1MIB })],
  ['a JSON body over 1 MiB (import)', 413, 'payload_too_large', json('POST', '/api/v1/apptoken', importing({ description: OVER_1MIB }))],
  ['a form body over 1 MiB', 413, 'payload_too_large', text('POST', '/api/v1/identity', `name=${OVER_1MIB}`, 'application/x-www-form-urlencoded')],
  // Wrong content types
  ['an XML body', 415, 'unsupported_media_type', text('POST', '/api/v1/identity', '<identity name="x"/>', 'application/xml')],
  ['an octet-stream body', 415, 'unsupported_media_type', text('POST', '/api/v1/apptoken/grant', '{}', 'application/octet-stream')],
  ['a multipart body', 415, 'unsupported_media_type', text('POST', '/api/v1/identity', '--b\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b')],
  // Path ids that are not numbers, and path traversal
  ['a token id that is a word', 400, 'invalid_request', url('GET', '/api/v1/apptoken/abc')],
  ['a negative token id', 400, 'invalid_request', url('GET', '/api/v1/apptoken/-1')],
  ['a fractional token id', 400, 'invalid_request', url('DELETE', '/api/v1/apptoken/1.5')],
  ['a hexadecimal token id', 400, 'invalid_request', url('PATCH', '/api/v1/apptoken/0x10')],
  ['a 20-digit token id', 400, 'invalid_request', url('GET', '/api/v1/apptoken/99999999999999999999')],
  ['path traversal in a token id', 400, 'invalid_request', url('GET', '/api/v1/apptoken/..%2f..%2fetc')],
  ['path traversal in a token id to revoke', 400, 'invalid_request', url('DELETE', '/api/v1/apptoken/..%2f..%2fetc%2fpasswd')],
  // Issue 12: NUL is refused as text before anything else looks at it, alike on both stores.
  ['a NUL byte as identity id', 400, 'invalid_text', url('GET', '/api/v1/identity/%00')],
  ['SQL in an identity id', 400, 'invalid_request', url('DELETE', '/api/v1/identity/1%20OR%201=1')],
  ['a word as identity id to grant to', 400, 'invalid_request', url('GET', '/api/v1/apptoken/grant/abc')],
  ['a word as session id', 400, 'invalid_request', url('DELETE', '/api/v1/usersession/abc')],
  ['path traversal in a role name', 404, 'not_found', url('GET', '/api/v1/role/..%2f..%2fetc%2fpasswd')],
  ['path traversal towards a built-in role', 404, 'not_found', url('DELETE', '/api/v1/role/..%2fAdministrator')],
  ['bad percent-encoding in the path', 400, 'invalid_request', url('GET', '/api/v1/apptoken/%E0%A4%A')],
  ['raw dot segments in the path', 404, 'route_not_found', url('GET', '/api/v1/../../etc/passwd')],
];

for (const dialect of DIALECTS) {
  describe(`bad input [${dialect}]`, () => {
    let s: TestServer;
    let f: Fixture;

    beforeAll(async () => {
      s = await startServer(freshStore(dialect));
      const admin = await adminToken(s.url);
      await createRole(s.url, admin, 'Custom', ['billing:read']);
      const victim = await identityWithToken(s.url, admin, 'victim', ['Reader']);
      f = { base: s.url, admin, victim };
    });
    afterAll(async () => s?.close());

    /** What an administrator sees of the store; usage counters move with every request and are left out. */
    async function snapshot(): Promise<unknown> {
      const read = async (path: string) => {
        const res = await http(s.url, 'GET', path, { token: f.admin });
        expect(res.status, `${path}: ${res.text}`).toBe(200);
        return res.body;
      };
      const tokens = await read('/api/v1/apptoken?kind=all&limit=500');
      return {
        tokens: tokens.items.map(({ lastUsed: _l, useCount: _u, ...t }: Record<string, unknown>) => t),
        tokenTotal: tokens.total,
        identities: await read('/api/v1/identity?limit=500'),
        roles: await read('/api/v1/role'),
      };
    }

    for (const [name, status, code, send] of TABLE) {
      it(`${name} → ${status}${code ? ` ${code}` : ''}, in the error shape, and the store is unchanged`, async () => {
        const before = await snapshot();
        const res = await send(f);
        expect(res.status, res.text).toBe(status);
        expectErrorShape(res, code);
        expect(res.text).not.toContain(f.admin);
        expect(res.text).not.toContain(KB10);
        expect(await snapshot()).toEqual(before);
      });
    }

    it('request headers beyond what the server accepts get 431 in the error shape', async () => {
      const res = await rawRequest(s.url, 'GET', '/api/v1/me', {
        authorization: `Bearer ${f.admin}`,
        'x-filler': 'f'.repeat(20 * 1024),
      });
      expect(res.status).toBe(431);
      expectErrorShape(res, 'headers_too_large');
    });

    it('a malformed HTTP request gets 400 in the error shape', async () => {
      const res = await rawSocket(s.url, 'GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
      expect(res.status).toBe(400);
      expectErrorShape(res, 'invalid_request');
    });

    it('after every bad input the server still answers and the admin token still works', async () => {
      expect((await http(s.url, 'GET', '/healthz')).status).toBe(200);
      expect((await http(s.url, 'GET', '/api/v1/me', { token: f.admin })).status).toBe(200);
    });
  });
}
