import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, DIALECTS, freshStore, http, startServer, type TestServer } from './helpers.js';

/*
 * Issue 12 item 9 (headers): every answer (API, errors, 404s, docs, console) carries
 * `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store` unless the route set its own
 * (JWKS `public, max-age=60`, the console's files); /docs and the console send a
 * Content-Security-Policy with `frame-ancestors 'none'` and `X-Frame-Options: DENY`. Guards
 * against API answers holding tokens being kept by a browser or a shared cache, against an
 * answer being sniffed into something else, and against the docs or the console being framed
 * (clickjacking).
 */

function expectBaseHeaders(headers: Headers, what: string): void {
  expect(headers.get('x-content-type-options'), what).toBe('nosniff');
}

function expectNoStore(headers: Headers, what: string): void {
  expectBaseHeaders(headers, what);
  expect(headers.get('cache-control'), what).toBe('no-store');
}

function expectNoFraming(headers: Headers, what: string): void {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp, what).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
  expect(csp, what).toMatch(/(^|;)\s*default-src 'self'\s*(;|$)/);
  expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval/);
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: security headers on every answer`, () => {
    let server: TestServer;
    let admin: string;
    beforeAll(async () => {
      server = await startServer(freshStore(dialect));
      admin = await adminToken(server.url);
    });
    afterAll(async () => {
      await server.close();
    });

    it('API answers, success or error, are nosniff and no-store', async () => {
      const answers = {
        'a token list': await http(server.url, 'GET', '/api/v1/apptoken', { token: admin }),
        'a grant (a token value in the body)': await http(server.url, 'POST', '/api/v1/apptoken/grant', {
          token: admin,
          json: {},
        }),
        'a 401': await http(server.url, 'GET', '/api/v1/apptoken'),
        'a 400 (validation)': await http(server.url, 'POST', '/api/v1/apptoken/grant', {
          token: admin,
          json: { expiration: 'not a date' },
        }),
        'a 400 (bad JSON)': await http(server.url, 'POST', '/api/v1/apptoken/grant', {
          token: admin,
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
        'a 404 (no such route)': await http(server.url, 'GET', '/api/v1/no-such-route', { token: admin }),
        'a 404 (no such token)': await http(server.url, 'GET', '/api/v1/apptoken/999999', { token: admin }),
        'a 414': await http(server.url, 'GET', `/api/v1/apptoken?q=${'a'.repeat(9000)}`, { token: admin }),
        'a gateway check': await http(server.url, 'GET', '/api/v1/auth/verify', { token: admin }),
        'a refused gateway check': await http(server.url, 'GET', '/api/v1/auth/verify'),
        '/healthz': await http(server.url, 'GET', '/healthz'),
        '/readyz': await http(server.url, 'GET', '/readyz'),
        '/api/openapi.json': await http(server.url, 'GET', '/api/openapi.json'),
      };
      for (const [what, r] of Object.entries(answers)) {
        expect(r.status, what).toBeLessThan(500);
        expectNoStore(r.headers, `${what} (${r.status})`);
      }
      expect(answers['a 400 (validation)'].status).toBe(400);
      expect(answers['a 404 (no such route)'].status).toBe(404);
      expect(answers['a 414'].status).toBe(414);
    });

    it('the JWKS keeps its own cache-control (public, max-age=60), and is nosniff', async () => {
      const r = await http(server.url, 'GET', '/.well-known/jwks.json');
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=60');
      expectBaseHeaders(r.headers, 'jwks');
    });

    it('/docs, its assets and its spec send a CSP with frame-ancestors none, X-Frame-Options DENY and nosniff', async () => {
      for (const path of [
        '/docs',
        '/docs/',
        '/docs/json',
        '/docs/static/swagger-ui.css',
        '/docs/static/index.css',
      ]) {
        const r = await http(server.url, 'GET', path);
        expect(r.status, path).toBe(200);
        expectNoFraming(r.headers, path);
        expectBaseHeaders(r.headers, path);
      }
      for (const path of ['/docs', '/docs/json']) {
        const r = await http(server.url, 'GET', path);
        expect(r.headers.get('x-frame-options'), path).toBe('DENY');
        expect(r.headers.get('cache-control'), path).toBe('no-store');
      }
    });

    it('the console sends its CSP with frame-ancestors none, X-Frame-Options DENY, nosniff and its own caching', async () => {
      const page = await http(server.url, 'GET', '/');
      expect([200, 503]).toContain(page.status); // 503 when the console is not built
      expectNoFraming(page.headers, 'console /');
      expectBaseHeaders(page.headers, 'console /');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('cache-control')).toMatch(/^(no-cache|no-store)$/);
      const deep = await http(server.url, 'GET', '/tokens');
      expectNoFraming(deep.headers, 'console /tokens');
    });

    it('an answer to malformed HTTP (written before Fastify) is nosniff and no-store', async () => {
      const address = new URL(server.url);
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(address.port), address.hostname, () => {
          socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
        });
        let data = '';
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
      expect(raw).toMatch(/\r\nCache-Control: no-store\r\n/i);
    });
  });
}

/*
 * The docs' CSP must not break the docs: Chromium renders every operation, with no CSP
 * violation. The store plays no part here, so this runs once (SQLite).
 */
describe.skipIf(!existsSync('/usr/bin/chromium'))('the interactive docs under their CSP', () => {
  it('render every operation in Chromium with no CSP violation', { timeout: 90_000 }, async () => {
    const server = await startServer(freshStore('sqlite'));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      // Runs in the page (a string: this file is not compiled with the DOM's types).
      await page.addInitScript({
        content:
          "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
      });
      await page.goto(`${server.url}/docs`);
      await page.waitForSelector('.opblock-tag', { timeout: 30_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
      // The validator badge (an image from validator.swagger.io) is not asked for on 127.0.0.1.
      expect(problems.filter((p) => /Content Security Policy|CSP violation/i.test(p))).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
