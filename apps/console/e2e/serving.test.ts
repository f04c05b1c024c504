import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, registerConsole } from '../../server/src/plugins/console.js';
import { freshStore, http, startServer, type TestServer } from './harness.js';

// HTTP-level checks of how the server serves the console (no browser needed).
describe('the server serves the built console at / (SQLite)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(freshStore('sqlite'));
  });
  afterAll(async () => server?.close());

  it('answers / and console paths with index.html and strict security headers', async () => {
    for (const path of ['/', '/tokens', '/personal-tokens', '/identities/', '/no/such/page']) {
      const res = await fetch(server.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<div id="root"></div>');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable, and a missing asset is a 404, not index.html', async () => {
    const asset = readdirSync(join(CONSOLE_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await fetch(`${server.url}/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await http(server.url, 'GET', '/assets/index-00000000.js');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('route_not_found');
  });

  it('leaves the API and operations paths alone: unknown ones keep their JSON 404', async () => {
    for (const path of [
      '/api',
      '/api/v1/no-such-route',
      '/api/v2/anything',
      '/metrics/x',
      '/.well-known/nope',
    ]) {
      const res = await http(server.url, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.code, path).toBe('route_not_found');
    }
    expect((await http(server.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await http(server.url, 'GET', '/api/v1/apptoken')).status).toBe(401);
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
  });

  it('never serves a file from outside the console folder', async () => {
    for (const path of [
      '/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
    ]) {
      const res = await fetch(server.url + path);
      const text = await res.text();
      expect(text, path).not.toContain('"workspaces"');
      expect(text, path).not.toContain('@tokenward/console');
    }
  });
});

describe('without a built console', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokenward-console-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('/ answers 503 with how to build it, logs a warning, and API paths still 404', async () => {
    const lines: string[] = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
    });
    await app.register(registerConsole, { root: resolve(dir) });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('npm run build');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await app.inject({ method: 'GET', url: '/tokens' })).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/api/v1/x' })).statusCode).toBe(404);
    expect(lines.join('\n')).toContain('the admin console is not built');
    await app.close();
  });
});
