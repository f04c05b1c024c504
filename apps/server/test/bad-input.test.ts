import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import fc from 'fast-check';
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
  BASES,
  type Base,
  baseOf,
  bodyVariants,
  CANARY,
  CANARY_TOKEN,
  DEEP_ARRAY,
  DEEP_OBJECT,
  OK_FOR_UNKNOWN,
  type OpenApiDocument,
  PARAM_VALUES,
  QUERY_VALUES,
  type Route,
  routesWithInput,
  targetSchema,
} from './hostile-variants.js';
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
 * SPEC §4: bad input gets a 4xx in the error shape, never a 5xx, never changes stored state and
 * never echoes a token. One server per store answers two suites: a table of hand-picked bad
 * inputs, each sent as an Administrator (so a refusal is about the input, not about permission)
 * between two snapshots that must be equal; then hostile requests generated from the OpenAPI
 * document (hostile-variants.ts), judged as a whole against a snapshot taken before the first.
 * (This file merges bad-input.test.ts and hostile-requests.test.ts, which each started their own
 * servers for the same guarantee.)
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

interface Answer {
  label: string;
  status: number;
  text: string;
}

interface Sent {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  contentType?: string;
}

/**
 * One request with node:http, which sends the path as given (fetch would resolve `%2e%2e`),
 * repeated headers (an array value) and raw bytes.
 */
function send(base: string, agent: Agent | false, req: Sent): Promise<Answer & { headers: Headers }> {
  const url = new URL(base);
  const headers: OutgoingHttpHeaders = { ...(req.headers ?? {}) };
  if (req.body !== undefined) {
    if (req.contentType !== '') headers['content-type'] = req.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(req.body);
  }
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, value] of Object.entries(res.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? '']) h.append(k, one);
          }
          resolve({
            label: `${req.method} ${req.path.slice(0, 200)}`,
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: h,
          });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

function fillPath(route: Route, params: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
}

interface Snapshot {
  tokens: unknown[];
  identities: unknown[];
  roles: unknown[];
  keys: unknown[];
}

for (const dialect of DIALECTS) {
  describe(`bad input [${dialect}]`, () => {
    let s: TestServer;
    let f: Fixture;

    beforeAll(async () => {
      // A sign-in costs one scrypt (about 0.1 s of CPU) until the limiter blocks the address, as
      // it would for an attacker; a limit of 1 keeps the hostile sign-ins from dominating the run.
      s = await startServer(freshStore(dialect), { config: { logLevel: 'warn', signinMaxAttempts: 1 } });
      const admin = await adminToken(s.url);
      await createRole(s.url, admin, 'Custom', ['billing:read']);
      const victim = await identityWithToken(s.url, admin, 'victim', ['Reader']);
      f = { base: s.url, admin, victim };
    });
    afterAll(async () => s?.close());

    describe('one bad input at a time', () => {
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

    describe('hostile requests', () => {
      let admin: string;
      let doc: OpenApiDocument;
      let routes: Route[];
      let before: Snapshot;
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      /** Every answer, for the final checks. */
      const answers: Answer[] = [];

      async function snapshot(): Promise<Snapshot> {
        const get = async (path: string) => {
          const res = await http(s.url, 'GET', path, { token: admin });
          expect(res.status, path).toBe(200);
          return res.body;
        };
        // lastUsed and useCount change as the admin token is used; nothing else may.
        const strip = (items: Array<Record<string, unknown>>) =>
          items.map(({ lastUsed: _l, useCount: _u, ...rest }) => rest);
        const tokens = await get('/api/v1/apptoken?kind=all&limit=500');
        const identities = await get('/api/v1/identity?limit=500');
        const roles = await get('/api/v1/role');
        const keys = await get('/api/v1/keys');
        return { tokens: strip(tokens.items), identities: identities.items, roles, keys: keys.items };
      }

      /** Problems found in answers: a 5xx, an echoed secret, an error body of the wrong shape. */
      function problemsOf(a: Answer): string[] {
        const out: string[] = [];
        if (a.status >= 500 || a.status < 100)
          out.push(`${a.label}: HTTP ${a.status} ${a.text.slice(0, 200)}`);
        if (a.text.includes(admin)) out.push(`${a.label}: the admin token is in the response`);
        if (a.text.includes(CANARY)) out.push(`${a.label}: a token sent is echoed in the response`);
        if (a.status >= 400) {
          let body: { errorCode?: unknown; errorMessage?: unknown; code?: unknown } | null = null;
          try {
            body = JSON.parse(a.text);
          } catch {
            body = null;
          }
          if (
            !body ||
            !Number.isInteger(body.errorCode) ||
            typeof body.errorMessage !== 'string' ||
            typeof body.code !== 'string'
          ) {
            out.push(
              `${a.label}: HTTP ${a.status} with a body not of the SPEC §4 shape: ${a.text.slice(0, 200)}`,
            );
          }
        }
        return out;
      }

      async function hit(label: string, req: Sent, opts: { auth?: boolean; agent?: Agent | false } = {}) {
        const headers = { ...(req.headers ?? {}) };
        if (opts.auth !== false) headers.authorization = `Bearer ${admin}`;
        const res = await send(s.url, opts.agent ?? agent, { ...req, headers });
        const a = { ...res, label: `${label} (${req.method} ${req.path.slice(0, 120)})` };
        answers.push(a);
        return a;
      }

      beforeAll(async () => {
        admin = f.admin;
        doc = (await (await fetch(`${s.url}/api/openapi.json`)).json()) as OpenApiDocument;
        routes = routesWithInput(doc);
        before = await snapshot();
      });
      afterAll(() => agent.destroy());

      it('every route with input has a base request that is refused, and the table names no stale route', () => {
        expect(routes.length).toBeGreaterThan(30);
        expect(routes.filter((r) => baseOf(r) === null).map((r) => r.key)).toEqual([]);
        const keys = new Set(routes.map((r) => r.key));
        expect(Object.keys(BASES).filter((k) => !keys.has(k))).toEqual([]);
      });

      it('wrong types, missing and unknown fields, huge and deep values in every body are refused with a 4xx', async () => {
        const problems: string[] = [];
        const jobs: Array<{ route: Route; base: Base; label: string; req: Sent }> = [];
        for (const route of routes.filter((r) => r.body)) {
          const base = baseOf(route)!;
          const path = fillPath(route, base.params ?? {});
          for (const variant of bodyVariants(targetSchema(doc, route.body!), base)) {
            jobs.push({
              route,
              base,
              label: `${route.key}: ${variant.label}`,
              req: {
                method: route.method,
                path,
                body: variant.text,
                ...(variant.contentType === undefined ? {} : { contentType: variant.contentType }),
              },
            });
          }
        }
        await pool(jobs, 8, async (job) => {
          const a = await hit(job.label, job.req);
          problems.push(...problemsOf(a));
          const mayBeOk = OK_FOR_UNKNOWN.has(job.route.key);
          if (!mayBeOk && a.status < 400) problems.push(`${a.label}: accepted with HTTP ${a.status}`);
          if (/invalid UTF-8 between tokens/.test(job.label) && a.status !== 400) {
            problems.push(`${a.label}: invalid UTF-8 answered HTTP ${a.status}, not 400`);
          }
          // An array where the schema wants anything else fails validation (an unknown field or a
          // PowerShell date wrapper nested as deep is valid JSON, refused for the base's reasons).
          if (/: (\w+ = )?an array nested 10 000 deep$/.test(job.label) && a.status !== 400) {
            problems.push(`${a.label}: deep nesting answered HTTP ${a.status}`);
          }
        });
        expect(problems).toEqual([]);
        expect(jobs.length).toBeGreaterThan(1000);
      }, 120_000);

      it('hostile path parameters and query strings get a 4xx or an ordinary answer, never a 5xx', async () => {
        const problems: string[] = [];
        const jobs: Array<{ label: string; req: Sent; mustRefuse: boolean }> = [];
        for (const route of routes) {
          const base = baseOf(route)!;
          const body = route.body ? JSON.stringify(base.body ?? {}) : undefined;
          const withBody = (req: Sent): Sent => (body === undefined ? req : { ...req, body });
          for (const param of route.pathParams) {
            for (const value of PARAM_VALUES) {
              const path = fillPath(route, { ...(base.params ?? {}), [param]: value });
              jobs.push({
                label: `${route.key}: ${param} = ${value.slice(0, 40)}`,
                req: withBody({ method: route.method, path }),
                mustRefuse: true,
              });
            }
          }
          const path = fillPath(route, base.params ?? {});
          const queries = route.queryParams.flatMap((q) => [
            ...QUERY_VALUES.map((value) => `${q}=${value}`),
            `${q}=1&${q}=2`,
            `${q}[]=1`,
            `${q}[a]=1`,
            q,
          ]);
          if (route.queryParams.length > 0) {
            queries.push('__proto__[isAdmin]=true&constructor[prototype][polluted]=1', `${'&'.repeat(1000)}`);
          }
          for (const query of queries) {
            jobs.push({
              label: `${route.key}: ?${query.slice(0, 60)}`,
              req: withBody({ method: route.method, path: `${path}?${query}` }),
              // Read-only routes may answer an odd but harmless query; the others must refuse.
              mustRefuse: route.method !== 'GET' && !OK_FOR_UNKNOWN.has(route.key),
            });
          }
        }
        await pool(jobs, 8, async (job) => {
          const a = await hit(job.label, job.req);
          problems.push(...problemsOf(a));
          if (job.mustRefuse && a.status < 400) problems.push(`${a.label}: accepted with HTTP ${a.status}`);
        });
        expect(problems).toEqual([]);
      }, 120_000);

      it('path traversal, NUL bytes and very long ids in the path are a 4xx', async () => {
        const paths = [
          '/api/v1/apptoken/..%2F..%2Fetc%2Fpasswd',
          '/api/v1/apptoken/../../etc/passwd',
          '/api/v1/apptoken/%2e%2e/%2e%2e/keys',
          '/api/v1/identity/%00',
          '/api/v1/identity/1%00',
          '/api/v1/role/..%2Fadmin',
          '/api/v1/role/..%2F..%2Fapi%2Fv1%2Fkeys',
          '/api/v1/role/%2e%2e',
          `/api/v1/apptoken/${'9'.repeat(5_000)}`,
          `/api/v1/identity/${'1'.repeat(8_000)}`,
          `/api/v1/role/${'R'.repeat(8_000)}`,
          `/api/v1/apptoken/${'9'.repeat(9_000)}`,
          '/api/v1/apptoken/%ff%fe',
          '/api/v1//apptoken//999999999//',
          '/api/v1/apptoken;jsessionid=1',
          '/api/v1/apptoken/999999999?id=1&id=1',
          `/api/v1/identity/1/${'../'.repeat(50)}`,
        ];
        const problems: string[] = [];
        for (const method of ['GET', 'DELETE', 'PATCH', 'PUT']) {
          for (const path of paths) {
            const a = await hit(`traversal`, {
              method,
              path,
              ...(method === 'PATCH' || method === 'PUT' ? { body: '{"description":"hostile"}' } : {}),
            });
            problems.push(...problemsOf(a));
            if (a.status < 400) problems.push(`${a.label}: accepted with HTTP ${a.status}`);
          }
        }
        expect(problems).toEqual([]);
      });

      it('a body over the 1 MiB limit is 413, deep nesting and bytes that are not JSON are 400', async () => {
        const problems: string[] = [];
        const expectStatus = (a: Answer, status: number, code?: string) => {
          problems.push(...problemsOf(a));
          if (a.status !== status) problems.push(`${a.label}: HTTP ${a.status}, expected ${status}`);
          if (code && !a.text.includes(`"code":"${code}"`))
            problems.push(`${a.label}: expected code ${code}`);
        };
        const big = `{"name":"hostile","description":"${'z'.repeat(1024 * 1024 + 10)}"}`;
        expectStatus(
          await hit('1 MiB + 10 bytes of JSON', { method: 'POST', path: '/api/v1/identity', body: big }),
          413,
          'payload_too_large',
        );
        expectStatus(
          await hit('1 MiB + 10 bytes of form', {
            method: 'POST',
            path: '/api/v1/PersonalTokens/authenticate',
            body: `username=x&personalToken=${'z'.repeat(1024 * 1024 + 10)}`,
            contentType: 'application/x-www-form-urlencoded',
          }),
          413,
          'payload_too_large',
        );
        expectStatus(
          await hit('1 MiB + 10 bytes of text', {
            method: 'POST',
            path: '/api/v1/token/introspect',
            body: 'z'.repeat(1024 * 1024 + 10),
            contentType: 'text/plain',
          }),
          413,
        );
        for (const [label, body] of [
          ['an array body nested 10 000 deep', DEEP_ARRAY],
          ['an object body nested 10 000 deep', DEEP_OBJECT],
          ['a token nested 10 000 deep', `{"token":${DEEP_ARRAY}}`],
        ] as const) {
          expectStatus(await hit(label, { method: 'POST', path: '/api/v1/token/introspect', body }), 400);
        }
        expectStatus(
          await hit('invalid UTF-8 between JSON tokens', {
            method: 'POST',
            path: '/api/v1/token/introspect',
            body: Buffer.concat([Buffer.from('{"token":'), Buffer.from([0xc3, 0x28]), Buffer.from('"x"}')]),
          }),
          400,
          'invalid_json',
        );
        expect(problems).toEqual([]);
      });

      // Known gap, reported: Fastify's JSON parser decodes the body as UTF-8 with replacement, so
      // Regression: 0xC3 0x28 inside a string used to arrive as "\uFFFD(" and be answered as if it
      // had been sent so (200 {active:false}). RFC 8259 §8.1 makes such a body malformed.
      it('invalid UTF-8 inside a JSON string is a 400 invalid_json', async () => {
        const token = Buffer.from(`{"token":"${CANARY_TOKEN}\u00e9"}`);
        const i = token.indexOf(0xc3);
        const invalid = Buffer.concat([
          token.subarray(0, i),
          Buffer.from([0xc3, 0x28]),
          token.subarray(i + 2),
        ]);
        const valid = await hit('valid UTF-8', {
          method: 'POST',
          path: '/api/v1/token/introspect',
          body: token,
        });
        expect(valid.status).toBe(200);
        const a = await hit('invalid UTF-8 in a JSON string', {
          method: 'POST',
          path: '/api/v1/token/introspect',
          body: invalid,
        });
        expect(problemsOf(a)).toEqual([]);
        expect(a.status).toBe(400);
        expect(JSON.parse(a.text).code).toBe('invalid_json');
      });

      it('two different credentials are a 400, repeated alternative headers a 400 or 401, an oversized header block a 431 or 400', async () => {
        const problems: string[] = [];
        const oneOf = (a: Answer, statuses: number[]) => {
          problems.push(...problemsOf(a));
          if (!statuses.includes(a.status))
            problems.push(`${a.label}: HTTP ${a.status}, expected ${statuses}`);
        };
        const me = (label: string, headers: OutgoingHttpHeaders, agent?: false) =>
          hit(
            label,
            { method: 'GET', path: '/api/v1/me', headers },
            { auth: false, agent: agent ?? undefined },
          );
        const other = `tw_app_${'A'.repeat(49)}`;
        // Regression guard: Node keeps only the first of repeated Authorization headers, and the
        // admin token first with another second was answered 200 (SPEC §3: two credentials, a 400).
        for (const pair of [
          [admin, other],
          [other, admin],
        ]) {
          // An array value sends the header once per item (Node's types allow it under this spelling).
          const a = await me('two different Authorization headers', {
            Authorization: pair.map((t) => `Bearer ${t}`),
          });
          oneOf(a, [400]);
          if (!a.text.includes('"code":"multiple_credentials"'))
            problems.push(`${a.label}: not multiple_credentials`);
        }
        oneOf(await me('two different Authtoken headers', { authtoken: [admin, other] }), [400, 401]);
        oneOf(
          await me('two different X-Tokenward-Authorization headers', {
            'x-tokenward-authorization': [admin, CANARY_TOKEN],
          }),
          [400, 401],
        );
        const both = await me('Authorization and a different Authtoken', {
          authorization: `Bearer ${admin}`,
          authtoken: other,
        });
        oneOf(both, [400]);
        if (!both.text.includes('"code":"multiple_credentials"'))
          problems.push(`${both.label}: not multiple_credentials`);
        oneOf(
          await me('the same credential twice', { authorization: `Bearer ${admin}`, authtoken: admin }),
          [200],
        );
        for (const [label, value] of [
          ['Basic credentials', 'Basic YWRtaW46YWRtaW4='],
          ['a bare Bearer', 'Bearer'],
          ['Bearer with two words', `Bearer ${CANARY_TOKEN} extra`],
          ['Bearer and 9 000 characters', `Bearer ${CANARY}${'a'.repeat(9_000)}`],
          ['a JWT-shaped canary', `Bearer ${CANARY}.${CANARY}.${CANARY}`],
        ] as const) {
          oneOf(await me(label, { authorization: value }), [401]);
        }
        oneOf(await me('a 20 KB cookie', { cookie: `tw_session=${'c'.repeat(20_000)}` }, false), [431, 400]);
        oneOf(
          await me('a 20 KB Authorization header', { authorization: `Bearer ${'a'.repeat(20_000)}` }, false),
          [431, 400],
        );
        oneOf(await me('a session cookie that is not one', { cookie: `tw_session=${CANARY_TOKEN}` }), [401]);
        expect(problems).toEqual([]);
      });

      it('random JSON bodies (fast-check, 30 per route) are refused like the rest', async () => {
        const problems: string[] = [];
        for (const route of routes.filter((r) => r.body && r.method !== 'GET')) {
          const base = baseOf(route)!;
          const path = fillPath(route, base.params ?? {});
          const anchors = Object.fromEntries(
            (base.anchors ?? []).flatMap((k) =>
              base.body && typeof base.body === 'object' && k in base.body
                ? [[k, (base.body as Record<string, unknown>)[k]]]
                : [],
            ),
          );
          const fields = Object.keys(targetSchema(doc, route.body!).properties ?? {});
          const known = fc.record(Object.fromEntries(fields.map((f) => [f, fc.jsonValue({ maxDepth: 3 })])), {
            requiredKeys: [],
          });
          const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }), known, fc.object({ maxDepth: 3 }));
          await fc.assert(
            fc.asyncProperty(body, async (value) => {
              // A random object keeps the fields that make the request refused (see BASES).
              const sent =
                value !== null && typeof value === 'object' && !Array.isArray(value)
                  ? { ...value, ...anchors }
                  : value;
              const a = await hit(`${route.key}: random body`, {
                method: route.method,
                path,
                body: JSON.stringify(sent) ?? 'null',
              });
              const found = problemsOf(a);
              if (!OK_FOR_UNKNOWN.has(route.key) && a.status < 400) {
                found.push(
                  `${a.label}: accepted with HTTP ${a.status}: ${JSON.stringify(sent).slice(0, 200)}`,
                );
              }
              problems.push(...found);
              return found.length === 0;
            }),
            { numRuns: 30, endOnFailure: true },
          );
        }
        expect(problems).toEqual([]);
      }, 120_000);

      it('without a credential the same hostile requests are refused, 401 first where a route needs one', async () => {
        const problems: string[] = [];
        const open = new Set([
          'POST /api/v1/signin',
          'POST /api/v1/PersonalTokens/authenticate',
          'POST /api/v1/token',
          // Client credentials may come in the body (RFC 6749 §2.3.1, RFC 7523), so the body is
          // validated before the client is known to be missing (issue 14): refused, not 401 first.
          'POST /api/v1/token/introspect',
          'POST /api/v1/token/refresh',
          'POST /api/v1/token/revoke',
          'POST /api/v1/token/exchange',
        ]);
        const jobs: Array<{ route: Route; label: string; req: Sent }> = [];
        for (const route of routes) {
          const base = baseOf(route)!;
          const path = fillPath(route, base.params ?? {});
          const bodies = route.body
            ? bodyVariants(targetSchema(doc, route.body), base).filter((b) =>
                /(= a number|= an object nested|= a 100 KB|__proto__|invalid UTF-8 inside|empty body)$/.test(
                  b.label,
                ),
              )
            : [{ label: 'no body', text: undefined }];
          for (const b of bodies) {
            jobs.push({
              route,
              label: `unauthenticated ${route.key}: ${b.label}`,
              req: {
                method: route.method,
                path:
                  route.pathParams.length > 0
                    ? fillPath(route, { ...(base.params ?? {}), [route.pathParams[0]!]: '..%2F%00' })
                    : path,
                ...(b.text === undefined ? {} : { body: b.text }),
              },
            });
          }
        }
        await pool(jobs, 8, async (job) => {
          const a = await hit(job.label, job.req, { auth: false });
          problems.push(...problemsOf(a));
          if (open.has(job.route.key)) {
            if (a.status < 400 && !OK_FOR_UNKNOWN.has(job.route.key))
              problems.push(`${a.label}: HTTP ${a.status}`);
          } else if (a.status !== 401) {
            problems.push(`${a.label}: HTTP ${a.status}, expected 401`);
          }
        });
        expect(problems).toEqual([]);
      });

      it('after all of it: never a 5xx, every error has the SPEC §4 shape, nothing echoed, the store unchanged', async () => {
        expect(answers.length).toBeGreaterThan(2000);
        expect(answers.flatMap(problemsOf)).toEqual([]);
        expect(await snapshot()).toEqual(before);
        // The server runs in this process: no request may have polluted Object.prototype.
        const probe = {} as Record<string, unknown>;
        expect(probe.isAdmin).toBeUndefined();
        expect(probe.polluted).toBeUndefined();
      });
    });
  });
}
