import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { FastVerify, VERIFY_PATH } from '../src/plugins/gateway.js';
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
 * The gateway check's fast path (plugins/gateway.ts) answers cached valid tokens before
 * Fastify. These tests hold it to the route's own answers: the same bytes for the plain case,
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
  describe(`gateway check fast path on ${dialect}`, () => {
    let store: StoreHandle;
    let fast: TestServer;
    let framework: TestServer;
    let admin: string;
    /** Requests for the verify path that reached Fastify on the fast server. */
    let reachedFastify = 0;
    const countVerify = (app: App) =>
      app.addHook('onRequest', (request, _reply, done) => {
        if (request.url.startsWith(VERIFY_PATH)) reachedFastify++;
        done();
      });

    beforeAll(async () => {
      store = freshStore(dialect);
      fast = await startServer(store, {
        config: { logLevel: 'warn', usageFlushSeconds: 3600 },
        beforeListen: countVerify,
      });
      // The same store behind a second instance that always goes through Fastify.
      framework = await startServer(store, { config: { logLevel: 'warn' }, fastVerify: false });
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
        const request = verifyRequest([`Authorization: Bearer ${token}`]);
        // The first presentation fills the cache (through Fastify); the next ones are answered
        // before it.
        const first = await rawExchange(fast.url, request);
        expect(first).toMatch(/^HTTP\/1\.1 204 /);
        const before = reachedFastify;
        const fromFast = await rawExchange(fast.url, request);
        expect(reachedFastify).toBe(before);
        // The other instance answers from the store, then from its cache: both through Fastify.
        for (let i = 0; i < 2; i++) {
          expect(undated(fromFast)).toBe(undated(await rawExchange(framework.url, request)));
        }
        expect(undated(first)).toBe(undated(fromFast));
      }
      const res = await viaFast({ authorization: `Bearer ${operator.token}` });
      expect(res.fastify).toBe(false);
      expect(res.status).toBe(204);
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
        [
          'two credential headers',
          { authorization: bearer, 'x-tokenward-authorization': 'other' },
          VERIFY_PATH,
          'GET',
          400,
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

    it('hands a header credential beside a live session to Fastify (two credentials)', async () => {
      const t = await grantTo(fast.url, admin, 1);
      const bearer = `Bearer ${t.token}`;
      expect((await viaFast({ authorization: bearer })).status).toBe(204);
      const session = await signIn(fast.url, 'admin', ADMIN_PASSWORD);
      const res = await viaFast({ authorization: bearer, cookie: session.cookie });
      expect(res.fastify).toBe(true);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).code).toBe('multiple_credentials');
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

describe('FastVerify on a plain node:http server', () => {
  let server: Server;
  let url: string;
  const principal = {
    identity: { id: 7, name: 'gate keeper' },
    roles: ['Operator'],
    permissions: { has: () => false },
    endpoints: null,
  } as unknown as Principal;
  const counted: string[] = [];
  const fastVerify = new FastVerify({
    cachedToken: (credential, accept) => (credential === 'good' && accept(principal) ? principal : undefined),
    count: (method, status) => counted.push(`${method} ${status}`),
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (fastVerify.answer(req, res)) return;
      res.writeHead(299, { 'x-fallback': '1' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers the plain case and falls back on anything else', async () => {
    const status = async (headers: Record<string, string>, method = 'GET', body?: string) =>
      (await fetch(url + VERIFY_PATH, { method, headers, ...(body ? { body } : {}) })).status;
    expect(await status({ authorization: 'Bearer good' })).toBe(204);
    expect(counted).toEqual(['GET 204']);
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
    expect(counted).toEqual(['GET 204']);
  });

  it('falls back for everything once closing', async () => {
    fastVerify.close();
    expect((await fetch(url + VERIFY_PATH, { headers: { authorization: 'Bearer good' } })).status).toBe(299);
  });
});
