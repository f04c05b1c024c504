import { Writable } from 'node:stream';
import { hashToken } from '@tokenward/core';
import fc from 'fast-check';
import lightMyRequest from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { ERRORS_DOCS_URL } from '../src/plugins/errors.js';
import {
  CALLER_KINDS,
  type CallerKind,
  type CallerSet,
  createCallers,
  renewSingleUse,
} from './caller-kinds.js';
import { DIALECTS, freshStore, type StoreHandle, testConfig } from './helpers.js';
import {
  JsonEntries,
  type JsonSchema,
  mutatedArbitrary,
  Placeholder,
  percentEncode,
  RawJson,
  type SchemaArbitraryOptions,
  scalarText,
  toFormText,
  toJsonText,
  validArbitrary,
} from './schema-arbitrary.js';
import {
  diffSnapshots,
  type RowChange,
  type StoreSnapshot,
  storeDigest,
  storeSnapshot,
  unclassifiedTables,
} from './store-digest.js';
import { type FakeClock, fakeClock } from './test-kit.js';

/*
 * Issue 12 item 10(b): a fuzz pass over every operation of the OpenAPI document, with bodies,
 * query strings, paths and headers generated from the operation's schemas and then mutated, sent
 * by every kind of caller (caller-kinds.ts). It guards against every regression of SPEC §4 that
 * a hostile or sloppy client can reach:
 *   1. no answer is a 5xx;
 *   2. every error answer is `{errorCode, errorMessage, code}` (OAuth endpoints may add fields);
 *   3. no answer contains a token value (or session secret, CSRF token) the request carried;
 *   4. a 4xx answer leaves the store as it was (store-digest.ts: usage, audit and failure counts
 *      aside);
 *   5. a GET or HEAD answer leaves the store as it was, but for GET /api/v1/apptoken/grant[/{id}]
 *      (seed 001 grants on GET; never on HEAD).
 * Two writes are explained, not counted as changes: a single-use credential presented in the
 * request's headers being spent (it was used), and the family of a refresh token presented again
 * being revoked, with the credentials minted from it, on POST /api/v1/token/refresh (reuse
 * detection, RFC 9700 §4.14.2).
 *
 * Requests go in-process (light-my-request, as app.inject but with the URL exactly as written:
 * `..`, `%2e`, `//` reach the router). One world per store: the app, a fake clock and a set of
 * callers, made again whenever a request revoked or changed one of them. Every distinct failure
 * is collected (deduplicated by invariant, operation, status, error code and cause), shrunk a
 * little, and reported together at the end with the seed that shows it.
 *
 * Reproduce with TOKENWARD_FUZZ_SEED=<seed> TOKENWARD_FUZZ_RUNS=<runs> (runs per store).
 */

const envInt = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, not ${v}`);
  return n;
};
const SEED = envInt('TOKENWARD_FUZZ_SEED') ?? Math.floor(Math.random() * 2 ** 31);
const RUNS = envInt('TOKENWARD_FUZZ_RUNS') ?? 2500;
/** Set to 1 for a line per request (slow). */
const VERBOSE = process.env.TOKENWARD_FUZZ_VERBOSE === '1';
console.log(
  `[fuzz-openapi] TOKENWARD_FUZZ_SEED=${SEED} TOKENWARD_FUZZ_RUNS=${RUNS} (set both to replay this run)`,
);

/* ------------------------------------------------------------------------------------------ */
/* Operations                                                                                 */
/* ------------------------------------------------------------------------------------------ */

interface OpenApiParameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface Param {
  name: string;
  schema: JsonSchema;
  required: boolean;
}
interface Op {
  /** `GET /api/v1/apptoken/{id}`. */
  key: string;
  method: string;
  path: string;
  pathParams: Param[];
  query: Param[];
  json?: JsonSchema;
  form?: JsonSchema;
  /** Resolves the document's `$ref`s. */
  resolveRef: (ref: string) => JsonSchema | undefined;
}

const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options']);

/** Every operation of the document, and HEAD of every GET (Fastify answers HEAD for each GET). */
function operationsOf(doc: OpenApiDocument): Op[] {
  const out: Op[] = [];
  const resolveRef = (ref: string) => doc.components?.schemas?.[ref.split('/').pop() ?? ''];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      if (!HTTP_METHODS.has(m)) continue;
      const params = op.parameters ?? [];
      const of = (where: string) =>
        params
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, schema: p.schema ?? {}, required: p.required === true }));
      const content = op.requestBody?.content ?? {};
      const base = {
        path,
        resolveRef,
        pathParams: of('path'),
        query: of('query'),
        ...(content['application/json']?.schema ? { json: content['application/json'].schema } : {}),
        ...(content['application/x-www-form-urlencoded']?.schema
          ? { form: content['application/x-www-form-urlencoded'].schema }
          : {}),
      };
      const method = m.toUpperCase();
      out.push({ key: `${method} ${path}`, method, ...base });
      if (method === 'GET' && !ops.head) out.push({ key: `HEAD ${path}`, method: 'HEAD', ...base });
    }
  }
  return out;
}

const GRANT_ON_GET = new Set(['GET /api/v1/apptoken/grant', 'GET /api/v1/apptoken/grant/{identityId}']);
const COMPAT_PATHS = /^\/api\/(v4\/accesstoken|v1\/PersonalTokens)/;
const isOAuth = (op: Op) => op.path === '/api/v1/token' || op.path.startsWith('/api/v1/token/');

/* ------------------------------------------------------------------------------------------ */
/* Plans: what to send, with placeholders for what only exists at run time                    */
/* ------------------------------------------------------------------------------------------ */

/** Names of the secrets a placeholder `secret` picks from (CallerSet.secrets' names). */
const SECRET_NAMES = [
  'admin',
  'operator',
  'reader',
  'custom',
  'pat',
  'pat-jwt',
  'v4-default',
  'v4-default.refreshToken',
  'v4-all',
  'v4-all.refreshToken',
  'v4-custom',
  'v4-custom.refreshToken',
  'v4-scim',
  'v4-onetouch',
  'delegated',
  'session.secret',
  'session.csrf',
  'revoked',
  'expired',
  'malformed',
] as const;

type HeaderMutation =
  | { type: 'second-credential'; header: string; secret: number }
  | { type: 'repeat-authorization'; secret: number; same: boolean }
  | { type: 'empty-bearer'; value: string }
  | { type: 'authtoken-twice'; secret: number }
  | { type: 'content-type'; value: string }
  | { type: 'spoof'; name: string; value: string }
  | { type: 'huge'; name: string; length: number }
  | { type: 'csrf'; value: string }
  | { type: 'cookie'; value: string }
  | { type: 'original'; method: string; uri: string };

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: unknown }
  | { kind: 'raw'; text: string | number[] };

interface Plan {
  op: Op;
  caller: CallerKind;
  params: Record<string, unknown>;
  /** A change to the whole path after the parameters are filled in. */
  pathMutation: string | null;
  /** Query pairs; a null value writes the bare name. */
  query: Array<[string, unknown]>;
  body: Body;
  headers: HeaderMutation[];
  /** Labels of what was mutated, for the report. */
  notes: string[];
  /** Send from an address shared by many requests (so failure limits can trip). */
  sharedAddress: boolean;
}

const ph = (name: string) => fc.nat().map((i) => new Placeholder(name, i));
const secretArb = ph('secret');
const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const HEX = [...'0123456789abcdef'];
const fakeTokenArb = fc
  .tuple(
    fc.constantFrom('tw_app_', 'tw_pat_', 'tw_at_', 'tw_rt_', 'eyJhbGciOiJIUzI1NiJ9.', ''),
    fc.string({ unit: fc.constantFrom(...B64URL), minLength: 8, maxLength: 60 }),
  )
  .map(([p, s]) => p + s);
const highEntropyArb = fc.string({ unit: fc.constantFrom(...B64URL), minLength: 32, maxLength: 64 });
const roleNameArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('Administrator', 'Operator', 'Reader', 'administrator', 'READER') },
  { weight: 3, arbitrary: ph('roleName') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
);
const secondsArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 3600, max: 300 * 86_400 }) },
  { weight: 1, arbitrary: fc.integer({ min: -2 * 86_400, max: 3600 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 30 * 86_400, 366 * 86_400, 10 * 365 * 86_400) },
);
const dateArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: secondsArb.map((s) => new Placeholder('isoIn', s)) },
  { weight: 1, arbitrary: secondsArb.map((s) => new Placeholder('msDateIn', s)) },
  { weight: 1, arbitrary: secondsArb.map((s) => new Placeholder('epochIn', s)) },
  {
    weight: 1,
    arbitrary: secondsArb.map((s) => ({
      value: new Placeholder('msDateIn', s),
      DisplayHint: 2,
      DateTime: new Placeholder('isoIn', s),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      null,
      '',
      'yesterday',
      '2020-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ),
  },
);
const ENDPOINTS = [
  'GET /api/v1/me',
  'GET /api/v1/identity/*',
  '* /api/v1/**',
  'POST /api/v1/apptoken/grant',
  'GET /scim/v2/*',
  'GET /api/v1/auth/verify',
  '/api/v1/me',
  'GET /a/../api/v1/keys',
  'GET /api/v1/%2e%2e/keys',
  'no slash',
  'GET',
  '* /**',
  'GET /api/v1/apptoken/*',
  'DELETE /api/v1/apptoken/*',
];
const PERMISSIONS = [
  'billing:read',
  'tokens:read',
  'tokens:grant',
  'tokens:exchange',
  'tokens:import',
  'keys:rotate',
  'identities:write',
  '*',
  'custom:*',
  'custom:*:read',
  'a:b',
  'fuzz:write',
  'NOT VALID',
  'tokens:*',
];
const TOKEN_TYPE_URIS = [
  'urn:ietf:params:oauth:token-type:access_token',
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:tokenward:params:oauth:token-type:session',
  'urn:ietf:params:oauth:token-type:refresh_token',
  'bogus',
];
const TOKEN_FIELDS = new Set([
  'token',
  'subject_token',
  'actor_token',
  'refresh_token',
  'refreshToken',
  'personalToken',
]);

/** Realistic values for fields whose schema alone says little (ids, role names, tokens, dates). */
function hintsFor(op: Op): SchemaArbitraryOptions['hint'] {
  return (name, _schema, path) => {
    if (name === undefined || name === '[]') return undefined;
    if (TOKEN_FIELDS.has(name)) {
      const importing = op.key === 'POST /api/v1/apptoken';
      // PAT authentication works only with the personal token of the user named.
      const patLogin = op.key === 'POST /api/v1/PersonalTokens/authenticate' && name === 'personalToken';
      const refreshing = op.key === 'POST /api/v1/token/refresh';
      return fc.oneof(
        { weight: refreshing ? 6 : 0, arbitrary: ph('refreshSecret') },
        {
          weight: patLogin ? 4 : 0,
          arbitrary: fc.constant(new Placeholder('secret', SECRET_NAMES.indexOf('pat'))),
        },
        { weight: importing ? 0 : 4, arbitrary: ph('liveSecret') },
        { weight: importing ? 1 : 2, arbitrary: secretArb },
        { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
        { weight: importing ? 4 : 1, arbitrary: importing ? highEntropyArb : fakeTokenArb },
      );
    }
    switch (name) {
      case 'username':
        return fc.oneof(
          {
            weight: op.key === 'POST /api/v1/PersonalTokens/authenticate' ? 4 : 0,
            arbitrary: fc.constant(new Placeholder('patUser', 0)),
          },
          ph('identityName'),
          fc.constant(new Placeholder('sessionUser', 0)),
          ph('identityEmail'),
          fc.string({ minLength: 1, maxLength: 20 }),
        );
      case 'password':
        return fc.oneof(
          fc.constant(new Placeholder('sessionPassword', 0)),
          fc.string({ minLength: 8, maxLength: 24 }),
          fc.constant(null),
        );
      case 'role':
      case 'roles':
        // A list where the schema takes only a list; a name or a list where it takes both.
        if (_schema.type === 'array') return fc.array(roleNameArb, { maxLength: 3 });
        return fc.oneof(roleNameArb, fc.array(roleNameArb, { maxLength: 3 }));
      case 'identity':
        if (op.path.includes('import-hashes'))
          return fc.oneof(ph('identityName'), fc.string({ minLength: 1, maxLength: 10 }));
        return fc.oneof(
          ph('identityName'),
          ph('identityId'),
          ph('identityName').map((n) => ({ name: n })),
          ph('identityId').map((n) => ({ id: n })),
          fc.string({ minLength: 1, maxLength: 10 }),
        );
      case 'identityId':
        return path.length === 0 ? undefined : ph('identityId');
      case 'expiration':
      case 'created':
      case 'revokedDate':
        if (op.path.includes('import-hashes')) {
          return fc.oneof(
            secondsArb.map((s) => new Placeholder('isoIn', s)),
            fc.constantFrom<unknown>(name === 'revokedDate' ? null : 'not a date'),
          );
        }
        return dateArb;
      case 'tokenExpiryTimestamp':
      case 'renewableUntilTimestamp':
        return fc.oneof(
          fc.constant(0),
          secondsArb.map((s) => new Placeholder('epochIn', s)),
        );
      case 'apiEndpoints':
        return fc.oneof(
          fc.array(fc.constantFrom(...ENDPOINTS), { maxLength: 3 }),
          ...(op.path.includes('import-hashes') ? [fc.constant(null)] : []),
        );
      case 'permissions':
        return fc.array(fc.constantFrom(...PERMISSIONS), { maxLength: 4 });
      case 'scope':
        if (op.path.endsWith('/exchange')) {
          return fc
            .array(
              fc.constantFrom(
                'Reader',
                'Operator',
                'Administrator',
                'tokens:read',
                'identities:read',
                '*',
                'nonsense',
              ),
              { maxLength: 3 },
            )
            .map((a) => a.join(' '));
        }
        if (op.path.startsWith('/api/v1/apptoken/grant')) {
          return fc.oneof(
            { weight: 3, arbitrary: fc.constant('all') },
            { weight: 1, arbitrary: fc.constant('custom') },
          );
        }
        return undefined;
      case 'tokenType':
        return fc.oneof(
          fc.constantFrom('DEFAULT', 'MS_SCIM', 'ALL', 'CUSTOM', 'OneTouch', 'onetouch', 'BOGUS', ''),
          fc.integer({ min: -1, max: 5 }),
        );
      case 'kind':
        return op.path.includes('import-hashes')
          ? fc.constantFrom('app', 'personal', 'access', 'bogus')
          : undefined;
      case 'token_hash':
        return fc.oneof(
          fc.string({ unit: fc.constantFrom(...HEX), minLength: 64, maxLength: 64 }),
          ph('tokenHash'),
        );
      case 'subject_token_type':
      case 'actor_token_type':
      case 'requested_token_type':
        return fc.oneof(
          { weight: 4, arbitrary: fc.constant(TOKEN_TYPE_URIS[0]!) },
          { weight: 3, arbitrary: fc.constantFrom(...TOKEN_TYPE_URIS) },
        );
      case 'email':
        return fc.oneof(
          fc
            .string({ unit: fc.constantFrom(...'abcdefgh0123'), minLength: 1, maxLength: 10 })
            .map((s) => `${s}@example.com`),
          fc.constant(null),
        );
      case 'name':
        if (op.key === 'POST /api/v1/role')
          return fc.oneof(ph('roleName'), fc.stringMatching(/^[A-Z][A-Za-z0-9_-]{1,12}$/));
        if (op.path.startsWith('/api/v1/identity')) {
          return fc.oneof(
            { weight: 1, arbitrary: ph('identityName') },
            { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 10 }).map((s) => `fzn-${s}`) },
          );
        }
        return undefined;
      case 'since':
      case 'until':
        return fc.oneof(
          secondsArb.map((x) => new Placeholder('isoIn', -x)),
          fc.constantFrom('yesterday', '2020-01-01', ''),
        );
      case 'source':
        return fc.constantFrom('local', 'ldap', 'scim');
      default:
        return undefined;
    }
  };
}

const PARAM_MUTATIONS = [
  '0',
  '-1',
  '99999999999',
  '2147483648',
  '9007199254740993',
  '999999999999999',
  '1e3',
  '1.0',
  '0x1',
  '%00',
  '1%00',
  '..',
  '%2e%2e',
  '%2F',
  '1%2F..%2F2',
  '%20',
  '+',
  '%ff',
  '%',
  '%E2%80%AE',
  '%EF%BC%91',
  'Administrator%00',
  '9'.repeat(300),
  'R'.repeat(70),
];

const PATH_MUTATIONS = [
  'trailing-slash',
  'double-slash',
  'upper-case',
  'random-case',
  'commandcenter',
  'dot-segment',
  'encoded-dot-segment',
  'encoded-slash',
  'nul-suffix',
  'semicolon',
  'backslash',
  'bad-percent',
  'empty-query',
] as const;

const QUERY_MUTATIONS = [
  '',
  '-1',
  '0',
  '1e309',
  '99999999999',
  'abc',
  'true',
  '[]',
  '\u0000',
  '\ud800',
  'Z'.repeat(5000),
  '1,2',
  ' 1',
];

const RAW_BODIES: Array<string | number[]> = [
  '',
  'null',
  '[]',
  '"text"',
  '123',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '\ufeff{}',
  '{}garbage',
  'NaN',
  'a=b&c=d',
  '{"a":"\\ud800"}',
  '{"name":"\\u0000"}',
  '['.repeat(5000),
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d],
  [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00],
];

const SPOOF_HEADERS: Array<[string, string]> = [
  ['x-tokenward-identity', '1'],
  ['x-tokenward-identity-name', 'admin'],
  ['x-tokenward-roles', 'Administrator'],
  ['x-tokenward-permissions', '*'],
  ['x-forwarded-for', '127.0.0.1'],
  ['x-real-ip', '127.0.0.1'],
  ['x-forwarded-proto', 'https'],
  ['x-http-method-override', 'DELETE'],
  ['x-original-url', '/api/v1/keys/rotate'],
  ['x-rewrite-url', '/api/v1/keys'],
  ['host', 'evil.example'],
  ['origin', 'https://evil.example'],
];

const ORIGINAL_URIS = [
  '/api/v1/me',
  '/scim/v2/Users',
  '/scim/v2/Users?filter=x',
  '/api/v1/identity/1',
  '/scim/v2/../api/v1/keys',
  '/scim/v2/%2e%2e/api/v1/keys',
  '/scim/v2/..%2Fapi/v1/keys',
  '/api/v1/identity%2F1',
  '//api/v1/me',
  '/scim/v2',
  '',
  'http://evil.example/api/v1/me',
  '/x\\..\\y',
  '/%00',
  '/api/v1/ME',
];

const headerMutationArb: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.record({
    type: fc.constant('second-credential' as const),
    header: fc.constantFrom('authorization', 'authtoken', 'x-tokenward-authorization', 'x-psu-authorization'),
    secret: fc.nat(),
  }),
  fc.record({ type: fc.constant('repeat-authorization' as const), secret: fc.nat(), same: fc.boolean() }),
  fc.record({
    type: fc.constant('empty-bearer' as const),
    value: fc.constantFrom(
      'Bearer ',
      'Bearer',
      '',
      'bearer  ',
      'Basic YWRtaW46eA==',
      'Bearer  x y',
      'Token abc',
    ),
  }),
  fc.record({ type: fc.constant('authtoken-twice' as const), secret: fc.nat() }),
  fc.record({
    type: fc.constant('content-type' as const),
    value: fc.constantFrom(
      'text/plain',
      'application/xml',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'APPLICATION/JSON',
      'application/json, text/plain',
      'application/merge-patch+json',
      '',
    ),
  }),
  fc.constantFrom(...SPOOF_HEADERS).map(([name, value]) => ({ type: 'spoof' as const, name, value })),
  fc.record({
    type: fc.constant('huge' as const),
    name: fc.constantFrom('x-filler', 'user-agent', 'authorization', 'cookie', 'x-csrf-token', 'authtoken'),
    length: fc.constantFrom(4096, 8200, 12_000),
  }),
  fc.record({
    type: fc.constant('csrf' as const),
    value: fc.constantFrom('', 'wrong', 'null', 'Z'.repeat(100)),
  }),
  fc.record({
    type: fc.constant('cookie' as const),
    value: fc.constantFrom(
      'tw_session=',
      'tw_session=garbage',
      'tw_session=a; tw_session=b',
      'tw_csrf=x',
      '=;;=',
      'tw_session=%00',
    ),
  }),
  fc.record({
    type: fc.constant('original' as const),
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'get', 'BREW', ''),
    uri: fc.constantFrom(...ORIGINAL_URIS),
  }),
);

function idParamArb(op: Op, name: string): fc.Arbitrary<unknown> {
  if (name === 'identityId' || op.path.startsWith('/api/v1/identity')) {
    return fc.oneof(
      { weight: 4, arbitrary: ph('identityId') },
      { weight: 1, arbitrary: ph('callerIdentityId') },
    );
  }
  if (op.path.startsWith('/api/v1/usersession')) {
    return fc.oneof({ weight: 2, arbitrary: ph('ownSessionId') }, { weight: 1, arbitrary: ph('sessionId') });
  }
  if (name === 'name') {
    return fc.oneof(
      { weight: 3, arbitrary: ph('roleName') },
      { weight: 1, arbitrary: fc.constantFrom('Administrator', 'Operator', 'Reader', 'administrator') },
    );
  }
  // The caller's own tokens (of the route's kind), anyone's, and the other callers'.
  const own = op.path.startsWith('/api/v1/PersonalTokens')
    ? 'ownPersonalTokenId'
    : op.path.startsWith('/api/v4/')
      ? 'ownAccessTokenId'
      : 'ownTokenId';
  return fc.oneof(
    { weight: 3, arbitrary: ph(own) },
    { weight: 2, arbitrary: ph('tokenId') },
    { weight: 1, arbitrary: ph('callerTokenId') },
  );
}

interface Part {
  notes: string[];
}

/** Path parameters: ids that exist (anyone's), or schema-valid text; one mutated when `mutate`. */
function paramsArb(
  op: Op,
  options: SchemaArbitraryOptions,
  mutate: boolean,
): fc.Arbitrary<Part & { values: Record<string, unknown> }> {
  const valid = op.pathParams.length
    ? fc.tuple(
        ...op.pathParams.map((p) =>
          fc.oneof(
            { weight: 4, arbitrary: idParamArb(op, p.name) },
            { weight: 1, arbitrary: validArbitrary(p.schema, options) },
          ),
        ),
      )
    : fc.constant([] as unknown[]);
  return fc.tuple(valid, fc.nat(), fc.constantFrom(...PARAM_MUTATIONS)).map(([list, which, bad]) => {
    const values: Record<string, unknown> = {};
    op.pathParams.forEach((p, i) => {
      values[p.name] = list[i];
    });
    const notes: string[] = [];
    if (mutate && op.pathParams.length > 0) {
      const p = op.pathParams[which % op.pathParams.length]!;
      values[p.name] = new RawJson(bad);
      notes.push(`path ${p.name} = ${bad.length > 40 ? `${bad.slice(0, 4)}…(${bad.length})` : bad}`);
    }
    return { values, notes };
  });
}

/** Query pairs: valid values for some parameters; with `mutate`, odd values and shapes too. */
function queryArb(
  op: Op,
  options: SchemaArbitraryOptions,
  mutate: boolean,
): fc.Arbitrary<Part & { pairs: Array<[string, unknown]> }> {
  type One = { pairs: Array<[string, unknown]>; note: string | null } | null;
  const perParam = op.query.map((p): fc.Arbitrary<One> => {
    const valid = validArbitrary(p.schema, options, [p.name]).map(
      (v): One => ({ pairs: [[p.name, v]], note: null }),
    );
    if (!mutate) return fc.oneof(fc.constant(null), valid);
    return fc.oneof(
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: valid },
      {
        weight: 3,
        arbitrary: fc.constantFrom(...QUERY_MUTATIONS).map(
          (v): One => ({
            pairs: [[p.name, v]],
            note: `query ${p.name}=${JSON.stringify(v.length > 20 ? `${v.slice(0, 3)}…(${v.length})` : v)}`,
          }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom('repeated', 'brackets', 'object', 'bare').map((how): One => {
          const pairs: Array<[string, unknown]> =
            how === 'repeated'
              ? [
                  [p.name, '1'],
                  [p.name, '2'],
                ]
              : how === 'brackets'
                ? [[`${p.name}[]`, '1']]
                : how === 'object'
                  ? [[`${p.name}[a]`, '1']]
                  : [[p.name, null]];
          return { pairs, note: `query ${p.name} ${how}` };
        }),
      },
    );
  });
  const extra: fc.Arbitrary<One> = mutate
    ? fc
        .constantFrom<Array<[string, unknown]>>(
          [['unknown', '1']],
          [['__proto__[isAdmin]', 'true']],
          [['constructor[prototype][x]', '1']],
          [['personalToken', new Placeholder('secret', 1)]],
          [['access_token', new Placeholder('secret', 0)]],
        )
        .map((pairs) => ({ pairs, note: `query ${pairs[0]![0]}` }))
    : fc.constant(null);
  return fc.tuple(fc.tuple(...perParam), extra, fc.boolean()).map(([parts, more, withExtra]) => {
    const pairs: Array<[string, unknown]> = [];
    const notes: string[] = [];
    const chosen = [...parts];
    // A mutated query string has at least one odd part.
    if (more && (withExtra || !parts.some((p) => p?.note))) chosen.push(more);
    for (const part of chosen) {
      if (!part) continue;
      pairs.push(...part.pairs);
      if (part.note) notes.push(part.note);
    }
    return { pairs, notes };
  });
}

/** A body: valid for the schema, or (with `mutate`) mutated, not JSON, of the other kind, or none. */
function bodyArb(
  op: Op,
  options: SchemaArbitraryOptions,
  mutate: boolean,
): fc.Arbitrary<Part & { body: Body }> {
  const none: Part & { body: Body } = { body: { kind: 'none' }, notes: [] };
  const raw = fc.constantFrom(...RAW_BODIES).map((text) => ({
    body: { kind: 'raw', text } as Body,
    notes: [
      `raw body ${JSON.stringify(typeof text === 'string' ? text.slice(0, 20) : `bytes ${text.join(',')}`)}`,
    ],
  }));
  const schema = op.json ?? op.form;
  if (!schema) {
    if (!mutate) return fc.constant(none);
    return fc.oneof(
      fc
        .jsonValue({ maxDepth: 2 })
        .map((value) => ({ body: { kind: 'json', value } as Body, notes: ['a body where none is taken'] })),
      raw,
    );
  }
  const kind = op.json ? 'json' : 'form';
  const valid = validArbitrary(schema, options).map((value) => ({
    body: { kind, value } as Body,
    notes: [] as string[],
  }));
  if (!mutate) return valid;
  return fc.oneof(
    {
      weight: 8,
      arbitrary: mutatedArbitrary(schema, options).map(({ value, mutations }) => ({
        body: (value === undefined ? { kind: 'none' } : { kind, value }) as Body,
        notes: mutations,
      })),
    },
    {
      weight: 1,
      arbitrary: validArbitrary(schema, options).map((value) => ({
        body: { kind: kind === 'json' ? 'form' : 'json', value } as Body,
        notes: [kind === 'json' ? 'sent as a form' : 'sent as JSON'],
      })),
    },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: fc.constant<Part & { body: Body }>({ ...none, notes: ['no body'] }) },
  );
}

/** Callers drawn: the powerful ones more often, since they reach furthest into a route. */
const CALLER_WEIGHTS: Partial<Record<CallerKind, number>> = { admin: 5, 'session-csrf': 2, operator: 2 };
const callerArb = fc.oneof(
  ...CALLER_KINDS.map((k) => ({ weight: CALLER_WEIGHTS[k] ?? 1, arbitrary: fc.constant(k) })),
);

/**
 * One request plan for `op`. Each plan mutates one part of the request (its focus) and keeps the
 * others valid, so a mutation is judged by the code behind the parts that pass; `chaos`
 * mutates everything at once.
 */
function planArb(op: Op): fc.Arbitrary<Plan> {
  const options: SchemaArbitraryOptions = {
    hint: hintsFor(op),
    resolveRef: op.resolveRef,
    maxStringLength: 24,
    maxArrayLength: 3,
  };
  const pathMutation = fc.constantFrom(...PATH_MUTATIONS);
  const headerMutations = fc.array(headerMutationArb, { minLength: 1, maxLength: 2 });
  const make = (
    focus: string,
    m: { params: boolean; path: boolean; query: boolean; body: boolean; headers: boolean },
  ) =>
    fc.record({
      focus: fc.constant(focus),
      params: paramsArb(op, options, m.params),
      pathMutation: m.path ? pathMutation.map((x): string | null => x) : fc.constant<string | null>(null),
      query: queryArb(op, options, m.query),
      body: bodyArb(op, options, m.body),
      headers: m.headers ? headerMutations : fc.constant<HeaderMutation[]>([]),
    });
  const off = { params: false, path: false, query: false, body: false, headers: false };
  const hasParams = op.pathParams.length > 0;
  const focused = fc.oneof(
    { weight: 3, arbitrary: make('valid', off) },
    { weight: op.json || op.form ? 6 : 1, arbitrary: make('body', { ...off, body: true }) },
    { weight: op.query.length > 0 ? 2 : 0, arbitrary: make('query', { ...off, query: true }) },
    { weight: hasParams ? 2 : 0, arbitrary: make('params', { ...off, params: true }) },
    { weight: 1, arbitrary: make('path', { ...off, path: true }) },
    { weight: 2, arbitrary: make('headers', { ...off, headers: true }) },
    {
      weight: 1,
      arbitrary: make('chaos', {
        params: hasParams,
        path: true,
        query: op.query.length > 0,
        body: true,
        headers: true,
      }),
    },
  );
  const originalArb =
    op.path === '/api/v1/auth/verify'
      ? fc.option(
          fc.record({
            type: fc.constant('original' as const),
            method: fc.constantFrom('GET', 'POST', 'DELETE'),
            uri: fc.constantFrom(...ORIGINAL_URIS),
          }),
          { freq: 4 },
        )
      : fc.constant(null);
  return fc
    .record({ caller: callerArb, parts: focused, original: originalArb, sharedAddress: fc.nat({ max: 7 }) })
    .map(({ caller, parts, original, sharedAddress }) => {
      const notes = [...parts.params.notes];
      if (parts.pathMutation) notes.push(`path: ${parts.pathMutation}`);
      notes.push(...parts.query.notes, ...parts.body.notes);
      for (const h of parts.headers) notes.push(`header: ${h.type}${'name' in h ? ` ${h.name}` : ''}`);
      return {
        op,
        caller,
        params: parts.params.values,
        pathMutation: parts.pathMutation,
        query: parts.query.pairs,
        body: parts.body.body,
        headers: original ? [original, ...parts.headers] : parts.headers,
        notes,
        sharedAddress: sharedAddress === 0,
      };
    });
}

/* ------------------------------------------------------------------------------------------ */
/* The world: app, clock, callers                                                             */
/* ------------------------------------------------------------------------------------------ */

interface World {
  dialect: 'sqlite' | 'postgres';
  store: StoreHandle;
  app: App;
  clock: FakeClock;
  logs: string[];
  callers: CallerSet;
  /** `table:key` of every row made with the callers: a change to one means remaking them. */
  callerRows: Set<string>;
  /** Token row key of each caller's credential (and of the root token). */
  rowOfSecret: Map<string, string>;
  /** The store as the last request left it. */
  snapshot: StoreSnapshot;
  /** Every secret value ever made in this world → name printed instead (`admin#2`). */
  names: Map<string, string>;
  generation: number;
  remakes: number;
  renewals: number;
  rebuilds: number;
  addressCounter: number;
}

const db = (w: { app: App }) => w.app.tw.store.db;

/** The store now: the last snapshot when the digest says nothing changed, else a new one. */
async function observe(w: World): Promise<StoreSnapshot> {
  const digest = await storeDigest(db(w));
  return digest === w.snapshot.digest ? w.snapshot : storeSnapshot(db(w));
}

async function buildWorld(dialect: 'sqlite' | 'postgres'): Promise<World> {
  const store = freshStore(dialect);
  const clock = fakeClock();
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      if (logs.length > 2000) logs.splice(0, logs.length - 1000);
      cb();
    },
  });
  const app = await buildApp({
    config: testConfig(store, { logLevel: 'warn' }),
    clock: clock.clock,
    logStream,
  });
  await app.ready();
  const w = {
    dialect,
    store,
    app,
    clock,
    logs,
    names: new Map(),
    generation: 0,
    remakes: 0,
    renewals: 0,
    rebuilds: 0,
    addressCounter: 0,
  } as unknown as World;
  await remakeCallers(w, {});
  return w;
}

/** Names the secrets of the current callers and finds their rows. */
function learnSecrets(w: World, after: StoreSnapshot): void {
  const byHash = new Map<string, string>();
  for (const [key, row] of after.rows.tokens) byHash.set(String(row.token_hash), key);
  for (const [value, name] of w.callers.secrets) {
    if (!w.names.has(value)) w.names.set(value, w.generation === 1 ? name : `${name}#${w.generation}`);
    const row = byHash.get(hashToken(value));
    if (!row) continue;
    w.rowOfSecret.set(value, row);
    // Only a change to a working credential (or the root) calls for new callers: refresh tokens
    // may be rotated, and the stale callers stay refused whatever happens to their rows.
    if (DEAD_SECRETS.has(name) || name.endsWith('.refreshToken')) w.callerRows.delete(`tokens:${row}`);
    else w.callerRows.add(`tokens:${row}`);
  }
}

const DEAD_SECRETS = new Set(['revoked', 'expired', 'malformed']);

async function remakeCallers(w: World, reuse: { root?: boolean; session?: boolean }): Promise<void> {
  const before = await storeSnapshot(db(w));
  const previous = w.callers;
  w.callers = await createCallers(w.app, {
    advanceClock: (ms) => w.clock.advance(ms),
    now: () => w.clock.now(),
    ...(reuse.root && previous ? { root: previous.root } : {}),
    ...(reuse.session && previous ? { session: previous.sessionUser } : {}),
  });
  const after = await storeSnapshot(db(w));
  w.generation++;
  w.callerRows = new Set(
    diffSnapshots(before, after)
      .filter((c) => c.kind === 'added')
      .map((c) => `${c.table}:${c.key}`),
  );
  w.rowOfSecret = new Map();
  learnSecrets(w, after);
  w.snapshot = after;
}

/** Makes the callers again after some were changed; a new app and store if even that fails. */
async function repair(w: World): Promise<void> {
  for (const reuse of [{ root: true, session: true }, { session: true }, {}]) {
    try {
      await remakeCallers(w, reuse);
      w.remakes++;
      return;
    } catch {
      // The root token may be revoked, the session identity changed: try without them.
    }
  }
  const fresh = await buildWorld(w.dialect);
  await w.app.close();
  await w.store.drop();
  const { names } = w;
  for (const [k, v] of fresh.names) names.set(k, `${v}@${w.rebuilds + 1}`);
  Object.assign(w, { ...fresh, names, rebuilds: w.rebuilds + 1, remakes: w.remakes, renewals: w.renewals });
}

/** After a request changed caller rows: a new single-use token when only that was spent, else new callers. */
async function recover(w: World, damaged: RowChange[]): Promise<void> {
  const oneTouch = w.callers.callers['v4-onetouch'].secrets[0];
  const oneTouchRow = oneTouch === undefined ? undefined : w.rowOfSecret.get(oneTouch);
  if (damaged.every((c) => c.table === 'tokens' && c.key === oneTouchRow)) {
    try {
      await renewSingleUse(w.app, w.callers);
      const after = await storeSnapshot(db(w));
      learnSecrets(w, after);
      w.snapshot = after;
      w.renewals++;
      return;
    } catch {
      // The Operator caller cannot mint any more: make them all again.
    }
  }
  await repair(w);
}

/* ------------------------------------------------------------------------------------------ */
/* Sending                                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string | Buffer;
  remoteAddress: string;
  /**
   * Secret values the request carries anywhere (the callers' secrets, and values of token fields
   * in the body or query), and those presented as credentials in headers.
   */
  carried: string[];
  headerCredentials: string[];
  /** Names for carried values that are not the callers' (`token value`). */
  labels: Map<string, string>;
}

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  /** Error lines the server logged while answering. */
  logged: string[];
}

function pickOf<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length];
}

function resolverFor(w: World, caller: CallerKind): (p: Placeholder) => unknown {
  const s = w.snapshot.rows;
  const me = String(w.callers.callers[caller].identityId ?? w.callers.identities.admin.id);
  const own = (kinds: string[] | null) =>
    [...s.tokens]
      .filter(([, row]) => row.identity_id === me && (kinds === null || kinds.includes(String(row.kind))))
      .map(([key]) => Number(key));
  const ownOr = (ids: number[], i: number) => pickOf(ids, i) ?? Number(pickOf([...s.tokens.keys()], i) ?? 1);
  const secretValue = (i: number) => {
    const name = SECRET_NAMES[i % SECRET_NAMES.length]!;
    for (const [value, n] of w.callers.secrets) if (n === name) return value;
    return 'tw_app_unknown';
  };
  const identities = [...s.identities.values()];
  return (p) => {
    switch (p.name) {
      case 'secret':
        return secretValue(p.index);
      case 'liveSecret':
        return pickOf(
          w.callers.list.filter((c) => c.live && c.kind !== 'v4-onetouch' && !c.kind.startsWith('session')),
          p.index,
        )!.secrets[0];
      case 'refreshSecret':
        return (
          pickOf(
            [...w.callers.secrets].filter(([, n]) => n.endsWith('.refreshToken')).map(([v]) => v),
            p.index,
          ) ?? 'tw_rt_none'
        );
      case 'patUser':
        return String(s.identities.get(String(w.callers.callers.pat.identityId))?.name ?? 'admin');
      case 'tokenId':
        return Number(pickOf([...s.tokens.keys()], p.index) ?? 1);
      case 'ownTokenId':
        return ownOr(own(null), p.index);
      case 'ownPersonalTokenId':
        return ownOr(own(['personal']), p.index);
      case 'ownAccessTokenId':
        return ownOr(own(['access', 'refresh', 'opaque']), p.index);
      case 'ownSessionId':
        return (
          pickOf(
            [...s.sessions].filter(([, row]) => row.identity_id === me).map(([key]) => Number(key)),
            p.index,
          ) ?? Number(pickOf([...s.sessions.keys()], p.index) ?? 1)
        );
      case 'tokenHash':
        return String(pickOf([...s.tokens.values()], p.index)?.token_hash ?? '0'.repeat(64));
      case 'callerTokenId':
        return pickOf(
          w.callers.list.map((c) => c.tokenId).filter((x): x is number => x !== null),
          p.index,
        );
      case 'identityId':
        return Number(pickOf([...s.identities.keys()], p.index) ?? 1);
      case 'callerIdentityId':
        return pickOf(
          w.callers.list.map((c) => c.identityId).filter((x): x is number => x !== null),
          p.index,
        );
      case 'identityName':
        return String(pickOf(identities, p.index)?.name ?? 'admin');
      case 'identityEmail':
        return String(
          pickOf(
            identities.filter((i) => i.email),
            p.index,
          )?.email ?? 'nobody@example.com',
        );
      case 'sessionId':
        return Number(pickOf([...s.sessions.keys()], p.index) ?? 1);
      case 'roleName':
        return String(pickOf([...s.roles.keys()], p.index) ?? 'Reader');
      case 'sessionUser':
        return w.callers.sessionUser.username;
      case 'sessionPassword':
        return w.callers.sessionUser.password;
      case 'isoIn':
        return new Date(w.clock.now() + p.index * 1000).toISOString();
      case 'msDateIn':
        return `/Date(${w.clock.now() + p.index * 1000})/`;
      case 'epochIn':
        return Math.floor(w.clock.now() / 1000) + p.index;
      default:
        throw new Error(`unknown placeholder ${p.name}`);
    }
  };
}

function mutatePath(path: string, how: string | null, op: Op): string {
  switch (how) {
    case null:
      return path;
    case 'trailing-slash':
      return `${path}/`;
    case 'double-slash':
      return path.replace(/\/([^/]*)$/, '//$1');
    case 'upper-case':
      return path.toUpperCase();
    case 'random-case':
      return path.replace(/[a-z]/g, (c, i: number) => (i % 3 === 0 ? c.toUpperCase() : c));
    case 'commandcenter':
      return COMPAT_PATHS.test(op.path) ? `/commandcenter${path}` : `/commandcenter${path.toUpperCase()}`;
    case 'dot-segment':
      return path.replace(/^\/api\//, '/api/x/../');
    case 'encoded-dot-segment':
      return path.replace(/^\/api\//, '/api/%2e%2e/api/');
    case 'encoded-slash':
      return path.replace(/\/(?=[^/]*$)/, '%2F');
    case 'nul-suffix':
      return `${path}%00`;
    case 'semicolon':
      return `${path};jsessionid=1`;
    case 'backslash':
      return path.replace(/\//g, (m, i: number) => (i > 0 && i % 2 === 0 ? '\\' : m));
    case 'bad-percent':
      return `${path}%zz`;
    case 'empty-query':
      return `${path}?`;
    default:
      return path;
  }
}

function materialize(w: World, plan: Plan): Sent {
  const resolve = resolverFor(w, plan.caller);
  const caller = w.callers.callers[plan.caller];
  let path = plan.op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = plan.params[name];
    if (v instanceof RawJson) return v.text;
    return percentEncode(scalarText(v, resolve));
  });
  path = mutatePath(path, plan.pathMutation, plan.op);
  const query = plan.query
    .map(([k, v]) =>
      v === null ? percentEncode(k) : `${percentEncode(k)}=${percentEncode(scalarText(v, resolve))}`,
    )
    .join('&');
  const url = query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path;

  const headers: Record<string, string | string[]> = { ...caller.headers };
  let payload: string | Buffer | undefined;
  if (plan.body.kind === 'json') {
    payload = toJsonText(plan.body.value, resolve);
    headers['content-type'] = 'application/json';
  } else if (plan.body.kind === 'form') {
    payload = toFormText(plan.body.value, resolve);
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (plan.body.kind === 'raw') {
    payload = typeof plan.body.text === 'string' ? plan.body.text : Buffer.from(plan.body.text);
    headers['content-type'] = 'application/json';
  }
  const secretValue = (i: number) => String(resolve(new Placeholder('secret', i)));
  let hugeDone = false;
  for (const h of plan.headers) {
    switch (h.type) {
      case 'second-credential': {
        const value = secretValue(h.secret);
        const existing = headers[h.header];
        const fresh = h.header === 'authorization' ? `Bearer ${value}` : value;
        headers[h.header] = existing === undefined ? fresh : [existing as string, fresh].flat();
        break;
      }
      case 'repeat-authorization': {
        const first = (headers.authorization as string | undefined) ?? `Bearer ${secretValue(h.secret)}`;
        headers.authorization = [first, h.same ? first : `Bearer ${secretValue(h.secret)}`];
        break;
      }
      case 'empty-bearer':
        headers.authorization = h.value;
        break;
      case 'authtoken-twice':
        headers.authtoken = [secretValue(h.secret), secretValue(h.secret + 1)];
        break;
      case 'content-type':
        if (h.value === '') delete headers['content-type'];
        else headers['content-type'] = h.value;
        break;
      case 'spoof':
        headers[h.name] = h.value;
        break;
      case 'huge': {
        // One huge header at most: Node refuses more than 16 KiB of headers before any route.
        if (hugeDone) break;
        hugeDone = true;
        const filler = 'A'.repeat(h.length);
        headers[h.name] =
          h.name === 'authorization'
            ? `Bearer ${filler}`
            : h.name === 'cookie'
              ? `tw_session=${filler}`
              : filler;
        break;
      }
      case 'csrf':
        headers['x-csrf-token'] = h.value;
        break;
      case 'cookie': {
        const existing = headers.cookie;
        headers.cookie = existing === undefined ? h.value : `${existing as string}; ${h.value}`;
        break;
      }
      case 'original':
        headers['x-original-method'] = h.method;
        headers['x-original-uri'] = h.uri;
        break;
    }
  }
  const everything = [
    url,
    ...Object.values(headers).flat(),
    typeof payload === 'string' ? payload : (payload?.toString('latin1') ?? ''),
  ].join('\n');
  // Placeholders resolve to the current callers' secrets only.
  const carried = [...w.callers.secrets.keys()].filter((secret) => everything.includes(secret));
  const credentialText = ['authorization', 'authtoken', 'x-tokenward-authorization', 'x-psu-authorization']
    .flatMap((name) => [headers[name] ?? []].flat())
    .join('\n');
  const headerCredentials = carried.filter((secret) => credentialText.includes(secret));
  // Token values the request sends in token fields (an imported value, a made-up token).
  const labels = new Map<string, string>();
  const fieldValue = (key: string, v: unknown) => {
    const text = v instanceof Placeholder ? resolve(v) : v;
    if (TOKEN_FIELDS.has(key) && typeof text === 'string' && text.length >= 16 && !w.names.has(text)) {
      labels.set(text, `${key} value`);
    }
  };
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8 || v === null || typeof v !== 'object' || v instanceof RawJson || v instanceof Placeholder)
      return;
    const entries: ReadonlyArray<readonly [string, unknown]> =
      v instanceof JsonEntries
        ? v.entries
        : Array.isArray(v)
          ? v.map((x, i) => [String(i), x] as const)
          : Object.entries(v);
    for (const [k, x] of entries) {
      fieldValue(k, x);
      walk(x, depth + 1);
    }
  };
  if (plan.body.kind === 'json' || plan.body.kind === 'form') walk(plan.body.value, 0);
  for (const [k, v] of plan.query) fieldValue(k, v);
  carried.push(...labels.keys());
  w.addressCounter++;
  const n = w.addressCounter;
  const remoteAddress = plan.sharedAddress
    ? '10.255.255.254'
    : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return {
    method: plan.op.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
    remoteAddress,
    carried,
    headerCredentials,
    labels,
  };
}

async function send(w: World, sent: Sent): Promise<Answer> {
  const logStart = w.logs.length;
  const res = await lightMyRequest(
    (req, res) => {
      // light-my-request resolves `..` and `%2e` like a browser; the server must see them.
      req.url = sent.url;
      // Node's IncomingMessage has headersDistinct (plugins/auth.ts reads it for repeated
      // Authorization headers); light-my-request's request does not.
      if (req.headersDistinct === undefined) {
        const distinct: Record<string, string[]> = {};
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          const name = req.rawHeaders[i]!.toLowerCase();
          distinct[name] = [...(distinct[name] ?? []), req.rawHeaders[i + 1]!];
        }
        Object.defineProperty(req, 'headersDistinct', { value: distinct });
      }
      w.app.routing(req, res);
    },
    {
      method: sent.method,
      url: '/',
      headers: sent.headers as Record<string, string>,
      remoteAddress: sent.remoteAddress,
      ...(sent.payload === undefined ? {} : { payload: sent.payload }),
    },
  );
  const logged = w.logs.slice(logStart).filter((line) => {
    try {
      return (JSON.parse(line) as { level?: number }).level! >= 50;
    } catch {
      return true;
    }
  });
  return { status: res.statusCode, headers: res.headers, text: res.body, logged };
}

/* ------------------------------------------------------------------------------------------ */
/* Judging                                                                                    */
/* ------------------------------------------------------------------------------------------ */

type Invariant =
  | 'no 5xx'
  | 'error body is {errorCode, errorMessage, code, requestId, docs}'
  | 'no token value echoed'
  | 'a 4xx leaves the store unchanged'
  | 'a GET or HEAD leaves the store unchanged'
  | '/auth/verify answers only 204, 401, 403, 429 or 503';

interface Violation {
  invariant: Invariant;
  /** What makes this failure distinct from others of the same invariant and operation. */
  cause: string;
  detail: string;
}

function errorCodeOf(a: Answer): string {
  try {
    const b = JSON.parse(a.text) as { code?: unknown };
    return typeof b.code === 'string' ? b.code : '-';
  } catch {
    return '-';
  }
}

function errorBodyProblem(op: Op, a: Answer): string | null {
  const type = String(a.headers['content-type'] ?? '');
  if (!/^application\/json/.test(type)) return `content-type ${JSON.stringify(type)}`;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return 'body is not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body is not an object';
  const b = body as Record<string, unknown>;
  if (!Number.isInteger(b.errorCode)) return 'errorCode is not an integer';
  if (typeof b.errorMessage !== 'string' || b.errorMessage.length === 0)
    return 'errorMessage is not a non-empty string';
  if (typeof b.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(b.code)) return 'code is not snake_case';
  if (typeof b.requestId !== 'string' || b.requestId.length === 0) return 'requestId is missing';
  if (b.docs !== `${ERRORS_DOCS_URL}#${b.code}`) return 'docs is not the link to the code';
  const extra = Object.keys(b).filter(
    (k) => !['errorCode', 'errorMessage', 'code', 'requestId', 'docs'].includes(k),
  );
  if (extra.length > 0 && !isOAuth(op)) return `extra fields ${extra.join(', ')}`;
  return null;
}

/** Store changes a request may cause even when refused or read-only (see the header comment). */
function unexplainedChanges(
  w: World,
  plan: Plan,
  sent: Sent,
  a: Answer,
  changes: RowChange[],
  before: StoreSnapshot,
): RowChange[] {
  const presentedRows = new Set(
    sent.headerCredentials.map((v) => w.rowOfSecret.get(v) ?? findRow(before, v)).filter(Boolean),
  );
  const carriedFamilies = new Set<string>();
  for (const value of sent.carried) {
    const key = w.rowOfSecret.get(value) ?? findRow(before, value);
    const row = key ? before.rows.tokens.get(key) : undefined;
    if (row) carriedFamilies.add(String(row.family_id ?? row.id));
  }
  return changes.filter((c) => {
    if (c.table === 'tokens' && c.kind === 'changed') {
      const cols = Object.keys(c.columns ?? {});
      // A single-use credential presented in the headers is spent by being used.
      if (
        presentedRows.has(c.key) &&
        cols.every((k) => k === 'spent_at_ms') &&
        c.columns?.spent_at_ms?.before === null
      ) {
        return false;
      }
      // A spent refresh token presented again revokes its family, with every credential minted
      // from it (issue 12: revocation trees), and is refused.
      if (
        plan.op.key === 'POST /api/v1/token/refresh' &&
        a.status === 401 &&
        cols.every((k) => k === 'revoked' || k === 'revoked_at_ms') &&
        inFamilyTree(before, c.key, carriedFamilies)
      ) {
        return false;
      }
    }
    // Seed 001: GET /api/v1/apptoken/grant[/{id}] grants a token.
    if (GRANT_ON_GET.has(plan.op.key) && a.status < 300 && c.table === 'tokens' && c.kind === 'added')
      return false;
    return true;
  });
}

/** Whether token row `key` is in one of `families`, or was minted (parent_id, transitively) from one. */
function inFamilyTree(s: StoreSnapshot, key: string, families: Set<string>): boolean {
  let row = s.rows.tokens.get(key);
  for (let depth = 0; row && depth < 64; depth++) {
    if (families.has(String(row.family_id ?? row.id))) return true;
    row = row.parent_id === null ? undefined : s.rows.tokens.get(String(row.parent_id));
  }
  return false;
}

function findRow(s: StoreSnapshot, value: string): string | undefined {
  const hash = hashToken(value);
  for (const [key, row] of s.rows.tokens) if (row.token_hash === hash) return key;
  return undefined;
}

function describeChange(c: RowChange): string {
  if (c.kind !== 'changed') return `${c.table} row ${c.key} ${c.kind}`;
  const cols = Object.entries(c.columns ?? {})
    .map(([k, v]) => `${k} ${short(JSON.stringify(v.before))} → ${short(JSON.stringify(v.after))}`)
    .join(', ');
  return `${c.table} row ${c.key}: ${cols}`;
}

function changeCause(c: RowChange): string {
  return c.kind === 'changed'
    ? `${c.table}.${Object.keys(c.columns ?? {})
        .sort()
        .join('+')}`
    : `${c.table} ${c.kind}`;
}

function short(s: string | undefined, max = 60): string {
  if (s === undefined) return 'undefined';
  return s.length > max ? `${s.slice(0, max)}…(${s.length})` : s;
}

function judge(
  w: World,
  plan: Plan,
  sent: Sent,
  a: Answer,
  before: StoreSnapshot,
  after: StoreSnapshot,
  same: boolean,
): Violation[] {
  const out: Violation[] = [];
  const code = errorCodeOf(a);
  if (a.status >= 500 || a.status < 100) {
    const cause = a.logged
      .map((line) => {
        try {
          const l = JSON.parse(line) as {
            err?: { type?: string; message?: string; code?: string };
            msg?: string;
          };
          return `${l.err?.type ?? ''} ${l.err?.code ?? ''} ${l.err?.message ?? l.msg ?? ''}`.trim();
        } catch {
          return line;
        }
      })
      .join(' | ');
    out.push({
      invariant: 'no 5xx',
      // One cause per kind of error: `no such column: extra` and `no such column: x` are one.
      cause:
        cause
          .split(' | ')
          .map((c) => c.replace(/:.*$/s, '').replace(/\d+/g, 'N'))
          .join(' | ')
          .slice(0, 160) || code,
      detail: cause.slice(0, 500),
    });
  }
  // Issue 12: a gateway turns any other answer of /auth/verify into a 500 (nginx auth_request).
  // (Only requests that reach the route: its exact path with a well-formed query string, as the
  // gateway's own configuration sends; a mangled URL is answered by the router, not the route.)
  const [verifyPath, verifyQuery = ''] = sent.url.split('?');
  const reachesVerify =
    verifyPath === '/api/v1/auth/verify' &&
    (() => {
      try {
        decodeURIComponent(verifyQuery);
        return true;
      } catch {
        return false;
      }
    })();
  if (reachesVerify && ![204, 401, 403, 429, 503].includes(a.status)) {
    out.push({
      invariant: '/auth/verify answers only 204, 401, 403, 429 or 503',
      cause: String(a.status),
      detail: `${a.status} ${code}`,
    });
  }
  if (a.status >= 400 && sent.method !== 'HEAD') {
    const problem = errorBodyProblem(plan.op, a);
    if (problem)
      out.push({
        invariant: 'error body is {errorCode, errorMessage, code, requestId, docs}',
        cause: problem,
        detail: problem,
      });
  }
  const answerText = `${a.text}\n${Object.values(a.headers).flat().join('\n')}`;
  const echoed = sent.carried.filter((secret) => secret.length >= 8 && answerText.includes(secret));
  if (echoed.length > 0) {
    const names = echoed.map((e) => w.names.get(e) ?? sent.labels.get(e) ?? '?').join(', ');
    out.push({ invariant: 'no token value echoed', cause: 'echo', detail: `the answer contains ${names}` });
  }
  const read = sent.method === 'GET' || sent.method === 'HEAD';
  const refused = a.status >= 400 && a.status < 500;
  if ((read || refused) && !same) {
    const changes = unexplainedChanges(w, plan, sent, a, diffSnapshots(before, after), before);
    if (changes.length > 0) {
      out.push({
        invariant: refused ? 'a 4xx leaves the store unchanged' : 'a GET or HEAD leaves the store unchanged',
        cause: [...new Set(changes.map(changeCause))].sort().join(' '),
        detail: changes.slice(0, 6).map(describeChange).join('; '),
      });
    }
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Running and reporting                                                                      */
/* ------------------------------------------------------------------------------------------ */

interface Failure {
  signature: string;
  violation: Violation;
  op: string;
  status: number;
  code: string;
  count: number;
  callers: Set<CallerKind>;
  run: number;
  plan: Plan;
  rendered: string;
  size: number;
}

function redact(w: World, text: string, labels: Map<string, string> = new Map()): string {
  let out = text;
  // Longest first: a JWT may contain a shorter secret's characters only by chance, never whole.
  for (const [value, name] of [...w.names, ...labels].sort((a, b) => b[0].length - a[0].length)) {
    if (value.length >= 8) out = out.split(value).join(`<${name}>`);
  }
  out = out.replace(/(.)\1{63,}/g, (m, c: string) => `${c}×${m.length}`);
  return out;
}

function render(w: World, plan: Plan, sent: Sent, a: Answer): string {
  const lines = [`${sent.method} ${sent.url}   [caller: ${plan.caller}, from ${sent.remoteAddress}]`];
  for (const [k, v] of Object.entries(sent.headers)) {
    for (const one of [v].flat()) lines.push(`  ${k}: ${one}`);
  }
  if (sent.payload !== undefined) {
    const p = typeof sent.payload === 'string' ? sent.payload : `<bytes ${sent.payload.toString('hex')}>`;
    lines.push(`  body: ${p.length > 600 ? `${p.slice(0, 600)}…(${p.length} chars)` : p}`);
  }
  if (plan.notes.length) lines.push(`  mutations: ${plan.notes.join('; ')}`);
  lines.push(`answer: ${a.status} ${a.text.length > 400 ? `${a.text.slice(0, 400)}…` : a.text}`);
  return redact(w, lines.join('\n'), sent.labels);
}

interface Stats {
  requests: number;
  byClass: Record<string, number>;
  /** Answers below 400 per operation: an operation that never gets one is only fuzzed at its door. */
  passed: Map<string, number>;
  /** Milliseconds spent sending requests, taking digests and snapshots, and remaking callers. */
  ms: { send: number; digest: number; remake: number };
}

function record(
  failures: Map<string, Failure>,
  w: World,
  plan: Plan,
  sent: Sent,
  a: Answer,
  v: Violation,
  run: number,
): void {
  const code = errorCodeOf(a);
  const signature = `${v.invariant} | ${plan.op.key} | ${a.status} ${code} | ${v.cause}`;
  const rendered = render(w, plan, sent, a);
  const size = rendered.length;
  const known = failures.get(signature);
  if (known) {
    known.count++;
    known.callers.add(plan.caller);
    if (size < known.size) Object.assign(known, { plan, rendered, size, run, violation: v });
    return;
  }
  failures.set(signature, {
    signature,
    violation: v,
    op: plan.op.key,
    status: a.status,
    code,
    count: 1,
    callers: new Set([plan.caller]),
    run,
    plan,
    rendered,
    size,
  });
}

async function runOne(
  w: World,
  plan: Plan,
  run: number,
  failures: Map<string, Failure>,
  stats: Stats,
): Promise<void> {
  const before = w.snapshot;
  const sent = materialize(w, plan);
  const t0 = performance.now();
  const a = await send(w, sent);
  const t1 = performance.now();
  const after = await observe(w);
  const t2 = performance.now();
  stats.ms.send += t1 - t0;
  stats.ms.digest += t2 - t1;
  const same = after === before;
  for (const v of judge(w, plan, sent, a, before, after, same)) record(failures, w, plan, sent, a, v, run);
  w.snapshot = after;
  stats.requests++;
  const cls = `${Math.floor(a.status / 100)}xx`;
  stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1;
  if (a.status < 400) stats.passed.set(plan.op.key, (stats.passed.get(plan.op.key) ?? 0) + 1);
  if (VERBOSE)
    console.log(
      `${run} [${plan.op.key}] ${plan.caller} ${sent.method} ${redact(w, sent.url).slice(0, 120)} → ${a.status} ${a.status >= 400 ? a.text.slice(0, 160) : ''} ${plan.notes.join('; ').slice(0, 160)}`,
    );
  if (!same) {
    // A caller revoked, spent, signed out, or whose identity or role changed is made again.
    const damaged = diffSnapshots(before, after).filter(
      (c) => c.kind !== 'added' && w.callerRows.has(`${c.table}:${c.key}`),
    );
    if (damaged.length > 0) {
      const t = performance.now();
      await recover(w, damaged);
      stats.ms.remake += performance.now() - t;
    }
  }
}

/** Simpler versions of a plan: fewer headers, query pairs, body fields and mutations. */
function simplerPlans(plan: Plan): Plan[] {
  const out: Plan[] = [];
  if (plan.headers.length > 0) {
    for (let i = 0; i < plan.headers.length; i++) {
      out.push({ ...plan, headers: plan.headers.filter((_x, j) => j !== i) });
    }
  }
  if (plan.pathMutation) out.push({ ...plan, pathMutation: null });
  for (let i = 0; i < plan.query.length; i++)
    out.push({ ...plan, query: plan.query.filter((_x, j) => j !== i) });
  if (plan.caller !== 'none' && plan.caller !== 'admin') out.push({ ...plan, caller: 'admin' });
  const b = plan.body;
  if (b.kind === 'json' || b.kind === 'form') {
    const v = b.value;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
      for (const k of Object.keys(v)) {
        const rest = { ...(v as Record<string, unknown>) };
        delete rest[k];
        out.push({ ...plan, body: { ...b, value: rest } });
      }
    }
  }
  if (b.kind !== 'none') out.push({ ...plan, body: { kind: 'none' } });
  return out;
}

/** Greedy shrinking in the current world: keeps a simpler plan while it fails the same way. */
async function shrink(w: World, failure: Failure, stats: Stats, deadline: number): Promise<void> {
  let plan = failure.plan;
  let attempts = 0;
  let progress = true;
  while (progress && attempts < 40 && Date.now() < deadline) {
    progress = false;
    for (const candidate of simplerPlans(plan)) {
      if (attempts++ >= 40 || Date.now() >= deadline) break;
      const scratch = new Map<string, Failure>();
      await runOne(w, candidate, failure.run, scratch, stats);
      const again = scratch.get(failure.signature);
      if (again) {
        plan = candidate;
        failure.plan = candidate;
        failure.rendered = again.rendered;
        failure.violation = again.violation;
        failure.size = again.size;
        progress = true;
        break;
      }
    }
  }
}

function report(dialect: string, failures: Failure[]): string {
  const lines = [
    `${failures.length} distinct failure(s) on ${dialect} (TOKENWARD_FUZZ_SEED=${SEED} TOKENWARD_FUZZ_RUNS=${RUNS}):`,
  ];
  failures.forEach((f, i) => {
    lines.push('');
    lines.push(
      `[${i + 1}] ${f.violation.invariant}: ${f.op} → ${f.status} ${f.code}  (${f.count}×; callers: ${[...f.callers].join(', ')}; first seen at run ${f.run})`,
    );
    lines.push(`    ${f.violation.detail.replace(/\n/g, ' ')}`);
    lines.push(...f.rendered.split('\n').map((l) => `    ${l}`));
  });
  return lines.join('\n');
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                      */
/* ------------------------------------------------------------------------------------------ */

for (const dialect of DIALECTS) {
  describe(`fuzzing every OpenAPI operation with every caller kind [${dialect}]`, () => {
    let w: World;
    let ops: Op[];

    beforeAll(async () => {
      w = await buildWorld(dialect);
      const doc = await w.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(doc.statusCode).toBe(200);
      ops = operationsOf(JSON.parse(doc.body) as OpenApiDocument);
    }, 60_000);
    afterAll(async () => {
      await w?.app.close();
      await w?.store.drop();
    });

    it('the digest covers every table of the store that holds state', async () => {
      expect(await unclassifiedTables(w.app.tw.store.db)).toEqual([]);
    });

    it('the document lists the compat, gateway and key routes, and every caller kind is what it says', async () => {
      const keys = new Set(ops.map((o) => o.key));
      for (const key of [
        'POST /api/v4/accesstoken',
        'POST /api/v1/PersonalTokens/authenticate',
        'GET /api/v1/auth/verify',
        'HEAD /api/v1/auth/verify',
        'GET /.well-known/jwks.json',
        'GET /api/v1/apptoken/grant',
        'HEAD /api/v1/apptoken/grant',
      ]) {
        expect(keys, key).toContain(key);
      }
      // A live credential gets past authentication on the route it may reach; a dead one does not.
      for (const c of w.callers.list) {
        const url = c.kind === 'v4-scim' ? '/api/v1/auth/verify' : '/api/v1/me';
        const headers =
          c.kind === 'v4-scim' ? { ...c.headers, 'x-original-uri': '/scim/v2/Users' } : c.headers;
        const res = await w.app.inject({ method: 'GET', url, headers, remoteAddress: '127.0.0.1' });
        if (c.live) expect(res.statusCode, `${c.kind}: ${res.body}`).toBeLessThan(300);
        else expect(res.statusCode, `${c.kind}: ${res.body}`).toBe(401);
      }
      // The single-use credential was just spent: make the callers again.
      await remakeCallers(w, { root: true, session: true });
    });

    it('no operation answers 5xx, errors have the SPEC §4 shape, no token is echoed, and refusals and reads change nothing', async () => {
      const started = Date.now();
      // Every store gets the same plans: a failure on one can be compared with the other.
      const plans = fc.sample(fc.oneof(...ops.map(planArb)), { seed: SEED, numRuns: RUNS });
      const failures = new Map<string, Failure>();
      const stats: Stats = {
        requests: 0,
        byClass: {},
        passed: new Map(),
        ms: { send: 0, digest: 0, remake: 0 },
      };
      for (const [run, plan] of plans.entries()) await runOne(w, plan, run, failures, stats);
      const fuzzMs = Date.now() - started;
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      const summary = Object.entries(stats.byClass)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(
        `[fuzz-openapi ${dialect}] ${stats.requests} requests in ${s(fuzzMs)} (${summary}; sending ${s(stats.ms.send)}, ` +
          `digests ${s(stats.ms.digest)}, callers ${s(stats.ms.remake)}: remade ${w.remakes}×, single-use renewed ` +
          `${w.renewals}×, world rebuilt ${w.rebuilds}×)`,
      );
      const neverPassed = ops.filter((o) => !stats.passed.has(o.key)).map((o) => o.key);
      if (neverPassed.length)
        console.log(`[fuzz-openapi ${dialect}] never answered below 400: ${neverPassed.join('; ')}`);
      const list = [...failures.values()].sort((a, b) => a.signature.localeCompare(b.signature));
      const deadline = Date.now() + 15_000;
      for (const f of list) await shrink(w, f, stats, deadline);
      const text = list.length ? report(dialect, list) : '';
      if (text) console.log(text);
      expect(text).toBe('');
    }, 600_000);
  });
}
