import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import {
  FastPaths,
  INTROSPECT_PATH,
  spoofedTokenwardHeader,
  VERIFY_PATH,
} from '../src/plugins/fast-paths.js';
import type { Principal } from '../src/services/verifier.js';
import {
  ADMIN_PASSWORD,
  adminToken,
  DIALECTS,
  freshStore,
  http,
  type StoreHandle,
  signIn,
  startServer,
  type TestServer,
} from './helpers.js';
import { expectErrorShape, grantTo, uniqueName } from './test-kit.js';

/*
 * The fast paths (plugins/fast-paths.ts) answer cached gateway checks and introspections before
 * Fastify. These tests hold them to the routes' own answers: the same bytes for the plain cases,
 * everything else handed to Fastify, usage and metrics counted once per request.
 */

/** Sends raw request bytes and returns the raw response (headers and body) of one request. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (text.length >= end + 4 + Number(length?.[1] ?? 0)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

const verifyRequest = (headers: string[], target = VERIFY_PATH, method = 'GET') =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

/** A response with its Date header blanked (the one part that may differ between two answers). */
const undated = (raw: string) => raw.replace(/\r\nDate: [^\r]*/i, '\r\nDate: -');

for (const dialect of DIALECTS) {
  describe(`fast paths on ${dialect}`, () => {
    let store: StoreHandle;
    let fast: TestServer;
    let framework: TestServer;
    let admin: string;
    /** Requests for the two paths that reached Fastify on the fast server. */
    let reachedFastify = 0;
    const countVerify = (app: App) =>
      app.addHook('onRequest', (request, _reply, done) => {
        if (request.url.startsWith(VERIFY_PATH) || request.url.startsWith(INTROSPECT_PATH)) reachedFastify++;
        done();
      });

    beforeAll(async () => {
      store = freshStore(dialect);
      // One issuer for both (each would otherwise be its own URL): answers compared byte for byte.
      const issuer = 'https://tokenward.test';
      fast = await startServer(store, {
        config: { logLevel: 'warn', usageFlushSeconds: 3600, issuer },
        beforeListen: countVerify,
      });
      // The same store behind a second instance that always goes through Fastify.
      framework = await startServer(store, { config: { logLevel: 'warn', issuer }, fastPaths: false });
      admin = await adminToken(fast.url);
    });

    afterAll(async () => {
      await framework?.stop();
      await fast?.close();
    });

    /** Verifies on the fast server and tells whether Fastify saw the request. */
    async function viaFast(headers: Record<string, string>, target = VERIFY_PATH, method = 'GET') {
      const before = reachedFastify;
      const res = await fetch(fast.url + target, { method, headers });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, fastify: reachedFastify > before };
    }

    /**
     * Sends the same raw request three times: the first fills the caches (through Fastify), the
     * second must be answered before Fastify, and its bytes must equal the route's own answers
     * from the instance without fast paths (from the store, then from its cache).
     */
    async function expectSameBytes(request: string, expected: RegExp): Promise<void> {
      const first = await rawExchange(fast.url, request);
      expect(first).toMatch(expected);
      const before = reachedFastify;
      const fromFast = await rawExchange(fast.url, request);
      expect(reachedFastify).toBe(before);
      for (let i = 0; i < 2; i++) {
        expect(undated(fromFast)).toBe(undated(await rawExchange(framework.url, request)));
      }
      expect(undated(first)).toBe(undated(fromFast));
    }

    async function useCount(tokenId: number): Promise<number> {
      await fast.app.tw.usage.flush();
      const row = await fast.app.tw.store.db
        .selectFrom('tokens')
        .select('use_count')
        .where('id', '=', tokenId)
        .executeTakeFirstOrThrow();
      return Number(row.use_count);
    }

    it('answers a cached valid token without Fastify, with the same bytes as the route', async () => {
      const named = uniqueName('Zoë Ünal');
      const created = await http(fast.url, 'POST', '/api/v1/identity', {
        token: admin,
        json: { name: named, roles: ['Operator'], password: `pw-${ADMIN_PASSWORD}` },
      });
      expect(created.status, created.text).toBe(201);
      const operator = await grantTo(fast.url, admin, created.body.id);

      for (const token of [admin, operator.token]) {
        await expectSameBytes(verifyRequest([`Authorization: Bearer ${token}`]), /^HTTP\/1\.1 204 /);
      }
      const res = await viaFast({ authorization: `Bearer ${operator.token}` });
      expect(res.fastify).toBe(false);
      expect(res.status).toBe(204);
      // Issue 12 item 9: the same security headers as every route answer.
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-tokenward-identity')).toBe(String(created.body.id));
      expect(decodeURIComponent(res.headers.get('x-tokenward-identity-name') ?? '')).toBe(named);
      expect(res.headers.get('x-tokenward-roles')).toBe('Operator');
    });

    it('counts every answer once: token use and /metrics', async () => {
      const t = await grantTo(fast.url, admin, 1);
      const metric = async () => {
        const text = await (await fetch(`${fast.url}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) =>
            l.startsWith(`tokenward_http_requests_total{route="${VERIFY_PATH}",method="GET",status="2xx"}`),
          );
        return Number(line?.split(' ').pop() ?? 0);
      };
      const uses = await useCount(t.id);
      const answered = await metric();
      const fastBefore = reachedFastify;
      for (let i = 0; i < 25; i++) {
        expect((await viaFast({ authorization: `Bearer ${t.token}` })).status).toBe(204);
      }
      // One of the 25 filled the cache through Fastify.
      expect(reachedFastify - fastBefore).toBe(1);
      expect(await useCount(t.id)).toBe(uses + 25);
      expect(await metric()).toBe(answered + 25);
    });

    it('hands a token with an endpoint allow-list to the route, and counts its use once', async () => {
      const granted = await http(fast.url, 'POST', '/api/v1/apptoken/grant', {
        token: admin,
        json: { apiEndpoints: ['GET /api/v1/identity/*'] },
      });
      expect(granted.status, granted.text).toBe(200);
      const limited = granted.body.token as string;
      const uses = await useCount(granted.body.id);
      for (let i = 0; i < 3; i++) {
        const allowed = await viaFast({
          authorization: `Bearer ${limited}`,
          'x-original-method': 'GET',
          'x-original-uri': '/api/v1/identity/7',
        });
        expect(allowed.fastify).toBe(true);
        expect(allowed.status).toBe(204);
        const refused = await viaFast({
          authorization: `Bearer ${limited}`,
          'x-original-method': 'DELETE',
          'x-original-uri': '/api/v1/identity/7',
        });
        expect(refused.fastify).toBe(true);
        expect(refused.status).toBe(403);
        expectErrorShape({ ...refused, body: JSON.parse(refused.text) }, 'endpoint_not_allowed');
      }
      expect(await useCount(granted.body.id)).toBe(uses + 6);

      // Issue 12 items 3 and 8: X-Original-URI is normalised before it is matched, and `/*`
      // no longer allows the prefix itself.
      for (const uri of [
        '/api/v1/identity',
        '/api/v1/identity/',
        '/api/v1/identity/../apptoken',
        '/api/v1/identity/%2e%2e/apptoken',
        '/api/v1/identity/..%2fapptoken',
        '/api/v1/identity/%2e%2e%2fapptoken',
        '/api/v1/identity/..%5capptoken',
        '/api/v1/identity/..\\apptoken',
        '/api/v1/identity/..;/apptoken',
      ]) {
        const res = await viaFast({
          authorization: `Bearer ${limited}`,
          'x-original-method': 'GET',
          'x-original-uri': uri,
        });
        expect([res.status, res.fastify], `${uri}: ${res.text}`).toEqual([403, true]);
        expectErrorShape({ ...res, body: JSON.parse(res.text) }, 'endpoint_not_allowed');
      }
      for (const uri of ['/api/v1/identity/7/', '/api/v1/identity/./7', '/api/v1/identity/x/../7?a=/../b']) {
        const res = await viaFast({
          authorization: `Bearer ${limited}`,
          'x-original-method': 'GET',
          'x-original-uri': uri,
        });
        expect(res.status, `${uri}: ${res.text}`).toBe(204);
      }
    });

    it('hands everything but the plain case to Fastify, which answers as before', async () => {
      const t = await grantTo(fast.url, admin, 1);
      const bearer = `Bearer ${t.token}`;
      expect((await viaFast({ authorization: bearer })).status).toBe(204);
      expect((await viaFast({ authorization: bearer })).fastify).toBe(false);

      const cases: [string, Record<string, string>, string, string, number][] = [
        ['a query', { authorization: bearer }, `${VERIFY_PATH}?permission=tokens:read`, 'GET', 204],
        ['another query', { authorization: bearer }, `${VERIFY_PATH}?x=1`, 'GET', 204],
        ['lower-case bearer', { authorization: `bearer ${t.token}` }, VERIFY_PATH, 'GET', 204],
        ['the Authtoken header', { authtoken: t.token }, VERIFY_PATH, 'GET', 204],
        // Issue 12 item 4: a 400 here became a 500 behind nginx; the gateway check says 401.
        [
          'two credential headers',
          { authorization: bearer, 'x-tokenward-authorization': 'other' },
          VERIFY_PATH,
          'GET',
          401,
        ],
        [
          'the token in X-Tokenward-Authorization',
          { 'x-tokenward-authorization': bearer },
          VERIFY_PATH,
          'GET',
          204,
        ],
        ['an unrelated cookie', { authorization: bearer, cookie: 'theme=dark' }, VERIFY_PATH, 'GET', 204],
        ['HEAD', { authorization: bearer }, VERIFY_PATH, 'HEAD', 204],
        ['a trailing slash', { authorization: bearer }, `${VERIFY_PATH}/`, 'GET', 204],
        ['an unknown token', { authorization: 'Bearer tw_nothing_here' }, VERIFY_PATH, 'GET', 401],
        ['no credential', {}, VERIFY_PATH, 'GET', 401],
      ];
      for (const [what, headers, target, method, status] of cases) {
        const res = await viaFast(headers, target, method);
        expect(res.fastify, what).toBe(true);
        expect(res.status, `${what}: ${res.text}`).toBe(status);
      }
      // An unknown token is remembered as unknown: still Fastify's 401, never the fast 204.
      const again = await viaFast({ authorization: 'Bearer tw_nothing_here' });
      expect([again.status, again.fastify]).toEqual([401, true]);
    });

    it('hands a header credential beside a live session to Fastify (two credentials: 401, never 400)', async () => {
      const t = await grantTo(fast.url, admin, 1);
      const bearer = `Bearer ${t.token}`;
      expect((await viaFast({ authorization: bearer })).status).toBe(204);
      const session = await signIn(fast.url, 'admin', ADMIN_PASSWORD);
      const res = await viaFast({ authorization: bearer, cookie: session.cookie });
      expect(res.fastify).toBe(true);
      // Issue 12 item 4: nginx's auth_request turns a 400 into a 500; the body keeps its code.
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="tokenward", error="invalid_token", DPoP /,
      );
      expectErrorShape({ ...res, body: JSON.parse(res.text) }, 'multiple_credentials');
    });

    it("hands a request carrying Tokenward's own X-Tokenward-* headers to the route, which refuses it", async () => {
      // Issue 12 item 4: nginx's check carries the client's headers; a client that sends
      // X-Tokenward-Permissions: * (or -Identity, -Roles…) is passing itself off as Tokenward.
      const t = await grantTo(fast.url, admin, 1);
      const bearer = `Bearer ${t.token}`;
      expect((await viaFast({ authorization: bearer })).status).toBe(204);
      expect((await viaFast({ authorization: bearer })).fastify).toBe(false);
      for (const [name, value] of [
        ['x-tokenward-identity', '1'],
        ['x-tokenward-identity-name', 'admin'],
        ['x-tokenward-roles', 'Administrator'],
        ['x-tokenward-permissions', '*'],
        ['x-tokenward-anything-else', 'x'],
      ] as const) {
        const res = await viaFast({ authorization: bearer, [name]: value });
        expect(res.fastify, name).toBe(true);
        expect(res.status, `${name}: ${res.text}`).toBe(403);
        expectErrorShape({ ...res, body: JSON.parse(res.text) }, 'header_not_allowed');
      }
      // Any spelling: header names are case-insensitive.
      const raw = await rawExchange(
        fast.url,
        verifyRequest([`Authorization: ${bearer}`, 'X-TOKENWARD-PERMISSIONS: *']),
      );
      expect(raw).toMatch(/^HTTP\/1\.1 403 [\s\S]*"header_not_allowed"/);
      // Without a valid credential it is a refusal all the same.
      expect((await viaFast({ 'x-tokenward-identity': '1' })).status).toBe(401);
    });

    it('answers a cached introspection without Fastify, with the same bytes as the route', async () => {
      const subject = await grantTo(fast.url, admin, 1, { name: 'introspected' });
      const body = JSON.stringify({ token: subject.token });
      const request = `POST ${INTROSPECT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      await expectSameBytes(request, /^HTTP\/1\.1 200 [\s\S]*"active":true/);
      // Issue 12 item 9: nosniff and no-store, like every route answer.
      const answer = await rawExchange(fast.url, request);
      expect(answer).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
      expect(answer).toMatch(/\r\ncache-control: no-store\r\n/i);
    });

    it('hands any other introspection to Fastify with its body intact, and counts each once', async () => {
      const subject = await grantTo(fast.url, admin, 1);
      const caller = await grantTo(fast.url, admin, 1);
      const introspect = async (body: string, contentType = 'application/json') => {
        const before = reachedFastify;
        const res = await fetch(fast.url + INTROSPECT_PATH, {
          method: 'POST',
          headers: { authorization: `Bearer ${caller.token}`, 'content-type': contentType },
          body,
        });
        return { status: res.status, text: await res.text(), fastify: reachedFastify > before };
      };
      const plain = JSON.stringify({ token: subject.token });
      const uses = await useCount(caller.id);
      // Fills the caches with the caller and the subject.
      expect(await introspect(plain)).toMatchObject({ status: 200, fastify: true });
      const active = await introspect(plain);
      expect(active).toMatchObject({ status: 200, fastify: false });
      // Issue 14 item 5: the database id is token_id (jti is an access JWT's own).
      expect(JSON.parse(active.text)).toMatchObject({ active: true, token_id: subject.id });
      const cases: [string, string, string, number][] = [
        [
          'a type hint',
          JSON.stringify({ token: subject.token, token_type_hint: 'access_token' }),
          'application/json',
          200,
        ],
        ['an escaped character', plain.replace('_', '\\u005f'), 'application/json', 200],
        ['a charset', plain, 'application/json; charset=utf-8', 200],
        ['a form body', `token=${subject.token}`, 'application/x-www-form-urlencoded', 200],
        ['broken JSON', plain.slice(0, -1), 'application/json', 400],
        ['no token', '{"token":""}', 'application/json', 400],
      ];
      for (const [what, body, contentType, status] of cases) {
        const res = await introspect(body, contentType);
        expect(res.fastify, what).toBe(true);
        expect(res.status, `${what}: ${res.text}`).toBe(status);
        if (status === 200) expect(res.text, what).toBe(active.text);
      }
      // An unknown value: Fastify once, then from the cache's memory of it, inactive either way.
      const unknown = JSON.stringify({ token: 'tw_app_unknownunknownunknownunknownunknownunknown' });
      expect((await introspect(unknown)).text).toBe('{"active":false}');
      expect(await introspect(unknown)).toMatchObject({ text: '{"active":false}' });
      // 2 + 6 + 2 introspections: the caller's use is counted once for each.
      expect(await useCount(caller.id)).toBe(uses + 10);
    });

    it('is off with CORS origins configured: every answer carries the CORS headers', async () => {
      const cors = await startServer(store, {
        config: { logLevel: 'warn', corsOrigins: ['https://console.example.com'] },
      });
      try {
        const t = await grantTo(fast.url, admin, 1);
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${cors.url}${VERIFY_PATH}`, {
            headers: { authorization: `Bearer ${t.token}`, origin: 'https://console.example.com' },
          });
          expect(res.status).toBe(204);
          expect(res.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
        }
      } finally {
        await cors.stop();
      }
    });

    it('leaves a body over the configured limit to Fastify (413)', async () => {
      const small = await startServer(store, { config: { logLevel: 'warn', bodyLimitBytes: 1024 } });
      try {
        const t = await grantTo(fast.url, admin, 1);
        const post = (body: string) =>
          fetch(`${small.url}${INTROSPECT_PATH}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
            body,
          });
        const plain = JSON.stringify({ token: t.token });
        for (let i = 0; i < 2; i++) expect((await post(plain)).status).toBe(200);
        expect((await post(`${plain}${' '.repeat(1100)}`)).status).toBe(413);
      } finally {
        await small.stop();
      }
    });

    it('refuses a token once it is revoked', async () => {
      const t = await grantTo(fast.url, admin, 1);
      const bearer = { authorization: `Bearer ${t.token}` };
      expect((await viaFast(bearer)).status).toBe(204);
      expect((await viaFast(bearer)).fastify).toBe(false);
      expect((await http(fast.url, 'DELETE', `/api/v1/apptoken/${t.id}`, { token: admin })).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const res = await viaFast(bearer);
        expect([res.status, res.fastify]).toEqual([401, true]);
      }
    });
  });
}

describe('FastPaths on a plain node:http server', () => {
  let server: Server;
  let url: string;
  const principal = {
    identity: { id: 7, name: 'gate keeper' },
    token: { id: 70 },
    roles: ['Operator'],
    authority: { has: () => false, endpoints: null },
    permissions: { has: () => false },
    endpoints: null,
  } as unknown as Principal;
  const events: string[] = [];
  let blocked = false;
  const fastPaths = new FastPaths({
    cachedToken: (credential, accept) => (credential === 'good' && accept(principal) ? principal : undefined),
    cachedCaller: (credential) => (credential === 'good' ? principal : undefined),
    recordUse: (p) => events.push(`use ${p.identity.id}`),
    cachedIntrospection: (value) => (value.startsWith('known') ? '{"active":true}' : undefined),
    countVerify: (method, status) => events.push(`verify ${method} ${status}`),
    countIntrospect: (method, status) => events.push(`introspect ${method} ${status}`),
    maxIntrospectBody: 100,
    anyAddressBlocked: () => blocked,
  });

  beforeAll(async () => {
    server = createServer((req, res) =>
      fastPaths.handle(req, res, (request, response) => {
        // The fallback reads the body as Fastify does (listeners, then resume): it must arrive whole.
        const chunks: Buffer[] = [];
        request.on('data', (c: Buffer) => chunks.push(c));
        request.on('end', () => {
          response.writeHead(299, {
            'x-fallback-body': encodeURIComponent(Buffer.concat(chunks).toString()),
          });
          response.end();
        });
        request.resume();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers the plain gateway check and hands anything else on', async () => {
    const status = async (headers: Record<string, string>, method = 'GET', body?: string) =>
      (await fetch(url + VERIFY_PATH, { method, headers, ...(body ? { body } : {}) })).status;
    events.length = 0;
    expect(await status({ authorization: 'Bearer good' })).toBe(204);
    expect(events).toEqual(['verify GET 204']);
    expect(await status({ authorization: 'Bearer bad' })).toBe(299);
    expect(await status({ authorization: 'Bearer good', cookie: 'a=b' })).toBe(299);
    expect(await status({ authorization: 'Bearer good' }, 'POST', 'x')).toBe(299);
    const chunked = await rawExchange(
      url,
      `${verifyRequest(['Authorization: Bearer good', 'Transfer-Encoding: chunked']).slice(0, -2)}\r\n1\r\nx\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 299 /);
    expect(await status({ authorization: 'Bearer good', authtoken: 'good' })).toBe(299);
    const twice = await rawExchange(
      url,
      verifyRequest(['Authorization: Bearer good', 'Authorization: Bearer good']),
    );
    expect(twice).toMatch(/^HTTP\/1\.1 299 /);
    expect(events).toEqual(['verify GET 204']);
  });

  it('hands on a request with any X-Tokenward-* header but the credential one (Issue 12 item 4)', async () => {
    events.length = 0;
    for (const name of [
      'X-Tokenward-Identity',
      'x-tokenward-permissions',
      'X-TOKENWARD-ROLES',
      'X-Tokenward-X',
    ]) {
      const answer = await rawExchange(url, verifyRequest(['Authorization: Bearer good', `${name}: 1`]));
      expect(answer, name).toMatch(/^HTTP\/1\.1 299 /);
    }
    // Unrelated headers that merely look alike stay on the fast path.
    for (const name of ['X-Tokenward', 'X-Tokenwardx-Identity', 'X-Original-URI', 'Tokenward-Identity']) {
      const answer = await rawExchange(url, verifyRequest(['Authorization: Bearer good', `${name}: 1`]));
      expect(answer, name).toMatch(/^HTTP\/1\.1 204 /);
    }
    expect(events).toEqual(Array(4).fill('verify GET 204'));
  });

  it('hands every gateway check on while the bearer-failure limiter blocks some address (Issue 12 item 7)', async () => {
    events.length = 0;
    blocked = true;
    try {
      const answer = await rawExchange(url, verifyRequest(['Authorization: Bearer good']));
      expect(answer).toMatch(/^HTTP\/1\.1 299 /);
    } finally {
      blocked = false;
    }
    expect(await rawExchange(url, verifyRequest(['Authorization: Bearer good']))).toMatch(
      /^HTTP\/1\.1 204 [\s\S]*\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\nx-tokenward-identity: 7\r\n/i,
    );
    expect(events).toEqual(['verify GET 204']);
  });

  it('answers a plain introspection, and hands any other one on with its body intact', async () => {
    const post = async (body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url + INTROSPECT_PATH, {
        method: 'POST',
        headers: { authorization: 'Bearer good', 'content-type': 'application/json', ...headers },
        body,
      });
      return {
        status: res.status,
        text: await res.text(),
        body: decodeURIComponent(res.headers.get('x-fallback-body') ?? ''),
      };
    };
    events.length = 0;
    expect(await post('{"token":"known"}')).toEqual({ status: 200, text: '{"active":true}', body: '' });
    expect(await post(' { "token" : "known" } ')).toMatchObject({ status: 200 });
    expect(events).toEqual(['use 7', 'introspect POST 200', 'use 7', 'introspect POST 200']);
    events.length = 0;
    const handedOn = [
      ['{"token":"unknown"}', {}],
      ['{"token":"known","token_type_hint":"x"}', {}],
      ['{"token":"kn\\u006fwn"}', {}],
      ['{"token":"known"', {}],
      ['{"token":"known"}', { authorization: 'Bearer bad' }],
      ['{"token":"known"}', { 'content-type': 'application/json; charset=utf-8' }],
      ['{"token":"known"}', { cookie: 'a=b' }],
      [`{"token":"known${'k'.repeat(90)}"}`, {}],
    ] as const;
    for (const [body, headers] of handedOn) {
      expect(await post(body, headers), body.slice(0, 40)).toEqual({ status: 299, text: '', body });
    }
    // A body that arrives in pieces is read whole, then answered (or handed on) the same way.
    const head = `POST ${INTROSPECT_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nContent-Type: application/json\r\n`;
    for (const [body, expected] of [
      ['{"token":"known"}', /^HTTP\/1\.1 200 [\s\S]*\{"active":true\}$/],
      ['{"token":"other"}', /^HTTP\/1\.1 299 [\s\S]*x-fallback-body: %7B%22token%22%3A%22other%22%7D/],
    ] as const) {
      const { hostname, port } = new URL(url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname);
        let data = '';
        socket.on('data', (c) => {
          data += c.toString('latin1');
          if (/\r\n\r\n/.test(data) && (data.includes('{"active"') || data.includes('299'))) {
            socket.destroy();
            resolve(data);
          }
        });
        socket.on('error', reject);
        socket.write(`${head}Content-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
        setTimeout(() => socket.write(body.slice(5, 11)), 30);
        setTimeout(() => socket.write(body.slice(11)), 60);
      });
      expect(answer).toMatch(expected);
    }
    expect(events).toEqual(['use 7', 'introspect POST 200']);
  });

  it('hands everything on once closing', async () => {
    fastPaths.close();
    expect((await fetch(url + VERIFY_PATH, { headers: { authorization: 'Bearer good' } })).status).toBe(299);
    const res = await fetch(url + INTROSPECT_PATH, {
      method: 'POST',
      headers: { authorization: 'Bearer good', 'content-type': 'application/json' },
      body: '{"token":"known"}',
    });
    expect(res.status).toBe(299);
  });
});

describe('spoofedTokenwardHeader', () => {
  it('finds any X-Tokenward-* header name but X-Tokenward-Authorization, in any case', () => {
    const raw = (...names: string[]) => names.flatMap((n) => [n, 'v']);
    expect(spoofedTokenwardHeader(raw())).toBe(false);
    expect(spoofedTokenwardHeader(raw('Host', 'Authorization', 'X-Tokenward-Authorization'))).toBe(false);
    expect(spoofedTokenwardHeader(raw('x-tokenward-authorization', 'X-TOKENWARD-AUTHORIZATION'))).toBe(false);
    for (const name of [
      'X-Tokenward-Identity',
      'x-tokenward-identity-name',
      'X-TOKENWARD-ROLES',
      'X-Tokenward-Permissions',
      'x-TokenWard-anything',
      'X-Tokenward-Authorization2',
      'X-Tokenward-Authorizatio',
    ]) {
      expect(spoofedTokenwardHeader(raw('Host', name)), name).toBe(true);
    }
    for (const name of [
      'X-Tokenward',
      'X-Tokenward-',
      'X-Tokenwards-Identity',
      'Y-Tokenward-Identity',
      'X_Tokenward_Identity',
    ]) {
      expect(spoofedTokenwardHeader(raw(name)), name).toBe(false);
    }
  });
});
