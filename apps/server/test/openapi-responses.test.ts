import { randomBytes } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type Json,
  makeIdentity,
  signIn,
  startApp,
  type TestServer,
} from './helpers.js';
import { type OpenApiDocument, type OpenApiOperation, operationsOf } from './openapi-kit.js';

/*
 * Issue 14 item 8: every operation of the OpenAPI document is called for real, and every answer
 * is checked against the document: its status must be one the operation documents, and its body
 * must validate against that status's schema for the answer's media type. Each operation has at
 * least one sample request that succeeds (SAMPLES below) and, where it needs a credential, an
 * anonymous call answered 401. An operation with no sample fails the test, so a new route cannot
 * be added without one: add its sample here.
 */

/** What a sample gets: the server and the credentials made once per store. */
interface World {
  s: TestServer;
  admin: string;
  alice: { id: number; token: string; password: string };
}

/** One request for an operation; it must succeed (2xx) unless `status` says otherwise. */
interface Sample {
  operationId: string;
  status?: number;
  call: (w: World) => Promise<Json>;
}

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** A v4 access token (seed 004) of the admin: an access JWT and a refresh token. */
async function v4Token(
  w: World,
): Promise<{ accessTokenId: number; accessToken: string; refreshToken: string }> {
  const res = await http(w.s.url, 'POST', '/api/v4/accesstoken', {
    token: w.admin,
    json: { tokenName: `v4-${randomBytes(3).toString('hex')}` },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.tokenInfo;
}

async function newIdentity(w: World): Promise<number> {
  const res = await http(w.s.url, 'POST', '/api/v1/identity', {
    token: w.admin,
    json: { name: `id-${randomBytes(4).toString('hex')}`, roles: ['Reader'] },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function newAppToken(w: World): Promise<{ id: number; token: string }> {
  const res = await http(w.s.url, 'POST', `/api/v1/apptoken/grant/${w.alice.id}`, {
    token: w.admin,
    json: {},
  });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function newPersonalToken(w: World): Promise<{ id: number; token: string }> {
  const res = await http(w.s.url, 'POST', '/api/v1/PersonalTokens', {
    token: w.admin,
    json: { name: `pat-${randomBytes(3).toString('hex')}` },
  });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function newRole(w: World): Promise<string> {
  const name = `Role${randomBytes(3).toString('hex')}`;
  const res = await http(w.s.url, 'POST', '/api/v1/role', {
    token: w.admin,
    json: { name, permissions: ['tokens:read'] },
  });
  expect(res.status, res.text).toBe(201);
  return name;
}

const SAMPLES: Sample[] = [
  // operations
  { operationId: 'getHealth', call: (w) => http(w.s.url, 'GET', '/healthz') },
  { operationId: 'getReadiness', call: (w) => http(w.s.url, 'GET', '/readyz') },
  { operationId: 'getMetrics', call: (w) => http(w.s.url, 'GET', '/metrics') },
  // sessions
  {
    operationId: 'signIn',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/signin', { json: { username: 'admin', password: ADMIN_PASSWORD } }),
  },
  {
    operationId: 'signIn',
    status: 401,
    call: (w) => http(w.s.url, 'POST', '/api/v1/signin', { json: { username: 'admin', password: 'wrong' } }),
  },
  {
    operationId: 'signOut',
    call: async (w) => {
      const session = await signIn(w.s.url, 'admin', ADMIN_PASSWORD);
      return http(w.s.url, 'POST', '/api/v1/signout', {
        cookie: session.cookie,
        headers: { 'x-csrf-token': session.csrf },
      });
    },
  },
  {
    operationId: 'listSessions',
    call: (w) => http(w.s.url, 'GET', '/api/v1/usersession', { token: w.admin }),
  },
  {
    operationId: 'endSession',
    call: async (w) => {
      await signIn(w.s.url, 'alice', w.alice.password);
      const list = await http(w.s.url, 'GET', '/api/v1/usersession', { token: w.alice.token });
      return http(w.s.url, 'DELETE', `/api/v1/usersession/${list.body.items[0].id}`, {
        token: w.alice.token,
      });
    },
  },
  { operationId: 'getMe', call: (w) => http(w.s.url, 'GET', '/api/v1/me', { token: w.alice.token }) },
  {
    operationId: 'getLimits',
    call: (w) => http(w.s.url, 'GET', '/api/v1/settings/limits', { token: w.admin }),
  },
  // app tokens
  {
    operationId: 'grantOwnAppTokenViaGet',
    call: (w) => http(w.s.url, 'GET', '/api/v1/apptoken/grant', { token: w.admin }),
  },
  {
    operationId: 'grantOwnAppToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/apptoken/grant', { token: w.admin, json: { name: 'sample' } }),
  },
  {
    operationId: 'grantAppTokenViaGet',
    call: (w) => http(w.s.url, 'GET', `/api/v1/apptoken/grant/${w.alice.id}`, { token: w.admin }),
  },
  {
    operationId: 'grantAppToken',
    call: (w) => http(w.s.url, 'POST', `/api/v1/apptoken/grant/${w.alice.id}`, { token: w.admin, json: {} }),
  },
  {
    operationId: 'grantAppToken',
    status: 403,
    call: (w) => http(w.s.url, 'POST', '/api/v1/apptoken/grant/1', { token: w.alice.token, json: {} }),
  },
  {
    operationId: 'importAppToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/apptoken', {
        token: w.admin,
        json: { token: randomBytes(32).toString('base64url'), identity: 'alice', role: 'Reader' },
      }),
  },
  {
    operationId: 'listAppTokens',
    call: (w) => http(w.s.url, 'GET', '/api/v1/apptoken?kind=all', { token: w.admin }),
  },
  {
    operationId: 'listAppTokens',
    status: 400,
    call: (w) => http(w.s.url, 'GET', '/api/v1/apptoken?limit=0', { token: w.admin }),
  },
  {
    operationId: 'getAppToken',
    call: async (w) =>
      http(w.s.url, 'GET', `/api/v1/apptoken/${(await newAppToken(w)).id}`, { token: w.admin }),
  },
  {
    operationId: 'getAppToken',
    status: 404,
    call: (w) => http(w.s.url, 'GET', '/api/v1/apptoken/999999', { token: w.admin }),
  },
  {
    operationId: 'updateAppToken',
    call: async (w) =>
      http(w.s.url, 'PATCH', `/api/v1/apptoken/${(await newAppToken(w)).id}`, {
        token: w.admin,
        json: { description: 'renamed' },
      }),
  },
  {
    operationId: 'revokeAppToken',
    call: async (w) =>
      http(w.s.url, 'DELETE', `/api/v1/apptoken/${(await newAppToken(w)).id}`, { token: w.admin }),
  },
  {
    operationId: 'exportTokens',
    call: (w) => http(w.s.url, 'GET', '/api/v1/apptoken/export', { token: w.admin }),
  },
  {
    operationId: 'importTokenHashes',
    call: async (w) => {
      const page = await http(w.s.url, 'GET', '/api/v1/apptoken/export?limit=1', { token: w.admin });
      // Already present: skipped with reason "exists", which the answer documents.
      return http(w.s.url, 'POST', '/api/v1/apptoken/import-hashes', {
        token: w.admin,
        json: page.body.items,
      });
    },
  },
  // identities
  {
    operationId: 'listIdentities',
    call: (w) => http(w.s.url, 'GET', '/api/v1/identity', { token: w.admin }),
  },
  {
    operationId: 'createIdentity',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/identity', {
        token: w.admin,
        json: { name: 'sample-create', email: 'sample@example.org', roles: ['Reader'] },
      }),
  },
  {
    operationId: 'createIdentity',
    status: 400,
    call: (w) => http(w.s.url, 'POST', '/api/v1/identity', { token: w.admin, json: { name: 'x', extra: 1 } }),
  },
  {
    operationId: 'getIdentity',
    call: (w) => http(w.s.url, 'GET', `/api/v1/identity/${w.alice.id}`, { token: w.admin }),
  },
  {
    operationId: 'updateIdentity',
    call: async (w) =>
      http(w.s.url, 'PUT', `/api/v1/identity/${await newIdentity(w)}`, {
        token: w.admin,
        json: { firstName: 'Sam' },
      }),
  },
  {
    operationId: 'deleteIdentity',
    call: async (w) =>
      http(w.s.url, 'DELETE', `/api/v1/identity/${await newIdentity(w)}`, { token: w.admin }),
  },
  // roles
  { operationId: 'listRoles', call: (w) => http(w.s.url, 'GET', '/api/v1/role', { token: w.admin }) },
  {
    operationId: 'createRole',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/role', {
        token: w.admin,
        json: { name: 'SampleRole', description: 'd', permissions: ['tokens:read'] },
      }),
  },
  { operationId: 'getRole', call: (w) => http(w.s.url, 'GET', '/api/v1/role/Reader', { token: w.admin }) },
  {
    operationId: 'updateRole',
    call: async (w) =>
      http(w.s.url, 'PUT', `/api/v1/role/${await newRole(w)}`, {
        token: w.admin,
        json: { description: 'x' },
      }),
  },
  {
    operationId: 'deleteRole',
    call: async (w) => http(w.s.url, 'DELETE', `/api/v1/role/${await newRole(w)}`, { token: w.admin }),
  },
  { operationId: 'listAuditEvents', call: (w) => http(w.s.url, 'GET', '/api/v1/audit', { token: w.admin }) },
  // personal tokens
  {
    operationId: 'listPersonalTokens',
    call: (w) => http(w.s.url, 'GET', '/api/v1/PersonalTokens', { token: w.admin }),
  },
  {
    operationId: 'createPersonalToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/PersonalTokens', { token: w.admin, json: { name: 'sample-pat' } }),
  },
  {
    operationId: 'updatePersonalToken',
    call: async (w) =>
      http(w.s.url, 'PATCH', `/api/v1/PersonalTokens/${(await newPersonalToken(w)).id}`, {
        token: w.admin,
        json: { name: 'renamed-pat' },
      }),
  },
  {
    operationId: 'revokePersonalToken',
    call: async (w) =>
      http(w.s.url, 'DELETE', `/api/v1/PersonalTokens/${(await newPersonalToken(w)).id}`, { token: w.admin }),
  },
  {
    // Seed 003: the parameters in the query string and no body at all.
    operationId: 'authenticatePersonalToken',
    call: async (w) => {
      const pat = await newPersonalToken(w);
      const q = new URLSearchParams({ username: 'admin', personalToken: pat.token });
      return http(w.s.url, 'POST', `/api/v1/PersonalTokens/authenticate?${q}`);
    },
  },
  {
    operationId: 'authenticatePersonalToken',
    status: 401,
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/PersonalTokens/authenticate', {
        ...form({ username: 'admin', personalToken: 'not-a-token' }),
      }),
  },
  // token protocol
  {
    operationId: 'introspectToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/token/introspect', {
        token: w.admin,
        ...form({ token: w.alice.token }),
      }),
  },
  {
    operationId: 'introspectToken',
    call: async (w) =>
      http(w.s.url, 'POST', '/api/v1/token/introspect', {
        token: w.admin,
        json: { token: (await v4Token(w)).accessToken },
      }),
  },
  {
    operationId: 'revokeToken',
    call: async (w) =>
      http(w.s.url, 'POST', '/api/v1/token/revoke', form({ token: (await newAppToken(w)).token })),
  },
  {
    operationId: 'refreshToken',
    call: async (w) =>
      http(w.s.url, 'POST', '/api/v1/token/refresh', {
        ...form({ grant_type: 'refresh_token', refresh_token: (await v4Token(w)).refreshToken }),
      }),
  },
  {
    operationId: 'refreshToken',
    status: 400,
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/token/refresh', { json: { refresh_token: 'spent-or-unknown' } }),
  },
  {
    operationId: 'requestToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/token', {
        ...form({
          grant_type: 'client_credentials',
          client_id: String(w.alice.id),
          client_secret: w.alice.token,
        }),
      }),
  },
  {
    operationId: 'requestToken',
    call: async (w) =>
      http(w.s.url, 'POST', '/api/v1/token', {
        ...form({ grant_type: 'refresh_token', refresh_token: (await v4Token(w)).refreshToken }),
      }),
  },
  {
    operationId: 'requestToken',
    status: 400,
    call: (w) => http(w.s.url, 'POST', '/api/v1/token', { ...form({ grant_type: 'password' }) }),
  },
  {
    operationId: 'requestToken',
    status: 401,
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/token', {
        ...form({ grant_type: 'client_credentials', client_id: String(w.alice.id), client_secret: 'wrong' }),
      }),
  },
  {
    operationId: 'putClientKeys',
    call: async (w) => {
      const { publicKey } = await generateKeyPair('ES256', { extractable: true });
      return http(w.s.url, 'PUT', `/api/v1/identity/${w.alice.id}/jwks`, {
        token: w.admin,
        json: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] },
      });
    },
  },
  {
    operationId: 'getClientKeys',
    call: (w) => http(w.s.url, 'GET', `/api/v1/identity/${w.alice.id}/jwks`, { token: w.admin }),
  },
  {
    operationId: 'deleteClientKeys',
    status: 204,
    call: (w) => http(w.s.url, 'DELETE', `/api/v1/identity/${w.alice.id}/jwks`, { token: w.admin }),
  },
  {
    operationId: 'exchangeToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v1/token/exchange', {
        token: w.admin,
        ...form({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: w.alice.token,
          scope: 'Reader',
        }),
      }),
  },
  {
    operationId: 'verifyRequest',
    call: (w) => http(w.s.url, 'GET', '/api/v1/auth/verify', { token: w.alice.token }),
  },
  {
    operationId: 'verifyRequest',
    status: 403,
    call: (w) => http(w.s.url, 'GET', '/api/v1/auth/verify?permission=keys:rotate', { token: w.alice.token }),
  },
  // keys
  { operationId: 'getJwks', call: (w) => http(w.s.url, 'GET', '/.well-known/jwks.json') },
  {
    operationId: 'getAuthorizationServerMetadata',
    call: (w) => http(w.s.url, 'GET', '/.well-known/oauth-authorization-server'),
  },
  {
    operationId: 'getProtectedResourceMetadata',
    call: (w) => http(w.s.url, 'GET', '/.well-known/oauth-protected-resource'),
  },
  { operationId: 'listSigningKeys', call: (w) => http(w.s.url, 'GET', '/api/v1/keys', { token: w.admin }) },
  {
    operationId: 'rotateSigningKey',
    call: (w) => http(w.s.url, 'POST', '/api/v1/keys/rotate', { token: w.admin }),
  },
  {
    operationId: 'rotateSigningKey',
    status: 403,
    call: (w) => http(w.s.url, 'POST', '/api/v1/keys/rotate', { token: w.alice.token }),
  },
  // access tokens (seed 004)
  {
    operationId: 'createAccessToken',
    call: (w) =>
      http(w.s.url, 'POST', '/api/v4/accesstoken', {
        headers: { authtoken: w.admin },
        json: { TokenName: 'seed-004', tokenType: 'ALL' },
      }),
  },
  {
    operationId: 'listAccessTokens',
    call: async (w) => {
      await v4Token(w);
      return http(w.s.url, 'GET', '/api/v4/accesstoken', { token: w.admin });
    },
  },
  {
    operationId: 'deleteAccessToken',
    call: async (w) =>
      http(w.s.url, 'DELETE', `/api/v4/accesstoken/${(await v4Token(w)).accessTokenId}`, { token: w.admin }),
  },
  {
    operationId: 'deleteAccessToken',
    status: 404,
    call: (w) => http(w.s.url, 'DELETE', '/api/v4/accesstoken/999999', { token: w.admin }),
  },
];

/** JSON Pointer of a document location (RFC 6901). */
const pointer = (...parts: string[]) =>
  parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

type AddFormats = (ajv: Ajv2020) => unknown;
const addFormats = ((formats as unknown as { default?: AddFormats }).default ??
  formats) as unknown as AddFormats;

/** Validates answers against the document: its schemas compiled once, by their location in it. */
class DocumentValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    // The whole document under one id: `#/components/schemas/Token` refs resolve inside it.
    this.ajv.addSchema(document as unknown as object, 'openapi.json');
  }

  /** Problems with an answer to an operation: an undocumented status, a media type or body that differs. */
  problems(path: string, method: string, res: Json): string[] {
    const operation = this.document.paths[path]?.[method] as OpenApiOperation;
    const response = operation.responses?.[String(res.status)];
    if (!response) return [`status ${res.status} is not documented (${res.text.slice(0, 200)})`];
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) {
      return res.text === '' ? [] : [`status ${res.status} documents no body, got ${res.text.slice(0, 200)}`];
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!(mediaType in content)) return [`media type ${mediaType} is not documented for ${res.status}`];
    const at = `openapi.json#${pointer('paths', path, method, 'responses', String(res.status), 'content', mediaType, 'schema')}`;
    let validate = this.compiled.get(at);
    if (!validate) {
      validate = this.ajv.compile({ $ref: at });
      this.compiled.set(at, validate);
    }
    const body = mediaType === 'application/json' ? res.body : res.text;
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${res.status} body ${e.instancePath || '/'} ${e.message}`);
  }
}

/** A request path for an anonymous call: the template with every parameter filled in. */
function concretePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '1');
}

for (const dialect of DIALECTS) {
  describe(`every operation's answers match the OpenAPI document [${dialect}]`, () => {
    let w: World;
    let validator: DocumentValidator;
    let operations: ReturnType<typeof operationsOf>;

    beforeAll(async () => {
      const s = await startApp(freshStore(dialect));
      const admin = await adminToken(s.url);
      const alice = await makeIdentity(s.url, admin, 'alice', ['Operator']);
      w = { s, admin, alice };
      const doc = await http(s.url, 'GET', '/api/openapi.json');
      validator = new DocumentValidator(doc.body);
      operations = operationsOf(doc.body);
    });
    afterAll(async () => w?.s.close());

    it('every operation has a sample request', () => {
      const sampled = new Set(SAMPLES.map((x) => x.operationId));
      const missing = operations
        .map((o) => o.operation.operationId ?? `${o.method} ${o.path}`)
        .filter((id) => !sampled.has(id));
      expect(missing, 'add a sample to SAMPLES in openapi-responses.test.ts').toEqual([]);
      const known = new Set(operations.map((o) => o.operation.operationId));
      expect(SAMPLES.map((x) => x.operationId).filter((id) => !known.has(id))).toEqual([]);
    });

    it('each sample answers as expected, with a documented status and a body its schema accepts', async () => {
      const byId = new Map(operations.map((o) => [o.operation.operationId, o]));
      const failures: string[] = [];
      for (const sample of SAMPLES) {
        const op = byId.get(sample.operationId);
        if (!op) continue;
        const res = await sample.call(w);
        const label = `${sample.operationId} (${op.method.toUpperCase()} ${op.path})`;
        const ok =
          sample.status === undefined ? res.status >= 200 && res.status < 300 : res.status === sample.status;
        if (!ok)
          failures.push(
            `${label}: status ${res.status}, expected ${sample.status ?? '2xx'}: ${res.text.slice(0, 300)}`,
          );
        for (const p of validator.problems(op.path, op.method, res)) failures.push(`${label}: ${p}`);
      }
      expect(failures).toEqual([]);
    });

    it('the check can fail: an undocumented status, media type or a body off its schema', () => {
      const answer = (status: number, body: unknown, type = 'application/json'): Json => ({
        status,
        headers: new Headers({ 'content-type': type }),
        body,
        text: JSON.stringify(body),
      });
      expect(validator.problems('/healthz', 'get', answer(200, { status: 'ok' }))).toEqual([]);
      expect(validator.problems('/healthz', 'get', answer(200, { status: 1 }))).not.toEqual([]);
      expect(validator.problems('/healthz', 'get', answer(418, { status: 'ok' }))).not.toEqual([]);
      expect(validator.problems('/healthz', 'get', answer(200, 'ok', 'text/html'))).not.toEqual([]);
      // A $ref into components is followed: an error answer without its code is refused.
      expect(validator.problems('/api/v1/me', 'get', answer(401, { errorMessage: 'x' }))).not.toEqual([]);
      const jwks = { keys: [{ kty: 'OKP', kid: 'k', alg: 'EdDSA', use: 'sig', crv: 'Ed25519', x: 'AA' }] };
      expect(validator.problems('/.well-known/jwks.json', 'get', answer(200, jwks))).toEqual([]);
      expect(validator.problems('/.well-known/jwks.json', 'get', answer(200, { keys: {} }))).not.toEqual([]);
    });

    it('every operation that needs a credential answers an anonymous call with its documented 401', async () => {
      const failures: string[] = [];
      for (const { path, method, operation } of operations) {
        const security = operation.security ?? [];
        if (security.length === 0 || security.some((r) => Object.keys(r).length === 0)) continue;
        const res = await http(w.s.url, method.toUpperCase(), concretePath(path), {
          ...(operation.requestBody ? { json: {} } : {}),
        });
        const label = `${operation.operationId} (${method.toUpperCase()} ${path})`;
        if (res.status !== 401) failures.push(`${label}: anonymous call answered ${res.status}`);
        for (const p of validator.problems(path, method, res)) failures.push(`${label}: ${p}`);
      }
      expect(failures).toEqual([]);
    });
  });
}
